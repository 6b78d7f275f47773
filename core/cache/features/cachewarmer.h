// CacheWarmer: loads every product into the cache ahead of the first reads.
//
// One SQL list, then the fill script for warmUpBatchSize products at a time
// in one pipeline, so memory stays bounded on both sides. Each fill is the
// ordinary compare-and-set fill: it never overwrites a newer cached version.
#pragma once

#include "operation.h"

#include <memory>

class CacheBackend;

class CacheWarmer final
{
public:
    explicit CacheWarmer(CacheBackend &backend);

    /// count = products filled; products = every product read.
    void run(const OperationPtr &op);

private:
    void fillBatch(const OperationPtr &op, const std::shared_ptr<const QList<Product>> &products, qsizetype from,
        qint64 loadMs, const std::shared_ptr<qint64> &filled);

    CacheBackend &m_backend;
};
