// CacheAsideStrategy (lazy loading): the application drives the cache.
//
// Read:  1. look in the cache; on a hit, answer.
//        2. on a miss, the application itself reads the row from SQLite
//           (behind the Bloom filter and the stampede guard, MissProtection)
//        3. and puts it into the cache for the next reader.
// Write: 1. commit to SQLite; 2. delete the cached copy.
// The cache never talks to the database; compare ReadThroughStrategy,
// where the cache object does steps 2 and 3 itself.
#pragma once

#include "cachestrategy.h"
#include "missload.h"

class CacheAsideStrategy final : public CacheStrategy
{
public:
    explicit CacheAsideStrategy(CacheBackend &backend);

    StrategyKind kind() const override { return StrategyKind::CacheAside; }
    void get(const OperationPtr &op, qint64 id) override;
    void save(const OperationPtr &op, const ProductEdit &edit) override;
    void remove(const OperationPtr &op, qint64 id) override;

private:
    /// Steps 2 and 3 of a read: SQLite, then the fill.
    void loadAndFill(const OperationPtr &op, qint64 id, LoadDone done);
};
