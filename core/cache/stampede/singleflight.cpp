// SingleFlight: one load per key in flight; the rest wait for it.
#include "singleflight.h"

void SingleFlight::load(const OperationPtr &op, qint64 id, const QByteArray &key, const MissLoad &load, LoadDone then)
{
    auto it = m_inflight.find(id);
    if (it != m_inflight.end()) {
        ++*m_coalesced;
        op->note(QStringLiteral("single-flight: joined the load of %1 already in flight")
                     .arg(QString::fromUtf8(key)),
            TraceOutcome::Coalesced);
        it->append(Waiter { op, std::move(then) });
        return;
    }
    m_inflight.insert(id, {});
    load(op, id, [this, id, then = std::move(then)](const LoadResult &r) {
        const QList<Waiter> waiters = m_inflight.take(id);
        then(r);
        for (const Waiter &w : waiters)
            w.then(r);
    });
}

