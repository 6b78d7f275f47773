// RecentProducts: the "recently viewed" list with its products.
//
// The ids are the recent list in Redis (LRANGE, after the batched views were
// sent); the products come from their cached hashes in one pipelined round
// trip, and only the ids whose hash is missing are loaded and filled. The
// list lives only in Redis: under "none" or without Redis the call answers
// an empty list with a warning.
#pragma once

#include "operation.h"

class CacheBackend;

class RecentProducts final
{
public:
    explicit RecentProducts(CacheBackend &backend);

    /// The last recentLimit distinct ids viewed, newest first, with their products.
    void run(const OperationPtr &op);

private:
    void readHashes(const OperationPtr &op, const QList<qint64> &ids);

    CacheBackend &m_backend;
};
