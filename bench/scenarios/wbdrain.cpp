// wb-drain: write-behind until SQLite has it all (see wbdrain.h).
#include "wbdrain.h"

#include "benchloop.h"
#include "benchserver.h"
#include "cachekeys.h"
#include "cachescripts.h"
#include "productfixture.h"
#include "productservice.h"
#include "rawredis.h"
#include "sqlitedb.h"
#include "wbscript.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>

#include <hiredis/hiredis.h>
#include <sqlite3.h>

namespace {
// The repository's write-behind statement (DatabaseWorker::applyVersioned).
constexpr const char *UpsertSql = "INSERT INTO products (id, name, price, version, updated_at) VALUES (?, ?, ?, ?, ?) "
                                  "ON CONFLICT (id) DO UPDATE SET name = excluded.name, price = excluded.price, "
                                  "version = excluded.version, updated_at = excluded.updated_at "
                                  "WHERE excluded.version > products.version";
} // namespace

QString WbDrainScenario::description() const
{
    return QStringLiteral(
        "N updates over N/10 ids via write-behind until SQLite has all | final rows upserted, sqlite3 C API, "
        "batched");
}

bool WbDrainScenario::setUp(const BenchContext &ctx, QString *error)
{
    m_ctx = ctx;
    m_template = QDir(ctx.workDir).filePath(QStringLiteral("wb-template.sqlite"));
    ProductFixture seed;
    if (!seed.openDatabase(m_template, ids(), error))
        return false;
    seed.shutdown(); // closes the connection: the WAL is checkpointed into the file
    return true;
}

bool WbDrainScenario::freshCopy(const QString &name, QString *path, QString *error) const
{
    *path = QDir(m_ctx.workDir).filePath(name);
    for (const QString &suffix : { QString(), QStringLiteral("-wal"), QStringLiteral("-shm") })
        QFile::remove(*path + suffix);
    if (!QFile::copy(m_template, *path)) {
        *error = QStringLiteral("cannot copy %1 to %2").arg(m_template, *path);
        return false;
    }
    if (QFile::exists(m_template + QStringLiteral("-wal")))
        QFile::copy(m_template + QStringLiteral("-wal"), *path + QStringLiteral("-wal"));
    return true;
}

