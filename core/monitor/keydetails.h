// KeyDetails: what the key browser knows about one Redis key beyond its name.
//
// Fetched by KeyScanner in pipelined batches (TYPE, PTTL, MEMORY USAGE) and
// applied to KeyTableModel. A plain value, cheap to queue.
#pragma once

#include <QByteArray>
#include <QList>
#include <QMetaType>

struct KeyDetails final
{
    QByteArray key;
    QByteArray type; ///< "string", "hash", "list", "set", "zset", "stream", "none" (gone)
    qint64 pttlMs = -1; ///< -1 no TTL, -2 key does not exist
    qint64 sizeBytes = -1; ///< MEMORY USAGE, -1 unknown
};

Q_DECLARE_METATYPE(KeyDetails)
