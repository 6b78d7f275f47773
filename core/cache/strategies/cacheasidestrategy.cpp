// CacheAsideStrategy: look up, load on a miss, fill; commit, then invalidate.
#include "cacheasidestrategy.h"

#include "cachebackend.h"
#include "missprotection.h"

#include <QElapsedTimer>

CacheAsideStrategy::CacheAsideStrategy(CacheBackend &backend)
    : CacheStrategy(backend)
{ }

void CacheAsideStrategy::get(const OperationPtr &op, qint64 id)
{
    auto answer = [this, op, id](const LoadResult &r) { m_backend.finishGet(op, id, r); };
    // 1. Look in the cache.
    m_backend.productCache().lookup(op, id, [this, op, id, answer](const CacheEntry &entry) {
        // A hit answers. On a miss the application does steps 2 and 3
        // itself (loadAndFill), guarded against penetration and stampedes.
        m_backend.missProtection().resolve(
            op, id, entry, [this](const OperationPtr &op, qint64 id, LoadDone done) { loadAndFill(op, id, done); },
            answer);
    });
}

void CacheAsideStrategy::loadAndFill(const OperationPtr &op, qint64 id, LoadDone done)
{
    QElapsedTimer clock;
    clock.start();
    // 2. The application reads the row from SQLite ...
    m_backend.tracedStore().get(op, id, [this, op, id, clock, done = std::move(done)](const StoreResult &row) {
        // 3. ... and puts it into the cache (or remembers that it does not exist).
        m_backend.productCache().fillFrom(op, id, row, clock.elapsed(), done);
    });
}

void CacheAsideStrategy::save(const OperationPtr &op, const ProductEdit &edit)
{
    // 1. Commit, 2. invalidate. (A new id may have a negative entry: the
    // invalidation drops that too.)
    commitThenInvalidate(op, edit);
}

void CacheAsideStrategy::remove(const OperationPtr &op, qint64 id)
{
    deleteThenInvalidate(op, id);
}
