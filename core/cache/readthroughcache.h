// ReadThroughCache: a cache object that loads what it does not have.
//
// The read-through and write-through strategies talk only to this object;
// it owns the loader (a SQLite read) and applies the stampede protection
// and the stale-set-safe fill itself, so the caller never sees a miss.
#pragma once

#include "cachebackend.h"

class ReadThroughCache final
{
public:
    ReadThroughCache(CacheBackend &backend, CacheBackend::Loader loader)
        : m_backend(backend)
        , m_loader(std::move(loader))
    { }

    void get(const OperationPtr &op, qint64 id, std::function<void(const LoadResult &)> then);
    /// Puts a value just committed to SQLite (write-through).
    void put(const OperationPtr &op, const Product &product, std::function<void(bool)> then);

private:
    CacheBackend &m_backend;
    CacheBackend::Loader m_loader;
};
