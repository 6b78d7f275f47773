// WriteInvalidation: after a committed SQL write, the cached copy goes.
//
// The delete is a script that also leaves a guard (the new version, or
// DeletedGuard for a delete), so a slower reader that loaded the old row
// cannot fill it back, and keeps a hash that still holds an unflushed
// write-behind write. Other instances hear of it on the invalidation
// channel. When Redis is down the id is remembered (with the highest guard
// asked for) and invalidated once it is back, so a committed write never
// leaves a stale copy behind for longer than the outage.
#pragma once

#include "operation.h"

#include <functional>
#include <QHash>
#include <QList>
#include <QObject>

class CacheBackend;

class WriteInvalidation final : public QObject
{
    Q_OBJECT

public:
    explicit WriteInvalidation(CacheBackend &backend, QObject *parent = nullptr);

    /// DEL product:{id} + guard (guardVersion 0 = none). then(removed) with
    /// 1 when a copy was deleted. raiseVersionTo > 0 also raises the
    /// versions hash (a change made by another writer: nobody may be given
    /// that version again), and keeps a copy that already has it.
    void afterWrite(const OperationPtr &op, qint64 id, qint64 guardVersion, std::function<void(qint64 removed)> then,
        qint64 raiseVersionTo = 0);

    /// Ids whose invalidation waits for Redis, with their guards.
    QHash<qint64, qint64> pending() const { return m_pending; }
    /// Redis is back: invalidates every remembered id (one pipeline).
    void replayPending();

signals:
    void pendingChanged(int count);
    void keysInvalidated(const QList<QByteArray> &keys);

private:
    void remember(qint64 id, qint64 guardVersion);

    CacheBackend &m_backend;
    QHash<qint64, qint64> m_pending;
};
