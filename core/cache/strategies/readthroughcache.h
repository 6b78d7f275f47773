// ReadThroughCache: a cache that loads what it does not have.
//
// The caller asks it for a product and gets one: the cache object owns its
// loader (a SQLite read, given at construction), runs it on a miss behind
// the Bloom filter and the stampede guard, and fills itself. Nobody outside
// sees a miss. The read-through and write-through strategies read through
// it; write-through also puts committed rows into it.
#pragma once

#include "cachebackend.h"
#include "missload.h"

class ReadThroughCache final
{
public:
    /// Reads the row for an id from the system of record.
    using Loader = CacheBackend::Loader;

    ReadThroughCache(CacheBackend &backend, Loader loader);

    /// The product (from the cache, or loaded into it).
    void get(const OperationPtr &op, qint64 id, LoadDone then);
    /// Puts a row just committed to the database (write-through).
    void put(const OperationPtr &op, const Product &product, std::function<void(bool)> then);

private:
    ProductCache &m_cache;
    MissProtection &m_guard;
    Loader m_loader;
};
