// ReadThroughStrategy: reads only through the ReadThroughCache object.
#include "readthroughstrategy.h"

ReadThroughStrategy::ReadThroughStrategy(CacheBackend &backend)
    : CacheStrategy(backend)
    , m_cache(backend, backend.dbLoader())
{ }

void ReadThroughStrategy::get(const OperationPtr &op, qint64 id)
{
    m_cache.get(op, id, [this, op, id](const LoadResult &r) { m_backend.finishGet(op, id, r); });
}

void ReadThroughStrategy::list(const OperationPtr &op)
{
    m_backend.dbList(op, [op](const StoreResult &r) { op->finish(CacheBackend::fromStore(r)); });
}

void ReadThroughStrategy::create(const OperationPtr &op, const QString &name, qint64 price)
{
    // A new id may have a negative-cache entry: the invalidation drops it.
    m_backend.newProductCall(op, name, price, [this, op](const CacheBackend::WriteCall &call) {
        m_backend.writeThenInvalidate(op, QStringLiteral("INSERT product"), call, false);
    });
}

void ReadThroughStrategy::update(
    const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
{
    m_backend.writeThenInvalidate(op, QStringLiteral("UPDATE product %1").arg(id),
        CacheBackend::updateCall(id, name, price, expectedVersion), false);
}

void ReadThroughStrategy::upsert(const OperationPtr &op, qint64 id, const QString &name, qint64 price)
{
    m_backend.writeThenInvalidate(
        op, QStringLiteral("UPSERT product %1").arg(id), CacheBackend::upsertCall(id, name, price), false);
}

void ReadThroughStrategy::remove(const OperationPtr &op, qint64 id)
{
    m_backend.writeThenInvalidate(op, QStringLiteral("DELETE product %1").arg(id), CacheBackend::removeCall(id), true);
}
