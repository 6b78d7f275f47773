// EventExport: one CSV row per keyspace event.
#include "eventexport.h"

#include "csvwriter.h"

QStringList EventExport::csvColumns()
{
    return { QStringLiteral("time"), QStringLiteral("db"), QStringLiteral("event"), QStringLiteral("key") };
}

QString EventExport::toCsv(const QList<KeyspaceEvent> &events)
{
    CsvWriter csv(csvColumns());
    for (const KeyspaceEvent &e : events) {
        csv.addRow({ e.timestamp.toUTC().toString(Qt::ISODateWithMs), QString::number(e.db), e.event,
            QString::fromUtf8(e.key) });
    }
    return csv.text();
}
