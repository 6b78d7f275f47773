// WriteBehindQueue: the worker that moves queued writes into SQLite.
//
// Reliable-queue pattern: LMOVE queue -> processing (so a crash never loses
// an item), coalesce all writes to one id, apply the batch with
// ProductRepository::applyVersioned in one SQL transaction guarded by
// version (a redelivered item changes nothing), then clear the dirty mark,
// give the flushed hashes their TTL and LREM the items from processing. On
// every (re)connect items left in processing are moved back to the queue.
// The worker runs whatever strategy is selected, so switching away from
// write-behind never strands a write.
#pragma once

#include "serviceresult.h"

#include <memory>

class Operation;
using OperationPtr = std::shared_ptr<Operation>;

#include <functional>
#include <QList>
#include <QObject>
#include <QTimer>

class CacheBackend;

class WriteBehindQueue final : public QObject
{
    Q_OBJECT

public:
    /// Test hook: the worker stops dead at this point, as if the process died.
    enum class CrashPoint { None, AfterMove, AfterCommit };

    explicit WriteBehindQueue(CacheBackend &backend, QObject *parent = nullptr);

    /// Re-queues items left in processing, then flushes if anything waits.
    void recover();
    /// A write was queued: update the depth and make sure a flush is scheduled.
    /// depth >= 0 is queue + processing as the write's own script saw it
    /// (no LLEN round trip needed); -1 asks Redis.
    void notifyQueued(int depth = -1);
    /// Flushes now; done gets count = items written (after any flush in progress).
    void flushNow(std::function<void(const ServiceResult &)> done = {});

    /// Flushes until the queue is empty (batch after batch); done gets the
    /// last flush's result.
    void drain(std::function<void(const ServiceResult &)> done);

    /// A paused worker keeps the queue as it is (flushNow still works).
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    bool isFlushing() const { return m_flushing; }
    /// queue + processing, last seen.
    int depth() const { return m_depth; }
    void refreshDepth();

    void setCrashPointForTesting(CrashPoint point) { m_crashPoint = point; }
    bool hasCrashed() const { return m_crashed; }

signals:
    void depthChanged(int depth);
    void pausedChanged(bool paused);
    /// Ids written to SQLite by one flush.
    void flushed(const QList<qint64> &ids);

private:
    void schedule(int delayMs);
    void runFlush();
    void endFlush(bool more);
    void endFailedFlush();
    /// Writes these items again at fresh versions (see the flush), then then().
    void reapplyLater(const OperationPtr &op, const QList<Product> &later, std::function<void()> then);

    CacheBackend &m_backend;
    QTimer m_timer;
    bool m_flushing = false;
    bool m_paused = false;
    bool m_crashed = false;
    bool m_flushAgain = false;
    int m_depth = 0;
    int m_lastMoved = 0; ///< items the last flush took from the queue
    CrashPoint m_crashPoint = CrashPoint::None;
    QList<std::function<void(const ServiceResult &)>> m_waiters;
};
