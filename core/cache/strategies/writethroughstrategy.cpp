// WriteThroughStrategy: SQLite commit, then the cache set, both before success.
#include "writethroughstrategy.h"
#include "versionedwrites.h"
#include "writeinvalidation.h"

#include "cachescripts.h"

WriteThroughStrategy::WriteThroughStrategy(CacheBackend &backend)
    : CacheStrategy(backend)
    , m_cache(backend, backend.dbLoader())
{ }

void WriteThroughStrategy::get(const OperationPtr &op, qint64 id)
{
    m_cache.get(op, id, [this, op, id](const LoadResult &r) { m_backend.finishGet(op, id, r); });
}

namespace {
// 1. Commit; 2. set the cache; 3. answer. If Redis is down (or the set
// fails), the old cached copy would lie, so it is invalidated instead.
void commitThenSet(CacheBackend &backend, ReadThroughCache &cache, const OperationPtr &op, const QString &what,
    const VersionedWrites::WriteCall &call)
{
    backend.writes().write(op, what, call, false, [&backend, &cache, op](const StoreResult &r) {
        ServiceResult res = CacheBackend::fromStore(r);
        if (!r.ok() || !r.product) {
            op->finish(res);
            return;
        }
        const Product p = *r.product;
        if (!backend.cacheUp()) {
            backend.invalidation().afterWrite(op, p.id, p.version, [op, res](qint64) { op->finish(res); });
            return;
        }
        cache.put(op, p, [&backend, op, p, res](bool filled) {
            if (filled || op->trace.hasStep(TraceOutcome::StaleSkip)) {
                // Other instances (other prefixes) drop their copies.
                backend.host().publishInvalidation({ p.id }, { p.version }, false);
                op->finish(res);
                return;
            }
            backend.invalidation().afterWrite(op, p.id, p.version, [op, res](qint64) { op->finish(res); });
        });
    });
}
} // namespace

void WriteThroughStrategy::save(const OperationPtr &op, const ProductEdit &edit)
{
    m_backend.writes().prepare(op, edit, [this, op](const QString &what, const VersionedWrites::WriteCall &call) {
        commitThenSet(m_backend, m_cache, op, what, call);
    });
}

void WriteThroughStrategy::remove(const OperationPtr &op, qint64 id)
{
    deleteThenInvalidate(op, id);
}
