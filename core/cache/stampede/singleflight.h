// SingleFlight: concurrent misses of one key in this process share one load.
//
// The first miss runs the load; misses of the same id that arrive while it
// runs wait for its answer instead of reading the database again (trace:
// "coalesced"). Other instances are not coordinated; RedisLock does that.
#pragma once

#include "missload.h"

#include <QHash>
#include <QList>

class CacheKeys;

class SingleFlight final
{
public:
    /// coalesced (not owned) counts the misses that joined a running load.
    explicit SingleFlight(quint64 *coalesced)
        : m_coalesced(coalesced)
    { }

    void load(const OperationPtr &op, qint64 id, const QByteArray &key, const MissLoad &load, LoadDone then);

private:
    struct Waiter
    {
        OperationPtr op;
        LoadDone then;
    };
    QHash<qint64, QList<Waiter>> m_inflight;
    quint64 *m_coalesced;
};
