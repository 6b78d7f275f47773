// EventExport: keyspace events as CSV, one row per event, oldest first as
// given: time (UTC, ISO 8601 with milliseconds), database, event, key.
//
// Keys are binary safe in Redis; the CSV holds them as UTF-8 text (bytes
// that are not valid UTF-8 become U+FFFD, as they do in the Events panel).
#pragma once

#include "keyspaceevent.h"

#include <QList>
#include <QStringList>

class EventExport final
{
public:
    static QStringList csvColumns();
    static QString toCsv(const QList<KeyspaceEvent> &events);
};