Sample WbDrainScenario::runBaseline(int round)
{
    QString path;
    QString error;
    if (!freshCopy(QStringLiteral("wb-base-%1.sqlite").arg(round), &path, &error))
        return Sample::failed(error);
    SqliteDb db;
    SqliteStatement upsert;
    if (!db.open(path, &error) || !upsert.prepare(db.handle(), UpsertSql, &error))
        return Sample::failed(error);

    // The final state: for each id its last update k, and the version it
    // reaches (1 + the number of updates it got).
    const qint64 n = m_ctx.n;
    const qint64 idCount = ids();
    const QByteArray stamp = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
    QElapsedTimer clock;
    clock.start();
    sqlite3_stmt *st = upsert.get();
    for (qint64 first = 0; first < idCount; first += SqlBatch) {
        if (!db.exec("BEGIN IMMEDIATE", &error))
            return Sample::failed(error);
        for (qint64 i = first; i < std::min(idCount, first + SqlBatch); ++i) {
            const qint64 id = i + 1;
            const qint64 lastK = i + idCount * ((n - 1 - i) / idCount);
            const qint64 updates = (n - 1 - i) / idCount + 1;
            const QByteArray name = QByteArrayLiteral("p") + QByteArray::number(lastK);
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_text(st, 2, name.constData(), int(name.size()), SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 3, lastK);
            sqlite3_bind_int64(st, 4, 1 + updates);
            sqlite3_bind_text(st, 5, stamp.constData(), int(stamp.size()), SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                return Sample::failed(QStringLiteral("upsert %1: %2").arg(id).arg(db.lastError()));
        }
        if (!db.exec("COMMIT", &error))
            return Sample::failed(error);
    }
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    const QByteArray check = "SELECT count(*) FROM products WHERE price >= " + QByteArray::number(finalPriceFloor());
    const qint64 rows = db.scalar(check.constData());
    if (rows != idCount)
        return Sample::failed(QStringLiteral("baseline left %1 of %2 final rows").arg(rows).arg(idCount));
    Sample s = Sample::throughput(n, seconds);
    s.extra.insert(QStringLiteral("rows"), rows);
    return s;
}

double WbDrainScenario::redisCeiling(QString *error) const
{
    if (!m_ctx.server->flush(error))
        return 0;
    return WbScript::rawCeiling(m_ctx.server, CacheKeys(), m_ctx.n, ids(), Window, error);
}

Sample WbDrainScenario::runCacheLab(int round)
{
    QString path;
    QString error;
    const double ceiling = redisCeiling(&error);
    if (ceiling <= 0)
        return Sample::failed(error);
    if (!freshCopy(QStringLiteral("wb-lab-%1.sqlite").arg(round), &path, &error) || !m_ctx.server->flush(&error))
        return Sample::failed(error);

    ProductFixture fixture;
    fixture.setSettingsOverride(m_ctx.settings);
    if (!fixture.openDatabase(path, 0, &error)
        || !fixture.startService(m_ctx.server->url(), StrategyKind::WriteBehind, &error))
        return Sample::failed(error);
    // The teaching defaults (100 items a second) would take 1,000 s: a
    // production-like worker flushes big batches back to back.
    fixture.applySettings([](CacheSettings &s) {
        s.writeBehindBatchSize = 1000;
        s.writeBehindFlushIntervalMs = 10;
    });
    SqliteDb reader;
    if (!reader.open(path, &error))
        return Sample::failed(error);
    const QByteArray check = "SELECT count(*) FROM products WHERE price >= " + QByteArray::number(finalPriceFloor());

    ProductService *service = fixture.service();
    const qint64 n = m_ctx.n;
    const qint64 idCount = ids();
    qint64 issued = 0;
    qint64 accepted = 0;
    QString failure;
    std::function<void()> issue = [&] {
        const qint64 k = issued++;
        service->update(1 + k % idCount, QStringLiteral("p%1").arg(k), k, 0, nullptr, [&](const ServiceResult &r) {
            if (!r.ok() && failure.isEmpty())
                failure = QStringLiteral("update: %1 %2").arg(serviceStatusName(r.status), r.error);
            ++accepted;
            if (issued < n && failure.isEmpty())
                issue();
        });
    };

    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < Window && issued < n; ++i)
        issue();
    qint64 acceptedMs = -1;
    qint64 lastPoll = -100;
    qint64 rows = 0;
    const bool done = BenchLoop::waitUntil(
        [&] {
            if (!failure.isEmpty())
                return true;
            if (accepted < n)
                return false;
            if (acceptedMs < 0)
                acceptedMs = clock.elapsed();
            if (clock.elapsed() - lastPoll < 20)
                return false;
            lastPoll = clock.elapsed();
            rows = reader.scalar(check.constData());
            return rows == idCount;
        },
        900000);
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    if (!failure.isEmpty())
        return Sample::failed(failure);
    if (!done)
        return Sample::failed(QStringLiteral("SQLite holds %1 of %2 final rows after %3 s (queue %4)")
                                  .arg(rows)
                                  .arg(idCount)
                                  .arg(seconds, 0, 'f', 1)
                                  .arg(service->queueDepth()));
    const MetricsSnapshot m = service->metrics();
    Sample s = Sample::throughput(n, seconds);
    s.extra.insert(QStringLiteral("accepted_seconds"), double(acceptedMs) / 1000.0);
    s.extra.insert(QStringLiteral("redis_ceiling_ops_s"), ceiling);
    s.extra.insert(QStringLiteral("coalesced_writes"), qint64(m.writeBehindCoalesced));
    s.extra.insert(QStringLiteral("flushed_items"), qint64(m.writeBehindFlushed));
    s.extra.insert(QStringLiteral("db_writes"), qint64(m.dbWrites));
    s.extra.insert(QStringLiteral("db_reads"), qint64(m.dbReads));
    s.extra.insert(QStringLiteral("redis_commands"), qint64(m.redisCommands));
    reader.close();
    fixture.shutdown();
    return s;
}

Evaluation WbDrainScenario::evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const
{
    Evaluation e = Scenario::evaluate(baseline, cachelab);
    const QString key = QStringLiteral("redis_ceiling_ops_s");
    const double bound = addBound(e, baseline, cachelab, key, QStringLiteral("ceiling_ratio"));
    e.notes << QStringLiteral("Redis alone: %1 k/s = ratio %2 at most")
                   .arg(e.fields.value(key).toDouble() / 1000, 0, 'f', 0)
                   .arg(bound, 0, 'f', 2);
    return e;
}
