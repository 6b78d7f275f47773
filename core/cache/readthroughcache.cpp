// ReadThroughCache: lookup, then the loader on a miss.
#include "readthroughcache.h"

void ReadThroughCache::get(const OperationPtr &op, qint64 id, std::function<void(const LoadResult &)> then)
{
    op->note(QStringLiteral("read-through cache: get(%1)").arg(id));
    m_backend.readThrough(op, id, m_loader, std::move(then));
}

void ReadThroughCache::put(const OperationPtr &op, const Product &product, std::function<void(bool)> then)
{
    m_backend.fill(op, product, 0, std::move(then));
}
