// Tests for CacheBackend's protections, through ProductService: stampede
// protection (200 concurrent gets of one cold key load SQLite once under
// single-flight and under the Redis lock; many times with it off), the
// lock's compare-and-delete release, XFetch early refresh, and the stale-set
// race (a slow reader filling old data after a delete or an update),
// reproduced with the guard off and shown prevented with it on.
#include "cachefixture.h"
#include "cachekeys.h"
#include "cachescripts.h"
#include "operationtrace.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace CacheTest;

class TestCacheBackend final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;
    std::unique_ptr<Env> m_env;

    ProductService &svc() { return *m_env->service; }
    ProductRepository &repo() { return *m_env->repo; }
    qint64 exists(const QByteArray &key) const { return m_server->syncInteger({ "EXISTS", key }); }

    std::optional<ServiceResult> get(qint64 id)
    {
        return await([&](QObject *c, ServiceCallback cb) { svc().get(id, c, cb); });
    }

    void setStampede(StampedeMode mode)
    {
        CacheSettings s = svc().settings();
        s.stampede = mode;
        svc().setSettings(s);
    }

private slots:
    void initTestCase()
    {
        const QString error = startServer(m_server);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void init()
    {
        const QString error = freshEnv(*m_server, m_env);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void cleanup() { m_env.reset(); }
    void cleanupTestCase() { m_server.reset(); }

    void stampede_data()
    {
        QTest::addColumn<StampedeMode>("mode");
        QTest::addColumn<StrategyKind>("strategy");
        QTest::newRow("single-flight cache-aside") << StampedeMode::SingleFlight << StrategyKind::CacheAside;
        QTest::newRow("single-flight read-through") << StampedeMode::SingleFlight << StrategyKind::ReadThrough;
        QTest::newRow("lock cache-aside") << StampedeMode::RedisLock << StrategyKind::CacheAside;
        QTest::newRow("lock write-through") << StampedeMode::RedisLock << StrategyKind::WriteThrough;
    }

    void stampede()
    {
        QFETCH(StampedeMode, mode);
        QFETCH(StrategyKind, strategy);
        seed(repo(), 1);
        setStampede(mode);
        svc().setStrategy(strategy);
        svc().setArtificialDbLatency(50); // a slow load widens the window
        svc().resetMetrics();
        constexpr int N = 200;
        QList<ServiceResult> results;
        for (int i = 0; i < N; ++i)
            svc().get(1, this, [&](const ServiceResult &r) { results << r; });
        QTRY_COMPARE_WITH_TIMEOUT(results.size(), N, 20000);
        for (const ServiceResult &r : std::as_const(results)) {
            QVERIFY2(r.ok(), qPrintable(r.error));
            QCOMPARE(r.product->name, QStringLiteral("Item 1"));
        }
        const MetricsSnapshot m = svc().metrics();
        QCOMPARE(m.dbReads, 1u);
        QCOMPARE(m.fills, 1u);
        QCOMPARE(m.coalesced, quint64(N - 1));
        QCOMPARE(exists("product:1"), 1);
        QCOMPARE(exists("cachelab:lock:1"), 0); // released
        int withSql = 0;
        for (const ServiceResult &r : std::as_const(results))
            withSql += r.trace.count(TraceSystem::Sql);
        QCOMPARE(withSql, 1);
        svc().setArtificialDbLatency(0);
    }

    // Without protection the same burst hits the database many times: the
    // problem the modes above solve.
    void stampedeWithoutProtection()
    {
        seed(repo(), 1);
        setStampede(StampedeMode::Off);
        svc().setStrategy(StrategyKind::CacheAside);
        svc().setArtificialDbLatency(20);
        svc().resetMetrics();
        int done = 0;
        for (int i = 0; i < 50; ++i)
            svc().get(1, this, [&](const ServiceResult &) { ++done; });
        QTRY_COMPARE_WITH_TIMEOUT(done, 50, 20000);
        QVERIFY(svc().metrics().dbReads > 1);
        svc().setArtificialDbLatency(0);
    }

    // The lock is released only by its owner (compare-and-delete).
    void lockReleaseIsCompareAndDelete()
    {
        seed(repo(), 1);
        setStampede(StampedeMode::RedisLock);
        svc().setStrategy(StrategyKind::CacheAside);
        // Someone else holds the lock and never fills: the waiter gives up
        // after lockWaitMs and loads by itself, leaving the foreign lock alone.
        CacheSettings s = svc().settings();
        s.lockWaitMs = 200;
        svc().setSettings(s);
        m_server->syncString({ "SET", "cachelab:lock:1", "foreign-token", "PX", "60000" });
        const auto r = get(1);
        EXPECT_OK(r);
        QVERIFY(r->trace.hasStep(TraceOutcome::LockWait));
        QCOMPARE(m_server->syncString({ "GET", "cachelab:lock:1" }), QByteArray("foreign-token"));
        QCOMPARE(exists("product:1"), 1);
    }

    void xfetchRefreshesEarly()
    {
        seed(repo(), 1);
        CacheSettings s = svc().settings();
        s.stampede = StampedeMode::EarlyRefresh;
        s.xfetchBeta = 10.0;
        svc().setSettings(s);
        svc().setStrategy(StrategyKind::CacheAside);
        EXPECT_OK(get(1));
        // Far from expiry with a fast load: a plain hit.
        const auto hit = get(1);
        QCOMPARE(hit->trace.outcome, TraceOutcome::Hit);
        QVERIFY(!hit->trace.hasStep(TraceOutcome::EarlyRefresh));
        // Close to expiry with a slow recorded load: refresh now.
        const qint64 soon = QDateTime::currentMSecsSinceEpoch() + 200;
        m_server->syncInteger({ "HSET", "product:1", "expires_at", QByteArray::number(soon), "delta", "6000000" });
        const auto early = get(1);
        EXPECT_OK(early);
        QVERIFY(early->trace.hasStep(TraceOutcome::EarlyRefresh));
        QCOMPARE(early->trace.count(TraceSystem::Sql), 1);
        QVERIFY(early->trace.hasStep(TraceSystem::Redis, TraceOutcome::Fill));
        QVERIFY(m_server->syncInteger({ "PTTL", "product:1" }) > 50000);
    }

    void staleSetRace_data()
    {
        QTest::addColumn<bool>("guard");
        QTest::addColumn<bool>("deleteRace");
        QTest::newRow("delete, guard off (the bug)") << false << true;
        QTest::newRow("delete, guard on") << true << true;
        QTest::newRow("update, guard off (the bug)") << false << false;
        QTest::newRow("update, guard on") << true << false;
    }

    // Reader A misses and reads version 1 from SQLite; before A fills the
    // cache, writer B changes or deletes the row and invalidates. A's fill
    // then arrives late. Without the guard A's old data sits in the cache
    // (for a whole TTL); with it the fill is refused.
    void staleSetRace()
    {
        QFETCH(bool, guard);
        QFETCH(bool, deleteRace);
        seed(repo(), 1);
        CacheSettings s = svc().settings();
        s.staleSetGuard = guard;
        s.stampede = StampedeMode::Off;
        svc().setSettings(s);
        svc().setStrategy(StrategyKind::CacheAside);

        std::function<void()> heldFill;
        svc().setFillHook([&](qint64, std::function<void()> proceed) {
            if (!heldFill)
                heldFill = proceed;
            else
                proceed();
        });
        std::optional<ServiceResult> reader;
        svc().get(1, this, [&](const ServiceResult &r) { reader = r; });
        QTRY_VERIFY_WITH_TIMEOUT(bool(heldFill), WaitMs); // A has read version 1 and waits to fill

        std::optional<ServiceResult> writer;
        if (deleteRace)
            writer = await([&](QObject *c, ServiceCallback cb) { svc().remove(1, c, cb); });
        else
            writer
                = await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("New"), 2, 0, c, cb); });
        EXPECT_OK(writer);
        QCOMPARE(exists("product:1"), 0);

        heldFill(); // A's late fill
        QTRY_VERIFY_WITH_TIMEOUT(reader.has_value(), WaitMs);
        EXPECT_OK(reader);
        QCOMPARE(reader->product->version, 1); // A answers what it read; fine for a read that started first
        svc().setFillHook({});

        if (!guard) {
            // Reproduced: the old row is back in the cache and served as a hit.
            QCOMPARE(m_server->syncString({ "HGET", "product:1", "version" }), QByteArray("1"));
            const auto stale = get(1);
            EXPECT_OK(stale);
            QVERIFY(stale->fromCache);
            QCOMPARE(stale->product->name, QStringLiteral("Item 1"));
            return;
        }
        QVERIFY(reader->trace.hasStep(TraceOutcome::StaleSkip));
        QCOMPARE(exists("product:1"), 0);
        const auto fresh = get(1);
        if (deleteRace) {
            EXPECT_STATUS(fresh, ServiceStatus::NotFound);
        } else {
            EXPECT_OK(fresh);
            QCOMPARE(fresh->product->name, QStringLiteral("New"));
            QCOMPARE(fresh->product->version, 2);
            QCOMPARE(m_server->syncString({ "HGET", "product:1", "version" }), QByteArray("2"));
        }
    }

    // Two write-through updates whose cache sets arrive out of order: the
    // older version never overwrites the newer one.
    void fillNeverOverwritesNewerVersion()
    {
        seed(repo(), 1);
        svc().setStrategy(StrategyKind::WriteThrough);
        QList<std::function<void()>> held;
        svc().setFillHook([&](qint64, std::function<void()> proceed) { held << proceed; });
        int done = 0;
        svc().update(1, QStringLiteral("v2"), 2, 0, this, [&](const ServiceResult &) { ++done; });
        svc().update(1, QStringLiteral("v3"), 3, 0, this, [&](const ServiceResult &) { ++done; });
        QTRY_COMPARE_WITH_TIMEOUT(held.size(), 2, WaitMs);
        held.at(1)(); // v3 first
        held.at(0)(); // then the late v2
        QTRY_COMPARE_WITH_TIMEOUT(done, 2, WaitMs);
        QCOMPARE(m_server->syncString({ "HGET", "product:1", "version" }), QByteArray("3"));
        QCOMPARE(m_server->syncString({ "HGET", "product:1", "name" }), QByteArray("v3"));
        svc().setFillHook({});
    }

    // The fill writes updated_at as QDateTime::toString(Qt::ISODateWithMs)
    // of the UTC time (formatted by hand), and its trace step shows the
    // script's keys and arguments exactly as redactedCommandText would.
    void fillTimestampsAndTraceText()
    {
        seed(repo(), 4);
        QSignalSpy changed(&repo(), &ProductRepository::changed);
        const QString longName = QStringLiteral("A very long product name that goes past the 48 characters shown");
        const QList<QPair<QString, QString>> rows = {
            { QStringLiteral("Say \"hi\" to all"), QStringLiteral("2024-02-29T23:59:59.007Z") },
            { QStringLiteral("Plain"), QStringLiteral("0999-01-02T03:04:05.000Z") },
            { longName, QStringLiteral("2024-03-01T10:20:30.500+01:00") }, // not UTC: filled as UTC
            { QStringLiteral("Caf\u00e9 \u2615"), QStringLiteral("2030-12-31T00:00:00.999Z") }, // not ASCII
        };
        {
            // Another program's edit; it moves version on itself, so the
            // bump trigger leaves its updated_at alone.
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("side"));
            db.setDatabaseName(repo().path());
            QVERIFY(db.open());
            for (int i = 0; i < rows.size(); ++i) {
                QSqlQuery q(db);
                q.prepare(
                    QStringLiteral("UPDATE products SET name = ?, updated_at = ?, version = version + 1 WHERE id = ?"));
                q.addBindValue(rows.at(i).first);
                q.addBindValue(rows.at(i).second);
                q.addBindValue(i + 1);
                QVERIFY(q.exec());
            }
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("side"));
        // The change feed reports the edits and the service drops those ids
        // from the cache; the gets below must come after that, or the
        // invalidation would remove what they filled.
        const auto external = [&changed] {
            int n = 0;
            for (const QList<QVariant> &args : changed) {
                for (const ProductChange &c : args.at(0).value<QList<ProductChange>>())
                    n += c.external ? 1 : 0;
            }
            return n;
        };
        QTRY_COMPARE_WITH_TIMEOUT(external(), int(rows.size()), WaitMs);

        svc().setStrategy(StrategyKind::CacheAside);
        const CacheKeys keys;
        for (qint64 id = 1; id <= rows.size(); ++id) {
            const auto r = get(id);
            EXPECT_OK(r);
            QVERIFY(!r->fromCache);
            const QDateTime when = QDateTime::fromString(rows.at(id - 1).second, Qt::ISODateWithMs);
            QVERIFY(when.isValid());
            QCOMPARE(r->product->updatedAt, when);
            const QHash<QByteArray, QByteArray> h = hash(*m_server, keys.product(id));
            const QByteArray expectedText = when.toUTC().toString(Qt::ISODateWithMs).toLatin1();
            QCOMPARE(h.value("updated_at"), expectedText);
            if (id == 3)
                QCOMPARE(expectedText, QByteArray("2024-03-01T09:20:30.500Z"));

            // delta and expires_at are stored in the hash, so every argument is known.
            const QList<QByteArray> args { h.value("version"),
                QByteArray::number(qint64(svc().settings().ttlSeconds) * 1000), QByteArray::number(id),
                rows.at(id - 1).first.toUtf8(), h.value("price"), expectedText, h.value("delta"), h.value("expires_at"),
                "1" };
            const QString expected = QStringLiteral("EVALSHA ")
                + QString::fromLatin1(CacheScripts::fill().sha().left(8)) + QStringLiteral(".. (fill) ")
                + redactedCommandText(QList<QByteArray> { keys.product(id), keys.guard(id) } + args, 140);
            QStringList evalshas;
            for (const TraceStep &s : r->trace.steps) {
                if (s.text.startsWith(QLatin1String("EVALSHA")))
                    evalshas << s.text;
            }
            QCOMPARE(evalshas, QStringList { expected });
        }
    }

    // A burst of views over more ids than the recent list holds: the list
    // ends as the newest recentLimit ids (an older entry pushed out), and
    // every view still counts in the leaderboard and the viewer logs.
    void viewBurstOverManyIds()
    {
        seed(repo(), 16);
        svc().setStrategy(StrategyKind::CacheAside);
        const CacheKeys keys;
        EXPECT_OK(get(16));
        QTRY_COMPARE_WITH_TIMEOUT(
            m_server->syncList({ "LRANGE", keys.recent(), "0", "-1" }), QList<QByteArray> { "16" }, WaitMs);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().warmUp(c, cb); }));

        QList<qint64> ids;
        for (qint64 id = 1; id <= 15; ++id)
            ids << id;
        ids << 3 << 1;
        int done = 0;
        for (qint64 id : std::as_const(ids)) // issued together: one view batch
            svc().get(id, this, [&](const ServiceResult &r) { done += r.ok() && r.fromCache ? 1 : 0; });
        QTRY_COMPARE_WITH_TIMEOUT(done, int(ids.size()), WaitMs);

        const QList<QByteArray> expected { "1", "3", "15", "14", "13", "12", "11", "10", "9", "8" };
        QTRY_COMPARE_WITH_TIMEOUT(m_server->syncList({ "LRANGE", keys.recent(), "0", "-1" }), expected, WaitMs);
        QCOMPARE(m_server->syncString({ "ZSCORE", keys.views(), "1" }), QByteArray("2"));
        QCOMPARE(m_server->syncString({ "ZSCORE", keys.views(), "2" }), QByteArray("1"));
        QCOMPARE(m_server->syncString({ "ZSCORE", keys.views(), "16" }), QByteArray("1"));
        QCOMPARE(m_server->syncInteger({ "ZCARD", keys.views() }), 16);
        QCOMPARE(m_server->syncInteger({ "PFCOUNT", keys.viewers(2) }), 1);
        QCOMPARE(m_server->syncInteger({ "PFCOUNT", keys.viewers(1) }), 1);
    }
};

QTEST_MAIN(TestCacheBackend)
#include "tst_cachebackend.moc"
