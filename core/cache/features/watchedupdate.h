// WatchedUpdate: the article's "update with a Redis transaction", done right.
//
// SQLite is written first, and its result checked (the article wrote Redis
// first and ignored the SQL error). Then one WATCH/MULTI/EXEC sets the
// product hash and its TTL together, and refuses to overwrite a hash that
// holds a newer version, an unflushed write-behind value or a newer guard.
// When the transaction loses every WATCH race or Redis fails, the key is
// invalidated instead. It is CacheStrategy::updateInTransaction; "none" and
// write-behind override that (write-behind's queued write is one script).
#pragma once

#include "operation.h"

#include <QString>

class CacheBackend;

class WatchedUpdate final
{
public:
    explicit WatchedUpdate(CacheBackend &backend);

    /// expectedVersion > 0 makes the SQL write a compare-and-set (Conflict
    /// when stale). name is already validated and trimmed.
    void run(const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion);

private:
    void updateCache(const OperationPtr &op, const Product &product, const ServiceResult &result);

    CacheBackend &m_backend;
};
