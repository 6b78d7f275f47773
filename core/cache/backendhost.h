// BackendHost: what CacheBackend, and the pieces built on it, ask of the
// service that owns them.
//
// The backend is built first and knows nothing above it; these are the few
// things it cannot do alone (start an operation the trace shows, reach the
// write-behind queue, the invalidation channel or the Bloom filter). The
// owner passes itself in at construction, so every call has a target and
// nothing here is optional.
#pragma once

#include "operationstarter.h"

#include <functional>
#include <QList>

class BackendHost : public OperationStarter
{
public:
    /// A product about to be written still has a write-behind write queued:
    /// flush the queue, then next() (or fail op when it cannot).
    virtual void drainQueuedWrites(const OperationPtr &op, std::function<void()> next) = 0;
    /// The change log has a gap: drop every droppable product key, then then().
    virtual void dropAllProductKeys(const OperationPtr &op, std::function<void()> then) = 0;
    /// Tell the other instances on this Redis that these products changed
    /// (versions[i] is the guard of ids[i]; all = every product).
    virtual void publishInvalidation(const QList<qint64> &ids, const QList<qint64> &versions, bool all) = 0;
    /// Asked on a miss before SQLite is read: then(false) means "certainly
    /// never created". Answers then(true) when there is no filter or it is
    /// unsure; it may add its own trace steps.
    virtual void checkExistence(const OperationPtr &op, qint64 id, std::function<void(bool mayExist)> then) = 0;
    /// Whether checkExistence() can ever say no (a filter is installed):
    /// without one the miss path skips the step and its trace line.
    virtual bool hasExistenceCheck() const = 0;

protected:
    ~BackendHost() = default;
};
