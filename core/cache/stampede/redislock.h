// RedisLock: one load per key across every instance sharing the Redis.
//
// The miss takes lock:{id} with SET NX PX (a random token, so only the
// holder releases it, with a compare-and-delete script). A miss that finds
// the lock taken looks at the cache again with growing pauses (5, 10, 20,
// 40, 50 ms ...) until the holder's fill appears; if the lock expires
// meanwhile (the holder died) it takes the lock over; after lockWaitMs it
// loads by itself.
#pragma once

#include "missload.h"

#include <QRandomGenerator>

class CacheBackend;

class RedisLock final
{
public:
    explicit RedisLock(CacheBackend &backend);

    void load(const OperationPtr &op, qint64 id, const MissLoad &load, LoadDone then);

private:
    void poll(const OperationPtr &op, qint64 id, const MissLoad &load, const QByteArray &token, qint64 startedMs,
        int attempt, const LoadDone &then);
    /// load(), then the compare-and-delete of the lock.
    void loadAndRelease(const OperationPtr &op, qint64 id, const MissLoad &load, const QByteArray &token,
        const LoadDone &then);

    CacheBackend &m_backend;
    QRandomGenerator m_random;
};
