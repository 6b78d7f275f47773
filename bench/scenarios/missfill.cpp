// miss-fill: cold reads that fill the cache (see missfill.h).
#include "missfill.h"

#include "benchloop.h"
#include "benchserver.h"
#include "productservice.h"

#include <QDir>
#include <QElapsedTimer>

#include <hiredis/hiredis.h>
#include <sqlite3.h>

QString MissFillScenario::description() const
{
    return QStringLiteral(
        "cold ProductService::get: miss, SQLite read, atomic fill | raw hiredis + sqlite3 C API, same steps");
}

bool MissFillScenario::setUp(const BenchContext &ctx, QString *error)
{
    m_ctx = ctx;
    const QString db = QDir(ctx.workDir).filePath(QStringLiteral("miss.sqlite"));
    if (!m_fixture.openDatabase(db, ctx.n, error))
        return false;
    m_fixture.setSettingsOverride(ctx.settings);
    if (!m_fixture.startService(ctx.server->url(), StrategyKind::CacheAside, error))
        return false;
    m_fixture.applySettings([](CacheSettings &s) { s.ttlSeconds = 3600; });
    if (!m_raw.connect(ctx.server->url(), error) || !m_sql.open(db, error))
        return false;
    return m_select.prepare(
        m_sql.handle(), "SELECT id, name, price, version, updated_at FROM products WHERE id = ?", error);
}

bool MissFillScenario::flushRedis(QString *error)
{
    if (!m_raw.exec({ QByteArrayLiteral("FLUSHDB") })) {
        *error = m_raw.lastError();
        return false;
    }
    return true;
}

Sample MissFillScenario::runBaseline(int)
{
    QString error;
    if (!flushRedis(&error))
        return Sample::failed(error);
    const QByteArray ttlMs = QByteArray::number(3600 * 1000);
    sqlite3_stmt *st = m_select.get();
    QElapsedTimer clock;
    clock.start();
    for (qint64 id = 1; id <= m_ctx.n; ++id) {
        const QByteArray key = QByteArrayLiteral("product:") + QByteArray::number(id);
        // 1. Ask Redis: a miss.
        RawReplyPtr r = m_raw.command({ QByteArrayLiteral("HGETALL"), key });
        if (!r || r->type != REDIS_REPLY_ARRAY)
            return Sample::failed(QStringLiteral("HGETALL: %1").arg(m_raw.lastError()));
        if (r->elements != 0)
            return Sample::failed(QStringLiteral("%1 was not cold").arg(QString::fromLatin1(key)));
        // 2. Read the row.
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) != SQLITE_ROW)
            return Sample::failed(QStringLiteral("SELECT id %1: %2").arg(id).arg(m_sql.lastError()));
        const auto text = [st](int col) {
            return QByteArray(
                reinterpret_cast<const char *>(sqlite3_column_text(st, col)), sqlite3_column_bytes(st, col));
        };
        // 3. Fill atomically: MULTI HSET PEXPIRE EXEC in one write.
        m_raw.append({ QByteArrayLiteral("MULTI") });
        m_raw.append({ QByteArrayLiteral("HSET"), key, QByteArrayLiteral("id"), QByteArray::number(id),
            QByteArrayLiteral("name"), text(1), QByteArrayLiteral("price"), text(2), QByteArrayLiteral("version"),
            text(3), QByteArrayLiteral("updated_at"), text(4) });
        m_raw.append({ QByteArrayLiteral("PEXPIRE"), key, ttlMs });
        m_raw.append({ QByteArrayLiteral("EXEC") });
        for (int i = 0; i < 4; ++i) {
            RawReplyPtr x = m_raw.read();
            if (!x || x->type == REDIS_REPLY_ERROR)
                return Sample::failed(QStringLiteral("fill of %1 failed").arg(QString::fromLatin1(key)));
        }
    }
    return Sample::throughput(m_ctx.n, double(clock.nsecsElapsed()) / 1e9);
}

Sample MissFillScenario::runCacheLab(int)
{
    QString error;
    if (!flushRedis(&error))
        return Sample::failed(error);
    ProductService *service = m_fixture.service();
    qint64 next = 1;
    qint64 done = 0;
    qint64 hits = 0;
    QString failure;
    QElapsedTimer clock;
    std::function<void(const std::function<void()> &)> issue;
    const bool finished = BenchLoop::runLoop(
        [&](const std::function<void()> &quit) {
            clock.start();
            issue = [&, quit](const std::function<void()> &) {
                service->get(next++, nullptr, [&, quit](const ServiceResult &r) {
                    if (!r.ok()) {
                        failure = QStringLiteral("get: %1 %2").arg(serviceStatusName(r.status), r.error);
                        quit();
                        return;
                    }
                    if (r.fromCache)
                        ++hits;
                    if (++done == m_ctx.n) {
                        quit();
                        return;
                    }
                    issue(quit);
                });
            };
            issue(quit);
        },
        600000);
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    if (!failure.isEmpty())
        return Sample::failed(failure);
    if (!finished)
        return Sample::failed(QStringLiteral("timed out after %1 of %2 gets").arg(done).arg(m_ctx.n));
    // Every key must now be filled, or the run measured something else.
    qint64 keys = 0;
    m_raw.exec({ QByteArrayLiteral("DBSIZE") }, nullptr, &keys);
    Sample s = Sample::throughput(done, seconds);
    s.extra.insert(QStringLiteral("unexpected_hits"), hits);
    s.extra.insert(QStringLiteral("keys_after"), keys);
    return s;
}

void MissFillScenario::tearDown()
{
    m_select.finalize();
    m_sql.close();
    m_raw.close();
    m_fixture.shutdown();
}
