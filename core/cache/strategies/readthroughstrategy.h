// ReadThroughStrategy: the application asks the cache, and only the cache.
//
// Read:  ReadThroughCache::get. On a miss the cache object itself runs its
//        loader (a SQLite read), guards against a stampede and fills;
//        compare CacheAsideStrategy, where the application does those.
// Write: write-around, as cache-aside: 1. commit; 2. delete the cached copy.
#pragma once

#include "cachestrategy.h"
#include "readthroughcache.h"

class ReadThroughStrategy final : public CacheStrategy
{
public:
    explicit ReadThroughStrategy(CacheBackend &backend);

    StrategyKind kind() const override { return StrategyKind::ReadThrough; }
    void get(const OperationPtr &op, qint64 id) override;
    void save(const OperationPtr &op, const ProductEdit &edit) override;
    void remove(const OperationPtr &op, qint64 id) override;

private:
    ReadThroughCache m_cache;
};
