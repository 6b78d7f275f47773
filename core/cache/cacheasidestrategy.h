// CacheAsideStrategy: the application itself checks Redis, reads SQLite on a
// miss and fills the hash; writes commit to SQLite and then invalidate.
#pragma once

#include "cachestrategy.h"

class CacheAsideStrategy final : public CacheStrategy
{
public:
    explicit CacheAsideStrategy(CacheBackend &backend);

    StrategyKind kind() const override { return StrategyKind::CacheAside; }
    void get(const OperationPtr &op, qint64 id) override;
    void list(const OperationPtr &op) override;
    void create(const OperationPtr &op, const QString &name, qint64 price) override;
    void update(const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion) override;
    void upsert(const OperationPtr &op, qint64 id, const QString &name, qint64 price) override;
    void remove(const OperationPtr &op, qint64 id) override;
};
