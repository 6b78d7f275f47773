// KeyspaceEvent: one Redis keyspace notification, typed.
//
// Produced by KeyspaceWatcher from "__keyspace@N__:key" (payload = event) or
// "__keyevent@N__:event" (payload = key) messages.
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QMetaType>
#include <QString>

struct KeyspaceEvent final
{
    QDateTime timestamp; ///< UTC, when this process received it
    int db = 0;
    QString event; ///< "expired", "evicted", "set", "del", "hset", "lpush", "expire", ...
    QByteArray key; ///< binary safe

    bool operator==(const KeyspaceEvent &o) const { return db == o.db && event == o.event && key == o.key; }
};

Q_DECLARE_METATYPE(KeyspaceEvent)
