// ReadThroughStrategy: the service asks a ReadThroughCache, whose loader
// reads SQLite on a miss; writes commit to SQLite and then invalidate.
#pragma once

#include "cachestrategy.h"
#include "readthroughcache.h"

class ReadThroughStrategy final : public CacheStrategy
{
public:
    explicit ReadThroughStrategy(CacheBackend &backend);

    StrategyKind kind() const override { return StrategyKind::ReadThrough; }
    void get(const OperationPtr &op, qint64 id) override;
    void list(const OperationPtr &op) override;
    void create(const OperationPtr &op, const QString &name, qint64 price) override;
    void update(const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion) override;
    void upsert(const OperationPtr &op, qint64 id, const QString &name, qint64 price) override;
    void remove(const OperationPtr &op, qint64 id) override;

private:
    ReadThroughCache m_cache;
};
