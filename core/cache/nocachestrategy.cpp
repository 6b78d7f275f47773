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

// Writes: SQLite only, as far as this strategy goes. A copy another
// strategy cached earlier is still dropped afterwards (and the version
// claimed): a switch back to a caching strategy must not find it.
void NoCacheStrategy::create(const OperationPtr &op, const QString &name, qint64 price)
{
    m_backend.newProductCall(op, name, price, [this, op](const CacheBackend::WriteCall &call) {
        m_backend.writeThenInvalidate(op, QStringLiteral("INSERT product"), call, false);
    });
}

void NoCacheStrategy::update(
    const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
{
    m_backend.writeThenInvalidate(op, QStringLiteral("UPDATE product %1").arg(id),
        CacheBackend::updateCall(id, name, price, expectedVersion), false);
}

void NoCacheStrategy::upsert(const OperationPtr &op, qint64 id, const QString &name, qint64 price)
{
    m_backend.writeThenInvalidate(
        op, QStringLiteral("UPSERT product %1").arg(id), CacheBackend::upsertCall(id, name, price), false);
}

void NoCacheStrategy::remove(const OperationPtr &op, qint64 id)
{
    m_backend.writeThenInvalidate(op, QStringLiteral("DELETE product %1").arg(id), CacheBackend::removeCall(id), true);
}
