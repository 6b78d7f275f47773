// CacheStrategy: the parts more than one strategy shares.
#include "cachestrategy.h"

#include "cachebackend.h"

void CacheStrategy::list(const OperationPtr &op)
{
    m_backend.tracedStore().list(op, [op](const StoreResult &r) { op->finish(CacheBackend::fromStore(r)); });
}

void CacheStrategy::updateInTransaction(const OperationPtr &op, const ProductEdit &edit)
{
    m_watchedUpdate.run(op, edit.id, edit.name, edit.price, edit.expectedVersion);
}

void CacheStrategy::commitThenInvalidate(const OperationPtr &op, const ProductEdit &edit)
{
    m_backend.prepareWrite(op, edit, [this, op](const QString &what, const CacheBackend::WriteCall &call) {
        m_backend.writeThenInvalidate(op, what, call, false);
    });
}

void CacheStrategy::deleteThenInvalidate(const OperationPtr &op, qint64 id)
{
    m_backend.writeThenInvalidate(op, QStringLiteral("DELETE product %1").arg(id), CacheBackend::removeCall(id), true);
}
