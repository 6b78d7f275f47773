// ViewRecorder: what a product view leaves in Redis, sent in batches.
//
// A get that found a product records the view by its viewer: the recent
// list (LREM + LPUSH + LTRIM), the most-viewed sorted set (ZINCRBY) and the
// product's unique-viewers HyperLogLog (PFADD). The get answers at once;
// views wait up to BatchMs (or BatchMax views) and go as one MULTI whose
// reply nobody waits for, so a burst of hits costs one round trip in all.
#pragma once

#include "operation.h"
#include "redisclient.h"

#include <QList>
#include <QObject>
#include <QTimer>

class CacheBackend;

class ViewRecorder final : public QObject
{
    Q_OBJECT

public:
    explicit ViewRecorder(CacheBackend &backend, QObject *parent = nullptr);

    /// A view of id by op->viewer (none for internal reads).
    void record(const OperationPtr &op, qint64 id);
    /// Sends the batch now. Readers of the recent list or the leaderboard
    /// call it first, so they see every view made before.
    void flush();
    /// A deleted product leaves the leaderboard and its viewer count.
    void forget(qint64 id);

    static constexpr int BatchMs = 20;
    // Large enough that a burst of hits sends one MULTI per BatchMs (its
    // size depends on the distinct ids, not the views); small enough to
    // bound a batch held in memory and one transaction.
    static constexpr int BatchMax = 1024;

private:
    struct View
    {
        qint64 id;
        QByteArray viewer;
    };
    QList<RedisCommand> commands(const QList<View> &views) const;

    CacheBackend &m_backend;
    QList<View> m_views;
    QTimer m_timer;
};
