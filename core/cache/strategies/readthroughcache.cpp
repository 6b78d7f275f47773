// ReadThroughCache: look up; on a miss the cache's own loader, then the fill.
#include "readthroughcache.h"

#include "missprotection.h"

ReadThroughCache::ReadThroughCache(CacheBackend &backend, Loader loader)
    : m_cache(backend.productCache())
    , m_guard(backend.missProtection())
    , m_loader(std::move(loader))
{ }

void ReadThroughCache::get(const OperationPtr &op, qint64 id, LoadDone then)
{
    op->note(QStringLiteral("read-through cache: get(%1)").arg(id));
    m_cache.lookup(op, id, [this, op, id, then = std::move(then)](const CacheEntry &entry) {
        // On a miss the cache runs its own loader and fills itself.
        m_guard.resolve(
            op, id, entry, [this](const OperationPtr &op, qint64 id, LoadDone done) {
                m_cache.loadThenFill(op, id, m_loader, std::move(done));
            },
            then);
    });
}

void ReadThroughCache::put(const OperationPtr &op, const Product &product, std::function<void(bool)> then)
{
    m_cache.fill(op, product, 0, std::move(then));
}
