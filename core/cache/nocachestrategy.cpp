// NoCacheStrategy: SQLite only, the number a teacher compares against.
#include "nocachestrategy.h"

#include "cachebackend.h"

NoCacheStrategy::NoCacheStrategy(CacheBackend &backend)
    : CacheStrategy(backend)
{ }

void NoCacheStrategy::get(const OperationPtr &op, qint64 id)
{
    m_backend.dbGet(op, id, [op](const StoreResult &r) { op->finish(CacheBackend::fromStore(r)); });
}

void NoCacheStrategy::list(const OperationPtr &op)
{
    m_backend.dbList(op, [op](const StoreResult &r) { op->finish(CacheBackend::fromStore(r)); });
}

void NoCacheStrategy::create(const OperationPtr &op, const QString &name, qint64 price)
{
    m_backend.sql(op, true, QStringLiteral("INSERT product"), CacheBackend::createCall(name, price),
        [op](const StoreResult &r) { op->finish(CacheBackend::fromStore(r)); });
}

void NoCacheStrategy::update(
    const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
{
    m_backend.sql(op, true, QStringLiteral("UPDATE product %1").arg(id),
        CacheBackend::updateCall(id, name, price, expectedVersion),
        [op](const StoreResult &r) { op->finish(CacheBackend::fromStore(r)); });
}

void NoCacheStrategy::remove(const OperationPtr &op, qint64 id)
{
    m_backend.sql(op, true, QStringLiteral("DELETE product %1").arg(id), CacheBackend::removeCall(id),
        [op](const StoreResult &r) {
            ServiceResult res = CacheBackend::fromStore(r);
            res.product.reset();
            op->finish(res);
        });
}
