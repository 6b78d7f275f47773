// MissProtection: what stands between a cache miss and the database.
//
// Two different failures are guarded here:
//  - cache penetration: gets of ids that never existed miss every time and
//    would all reach SQLite. The Bloom filter (ExistenceFilter, installed
//    through CacheBackend::existenceCheck) answers "certainly never
//    created" first, and the database is not asked.
//  - a cache stampede: a popular key expires and every reader misses at
//    once. The guard chosen in CacheSettings::stampede decides who loads:
//    SingleFlight (one load per process), RedisLock (one across
//    instances), XFetch (one reader refreshes before expiry; see
//    refreshEarly), or none.
// The strategies that drive the cache themselves (cache-aside,
// write-behind's reads) call it directly; ReadThroughCache calls it inside.
#pragma once

#include "missload.h"
#include "redislock.h"
#include "singleflight.h"
#include "xfetch.h"

class CacheBackend;

class MissProtection final
{
public:
    explicit MissProtection(CacheBackend &backend);

    /// What a lookup's entry calls for: a hit or a negative entry answers;
    /// a miss runs `load` behind the Bloom filter and the stampede guard; a
    /// hit XFetch picks for an early refresh runs `load` at once; a cache
    /// that failed leaves the database to answer alone.
    void resolve(const OperationPtr &op, qint64 id, const CacheEntry &entry, const MissLoad &load, LoadDone then);
    /// The miss path alone (for reads that looked in the cache by themselves).
    void load(const OperationPtr &op, qint64 id, const MissLoad &load, LoadDone then);

private:
    /// With the XFetch guard selected: whether this hit should reload now.
    bool refreshEarly(const OperationPtr &op, const CacheEntry &entry);
    void guarded(const OperationPtr &op, qint64 id, const MissLoad &load, LoadDone then);

    CacheBackend &m_backend;
    SingleFlight m_singleFlight;
    RedisLock m_lock;
    XFetch m_xfetch;
};
