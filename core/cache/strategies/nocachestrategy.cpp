// NoCacheStrategy: read SQLite, write SQLite.
#include "nocachestrategy.h"

#include "cachebackend.h"

NoCacheStrategy::NoCacheStrategy(CacheBackend &backend)
    : CacheStrategy(backend)
{ }

void NoCacheStrategy::get(const OperationPtr &op, qint64 id)
{
    // Read the row. That is all.
    m_backend.tracedStore().get(op, id, [op](const StoreResult &r) { op->finish(CacheBackend::fromStore(r)); });
}

// Writes: SQLite only, as far as this strategy goes. A copy another
// strategy cached earlier is still dropped afterwards (and the version
// claimed): a switch back to a caching strategy must not find it.
void NoCacheStrategy::save(const OperationPtr &op, const ProductEdit &edit)
{
    commitThenInvalidate(op, edit);
}

void NoCacheStrategy::remove(const OperationPtr &op, qint64 id)
{
    deleteThenInvalidate(op, id);
}

void NoCacheStrategy::updateInTransaction(const OperationPtr &op, const ProductEdit &edit)
{
    op->note(QStringLiteral("strategy none: SQLite only"));
    save(op, edit);
}
