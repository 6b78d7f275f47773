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

void ReadThroughStrategy::save(const OperationPtr &op, const ProductEdit &edit)
{
    commitThenInvalidate(op, edit);
}

void ReadThroughStrategy::remove(const OperationPtr &op, qint64 id)
{
    deleteThenInvalidate(op, id);
}
