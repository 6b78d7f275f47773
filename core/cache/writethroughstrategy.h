// WriteThroughStrategy: reads as read-through; a write commits to SQLite and
// then sets the cache (compare-and-set on the version) before it reports success.
#pragma once

#include "cachestrategy.h"
#include "readthroughcache.h"

class WriteThroughStrategy final : public CacheStrategy
{
public:
    explicit WriteThroughStrategy(CacheBackend &backend);

    StrategyKind kind() const override { return StrategyKind::WriteThrough; }
    void get(const OperationPtr &op, qint64 id) override;
    void list(const OperationPtr &op) override;
    void create(const OperationPtr &op, const QString &name, qint64 price) override;
    void update(const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion) override;
    void upsert(const OperationPtr &op, qint64 id, const QString &name, qint64 price) override;
    void remove(const OperationPtr &op, qint64 id) override;

private:
    ReadThroughCache m_cache;
};
