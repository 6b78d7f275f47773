// The raw wb-write command the write-behind baselines send: the very script
// CacheLab runs, for one write, as an update with SQLite's version given.
#pragma once

#include <QByteArray>
#include <QList>

class CacheKeys;

namespace WbScript {
/// EVALSHA wb-write for one update of `id` (db_version "1", no expected version).
QList<QByteArray> update(const CacheKeys &keys, qint64 id, const QByteArray &name, const QByteArray &price,
    const QByteArray &stamp);
} // namespace WbScript

class BenchServer;
class QString;

namespace WbScript {
/// The one-script-per-write ceiling: n updates over idCount ids sent as
/// separate wb-write calls over raw hiredis, `window` in flight, no service,
/// no trace, no SQLite, on `keys` (deleted first). Updates per second; 0
/// with *error on failure.
double rawCeiling(BenchServer *server, const CacheKeys &keys, qint64 n, qint64 idCount, int window, QString *error);
} // namespace WbScript
