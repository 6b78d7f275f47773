// WriteInvalidation: see writeinvalidation.h.
#include "writeinvalidation.h"

#include "cachebackend.h"
#include "cachescripts.h"

WriteInvalidation::WriteInvalidation(CacheBackend &backend, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
{ }

void WriteInvalidation::remember(qint64 id, qint64 guardVersion)
{
    m_pending[id] = std::max(m_pending.value(id, 0), guardVersion);
    emit pendingChanged(int(m_pending.size()));
}

void WriteInvalidation::afterWrite(
    const OperationPtr &op, qint64 id, qint64 guardVersion, std::function<void(qint64)> then, qint64 raiseVersionTo)
{
    const qint64 guard = m_backend.settings().staleSetGuard ? guardVersion : 0;
    if (!m_backend.cacheUp()) {
        remember(id, guard);
        op->step(TraceSystem::App,
            QStringLiteral("cache unavailable: invalidation of %1 deferred until Redis is back")
                .arg(QString::fromUtf8(m_backend.keys().product(id))),
            TraceOutcome::Deferred);
        then(0);
        return;
    }
    auto classify
        = [](const RedisReply &r) { return r.toInteger() >= 0 ? TraceOutcome::Invalidate : TraceOutcome::Skipped; };
    const QByteArray key = m_backend.keys().product(id);
    QList<QByteArray> keys { key, m_backend.keys().guard(id) };
    QList<QByteArray> args { QByteArray::number(guard), QByteArray::number(qint64(m_backend.settings().guardTtlSeconds) * 1000),
        guardVersion == 1 ? QByteArrayLiteral("1") : QByteArrayLiteral("0") };
    if (raiseVersionTo > 0) {
        // Another writer's change (the change feed): a copy that already has
        // it (write-through on that instance set it) stays.
        keys << m_backend.keys().versions();
        args << QByteArray::number(id) << QByteArray::number(raiseVersionTo) << QByteArray::number(raiseVersionTo);
    }
    m_backend.tracedRedis().script(op, CacheScripts::invalidate(), keys, args, classify, [this, op, id, key, guardVersion, guard, then = std::move(then)](const RedisReply &r) {
            if (r.isError()) {
                // The write is committed; the stale copy must still go.
                remember(id, guard);
                op->note(
                    QStringLiteral("invalidation of %1 deferred: %2").arg(QString::fromUtf8(key), r.errorMessage()),
                    TraceOutcome::Deferred);
                then(0);
                return;
            }
            const qint64 code = r.toInteger();
            if (code == -2)
                op->note(
                    QStringLiteral("kept %1: it holds an unflushed write-behind value").arg(QString::fromUtf8(key)),
                    TraceOutcome::Skipped);
            const qint64 removed = std::max<qint64>(0, code);
            if (removed > 0) {
                ++m_backend.metrics().invalidations;
                emit keysInvalidated({ key });
            }
            m_backend.host().publishInvalidation({ id }, { guardVersion }, false);
            then(removed);
        });
}

void WriteInvalidation::replayPending()
{
    if (m_pending.isEmpty() || !m_backend.cacheUp())
        return;
    const QHash<qint64, qint64> pending = m_pending;
    OperationPtr op = m_backend.host().beginBackground(OperationKind::DeferredInvalidate, 0, {});
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
    QList<qint64> ids;
    for (auto it = pending.cbegin(); it != pending.cend(); ++it) {
        ids << it.key();
        calls.append({ { m_backend.keys().product(it.key()), m_backend.keys().guard(it.key()) },
            { QByteArray::number(it.value()), QByteArray::number(qint64(m_backend.settings().guardTtlSeconds) * 1000),
                QByteArrayLiteral("0") } });
    }
    op->note(QStringLiteral("Redis is back: deleting %1 key(s) that writes could not invalidate").arg(ids.size()),
        TraceOutcome::Invalidate);
    m_backend.tracedRedis().scriptPipeline(
        op, CacheScripts::invalidate(), calls, {}, [this, op, ids, pending](const QList<RedisReply> &replies) {
            QList<QByteArray> removedKeys;
            qint64 removed = 0;
            for (int i = 0; i < replies.size() && i < ids.size(); ++i) {
                const RedisReply &r = replies.at(i);
                if (r.isError())
                    continue;
                // Only forget it when nothing newer was remembered meanwhile.
                if (m_pending.value(ids.at(i), -1) == pending.value(ids.at(i)))
                    m_pending.remove(ids.at(i));
                if (r.toInteger() > 0) {
                    ++removed;
                    removedKeys << m_backend.keys().product(ids.at(i));
                }
            }
            m_backend.metrics().invalidations += quint64(removed);
            emit pendingChanged(int(m_pending.size()));
            if (!removedKeys.isEmpty())
                emit keysInvalidated(removedKeys);
            QList<qint64> versions;
            for (qint64 id : ids)
                versions << pending.value(id);
            m_backend.host().publishInvalidation(ids, versions, false);
            ServiceResult res;
            res.count = removed;
            op->finish(res);
        });
}
