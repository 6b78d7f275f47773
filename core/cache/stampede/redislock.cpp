// RedisLock: SET NX PX around the load; the others poll the cache.
#include "redislock.h"

#include "cachebackend.h"
#include "cachescripts.h"

#include <QDateTime>
#include <QTimer>

namespace {
qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}
} // namespace

RedisLock::RedisLock(CacheBackend &backend)
    : m_backend(backend)
    , m_random(QRandomGenerator::securelySeeded())
{ }

void RedisLock::load(const OperationPtr &op, qint64 id, const MissLoad &load, LoadDone then)
{
    const QByteArray token = QByteArray::number(m_random.generate64(), 16);
    const QByteArray lockKey = m_backend.keys().lock(id);
    auto classify = [](const RedisReply &r) { return r.isStatus() ? TraceOutcome::Ok : TraceOutcome::LockWait; };
    m_backend.tracedRedis().command(op,
        { QByteArrayLiteral("SET"), lockKey, token, QByteArrayLiteral("NX"), QByteArrayLiteral("PX"),
            QByteArray::number(m_backend.settings().lockTtlMs) },
        classify, [this, op, id, load, token, then = std::move(then)](const RedisReply &r) {
            if (r.isStatus()) {
                loadAndRelease(op, id, load, token, then);
            } else if (r.isNil()) {
                poll(op, id, load, token, nowMs(), 0, then);
            } else {
                op->note(
                    QStringLiteral("lock failed (%1): loading without it").arg(r.errorMessage()), TraceOutcome::Error);
                load(op, id, then);
            }
        });
}

void RedisLock::loadAndRelease(
    const OperationPtr &op, qint64 id, const MissLoad &load, const QByteArray &token, const LoadDone &then)
{
    const QByteArray lockKey = m_backend.keys().lock(id);
    load(op, id, [this, op, token, lockKey, then](const LoadResult &res) {
        m_backend.tracedRedis().script(
            op, CacheScripts::unlock(), { lockKey }, { token }, {}, [res, then](const RedisReply &) { then(res); });
    });
}

void RedisLock::poll(const OperationPtr &op, qint64 id, const MissLoad &load, const QByteArray &token,
    qint64 startedMs, int attempt, const LoadDone &then)
{
    // Back off 5, 10, 20, 40, 50, 50... ms between looks at the cache.
    // (The looks are counted but not trace steps: the note below sums them up.)
    const int delay = std::min(50, 5 << std::min(attempt, 4));
    QTimer::singleShot(delay, &m_backend, [=, this] {
        if (!m_backend.cacheUp()) {
            load(op, id, then);
            return;
        }
        CacheMetrics &metrics = m_backend.metrics();
        m_backend.tracedRedis().command(nullptr, { QByteArrayLiteral("HGETALL"), m_backend.keys().product(id) }, {},
            [=, this, &metrics](const RedisReply &r) {
                const ProductHash h = ProductHash::decode(id, r);
                if (!r.isError() && !h.isEmpty()) {
                    ++metrics.coalesced;
                    op->note(QStringLiteral("lock: the holder filled %1 after %2 look(s)")
                                 .arg(QString::fromUtf8(m_backend.keys().product(id)))
                                 .arg(attempt + 1),
                        TraceOutcome::Coalesced);
                    LoadResult res;
                    res.fromCache = true;
                    if (h.isAbsent()) {
                        res.status = ServiceStatus::NotFound;
                        res.error = QStringLiteral("Product %1 does not exist.").arg(id);
                    } else {
                        res.product = h.product();
                    }
                    then(res);
                    return;
                }
                if (nowMs() - startedMs > m_backend.settings().lockWaitMs) {
                    op->note(QStringLiteral("lock: waited %1 ms without a fill; loading from SQLite")
                                 .arg(nowMs() - startedMs),
                        TraceOutcome::LockWait);
                    load(op, id, then);
                    return;
                }
                // Still empty: the holder may have died; try to take the lock over.
                m_backend.tracedRedis().command(nullptr,
                    { QByteArrayLiteral("SET"), m_backend.keys().lock(id), token, QByteArrayLiteral("NX"),
                        QByteArrayLiteral("PX"), QByteArray::number(m_backend.settings().lockTtlMs) },
                    {}, [=, this](const RedisReply &set) {
                        if (set.isStatus()) {
                            op->note(QStringLiteral("lock: acquired after waiting"), TraceOutcome::Ok);
                            loadAndRelease(op, id, load, token, then);
                        } else {
                            poll(op, id, load, token, startedMs, attempt + 1, then);
                        }
                    });
            });
    });
}
