// CacheStrategy: the parts more than one strategy shares.
#include "cachestrategy.h"

#include "cachebackend.h"
#include "cachescripts.h"
#include "writeinvalidation.h"
#include "versionedwrites.h"

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
    m_backend.writes().prepare(op, edit, [this, op](const QString &what, const VersionedWrites::WriteCall &call) {
        // 1. commit the row in SQLite
        m_backend.writes().write(op, what, call, false, [this, op](const StoreResult &r) {
            ServiceResult res = CacheBackend::fromStore(r);
            if (!r.ok() || !r.product || r.product->id <= 0) {
                op->finish(res);
                return;
            }
            // 2. delete the cached copy, guarded by the new version
            m_backend.invalidation().afterWrite(
                op, r.product->id, r.product->version, [op, res](qint64) { op->finish(res); });
        });
    });
}

void CacheStrategy::deleteThenInvalidate(const OperationPtr &op, qint64 id)
{
    // 1. delete the row in SQLite
    m_backend.writes().write(op, QStringLiteral("DELETE product %1").arg(id), VersionedWrites::removeCall(id), true,
        [this, op](const StoreResult &r) {
            ServiceResult res = CacheBackend::fromStore(r);
            if (!r.ok() || !r.product || r.product->id <= 0) {
                op->finish(res);
                return;
            }
            res.product.reset();
            // 2. delete the cached copy and leave the deleted-guard
            m_backend.invalidation().afterWrite(
                op, r.product->id, CacheScripts::DeletedGuard, [op, res](qint64) { op->finish(res); });
        });
}
