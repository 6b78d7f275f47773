// CacheAsideStrategy: the application drives the cache itself (lazy loading).
#include "cacheasidestrategy.h"

#include "cachebackend.h"

CacheAsideStrategy::CacheAsideStrategy(CacheBackend &backend)
    : CacheStrategy(backend)
{ }

void CacheAsideStrategy::get(const OperationPtr &op, qint64 id)
{
    // The app asks Redis, and on a miss it reads SQLite and fills the hash
    // itself (with the configured stampede protection).
    m_backend.readThrough(
        op, id, m_backend.dbLoader(), [this, op, id](const LoadResult &r) { m_backend.finishGet(op, id, r); });
}

void CacheAsideStrategy::list(const OperationPtr &op)
{
    m_backend.dbList(op, [op](const StoreResult &r) { op->finish(CacheBackend::fromStore(r)); });
}

void CacheAsideStrategy::create(const OperationPtr &op, const QString &name, qint64 price)
{
    // A new id may have a negative-cache entry: the invalidation drops it.
    m_backend.newProductCall(op, name, price, [this, op](const CacheBackend::WriteCall &call) {
        m_backend.writeThenInvalidate(op, QStringLiteral("INSERT product"), call, false);
    });
}

void CacheAsideStrategy::update(
    const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
{
    m_backend.writeThenInvalidate(op, QStringLiteral("UPDATE product %1").arg(id),
        CacheBackend::updateCall(id, name, price, expectedVersion), false);
}

void CacheAsideStrategy::upsert(const OperationPtr &op, qint64 id, const QString &name, qint64 price)
{
    m_backend.writeThenInvalidate(
        op, QStringLiteral("UPSERT product %1").arg(id), CacheBackend::upsertCall(id, name, price), false);
}

void CacheAsideStrategy::remove(const OperationPtr &op, qint64 id)
{
    m_backend.writeThenInvalidate(op, QStringLiteral("DELETE product %1").arg(id), CacheBackend::removeCall(id), true);
}
