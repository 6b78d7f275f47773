// PendingWriteBarrier: a write made under any strategy but write-behind
// waits until the write-behind items still queued have reached SQLite.
//
// Otherwise SQLite could hand out an id a queued create already uses, or a
// later flush of an older queued version could be refused while the cache
// keeps it, or overwrite this write. When the queue cannot be flushed the
// write is refused and nothing changes.
#pragma once

#include "operation.h"

#include <functional>

class CacheBackend;
class WriteBehindQueue;

class PendingWriteBarrier final
{
public:
    PendingWriteBarrier(CacheBackend &backend, WriteBehindQueue &queue);

    /// Runs next() once queued write-behind items reached SQLite (at once
    /// under write-behind itself, without Redis, or when nothing is queued).
    void afterPendingWrites(const OperationPtr &op, std::function<void()> next);
    /// Drains the queue, then next(); fails op when the drain failed.
    /// (CacheBackend's drainFirst hook: the reservation found a queued
    /// write of the id, maybe another instance's.)
    void drainThen(const OperationPtr &op, std::function<void()> next);

private:
    CacheBackend &m_backend;
    WriteBehindQueue &m_queue;
};
