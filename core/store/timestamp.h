// Timestamp: the one text form of updated_at, "yyyy-MM-ddTHH:mm:ss.zzzZ".
//
// SQLite stores it (the schema's default writes the same layout) and the
// cache copies it into every product hash, so it is read on every cache hit
// and every miss and written on every write. QDateTime's ISO conversions
// cost more than the rest of such a call, so this layout is handled by hand;
// any other text goes through QDateTime::fromString and is turned to UTC.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>

namespace Timestamp {

/// A UTC QDateTime; invalid when the text is no ISO 8601 date-time.
QDateTime parseUtc(QByteArrayView text);
/// The same text as when.toUTC().toString(Qt::ISODateWithMs); empty when invalid.
QByteArray formatUtc(const QDateTime &when);

} // namespace Timestamp
