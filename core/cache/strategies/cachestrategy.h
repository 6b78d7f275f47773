// CacheStrategy: the interface every caching strategy implements.
//
// One class per strategy, one file each, in this directory:
//   nocachestrategy       the baseline: SQLite only
//   cacheasidestrategy    the application looks up, loads and fills itself
//   readthroughstrategy   the application asks a ReadThroughCache, which loads
//   writethroughstrategy  commit, then set the cache, before answering
//   writebehindstrategy   set the cache and enqueue; WriteBehindQueue writes SQLite
// A strategy gets an Operation that already passed validation and finishes
// it exactly once with Operation::finish(). The building blocks (the cache,
// the traced SQL writes, invalidation) are CacheBackend's; each writes its
// own trace steps, so a strategy reads as the steps it takes.
#pragma once

#include "productedit.h"
#include "strategykind.h"
#include "watchedupdate.h"

#include <memory>
#include <QString>

class CacheBackend;
class Operation;
using OperationPtr = std::shared_ptr<Operation>;

class CacheStrategy
{
public:
    explicit CacheStrategy(CacheBackend &backend)
        : m_backend(backend)
        , m_watchedUpdate(backend)
    { }
    virtual ~CacheStrategy() = default;
    CacheStrategy(const CacheStrategy &) = delete;
    CacheStrategy &operator=(const CacheStrategy &) = delete;

    virtual StrategyKind kind() const = 0;

    /// One product, by id.
    virtual void get(const OperationPtr &op, qint64 id) = 0;
    /// Every product: SQLite (write-behind overlays what is still queued).
    virtual void list(const OperationPtr &op);
    /// A create, an update or an upsert (see ProductEdit).
    virtual void save(const OperationPtr &op, const ProductEdit &edit) = 0;
    virtual void remove(const OperationPtr &op, qint64 id) = 0;
    /// The article's "update with a Redis transaction", done right: SQLite
    /// first and checked, then WATCH/MULTI/EXEC sets the hash and its TTL
    /// atomically, refusing to overwrite a newer cached version
    /// (WatchedUpdate). Strategies without such a cache step override it.
    virtual void updateInTransaction(const OperationPtr &op, const ProductEdit &edit);

protected:
    /// Write-around, the write half of cache-aside (and of read-through):
    /// 1. commit the row to SQLite; 2. delete the cached copy (with a guard
    /// against a slower reader putting the old row back). The next read
    /// loads the new row.
    void commitThenInvalidate(const OperationPtr &op, const ProductEdit &edit);
    /// 1. delete the row in SQLite; 2. delete the cached copy and remember
    /// the delete (a guard), so no reader fills the old row again.
    void deleteThenInvalidate(const OperationPtr &op, qint64 id);

    CacheBackend &m_backend;

private:
    WatchedUpdate m_watchedUpdate; ///< its replies refer to it: it lives as long as the strategy
};
