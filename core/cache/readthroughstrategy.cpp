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
    m_backend.writeThenInvalidate(op, QStringLiteral("INSERT product"), CacheBackend::createCall(name, price), false);
}

void ReadThroughStrategy::update(
    const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
{
    m_backend.writeThenInvalidate(op, QStringLiteral("UPDATE product %1").arg(id),
        CacheBackend::updateCall(id, name, price, expectedVersion), false);
}

void ReadThroughStrategy::remove(const OperationPtr &op, qint64 id)
{
    m_backend.writeThenInvalidate(op, QStringLiteral("DELETE product %1").arg(id), CacheBackend::removeCall(id), true);
}
