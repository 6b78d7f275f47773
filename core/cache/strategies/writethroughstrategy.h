// WriteThroughStrategy: every write goes through the cache to the database.
//
// Write: 1. commit to SQLite; 2. set the cache to the committed row
//        (compare-and-set on the version); 3. only then answer. A cache
//        that could not be set is invalidated instead, never left stale.
// Read:  through a ReadThroughCache, as read-through.
#pragma once

#include "cachestrategy.h"
#include "readthroughcache.h"

class WriteThroughStrategy final : public CacheStrategy
{
public:
    explicit WriteThroughStrategy(CacheBackend &backend);

    StrategyKind kind() const override { return StrategyKind::WriteThrough; }
    void get(const OperationPtr &op, qint64 id) override;
    void save(const OperationPtr &op, const ProductEdit &edit) override;
    void remove(const OperationPtr &op, qint64 id) override;

private:
    ReadThroughCache m_cache;
};
