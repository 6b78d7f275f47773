// PendingWriteBarrier: drain the write-behind queue before a SQL write.
#include "pendingwritebarrier.h"

#include "cachebackend.h"
#include "writebehindqueue.h"

PendingWriteBarrier::PendingWriteBarrier(CacheBackend &backend, WriteBehindQueue &queue)
    : m_backend(backend)
    , m_queue(queue)
{ }

void PendingWriteBarrier::afterPendingWrites(const OperationPtr &op, std::function<void()> next)
{
    if (op->kind() == StrategyKind::WriteBehind || !m_backend.cacheUp()) {
        next();
        return;
    }
    // (The queue is shared: a write of this id queued by another instance is
    // found by the version reservation, which flushes it first.)
    if (m_queue.depth() <= 0) {
        next();
        return;
    }
    drainThen(op, std::move(next));
}

void PendingWriteBarrier::drainThen(const OperationPtr &op, std::function<void()> next)
{
    // Write-behind items are still queued (the strategy was switched away):
    // let them reach SQLite first. Otherwise SQLite could hand out an id a
    // queued create already uses, or a later flush of an older queued
    // version could be refused while the cache keeps it, or overwrite this write.
    op->note(QStringLiteral("write-behind items pending: flushing them before writing to SQLite"));
    m_queue.drain([op, next = std::move(next)](const ServiceResult &r) {
        if (r.ok()) {
            next();
            return;
        }
        // Writing now could let a queued older version overwrite this write
        // later, or this write hide a queued one: refuse, change nothing.
        op->fail(r.status == ServiceStatus::Unavailable ? ServiceStatus::Unavailable : ServiceStatus::Error,
            QStringLiteral("Write-behind writes are still queued and could not be flushed first (%1). Nothing was "
                           "changed; try again once the queue drains.")
                .arg(r.error));
    });
}
