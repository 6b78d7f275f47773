// Correctness under concurrency (issue 12), each case made deterministic:
// two services on one SQLite file and one redis-server stand for two
// CacheLab instances; test hooks hold a write at the point where the race
// was found, and the other writer goes in between.
//
// - a write-behind write whose version came from SQLite before another
//   writer's flush and invalidation cannot be given that writer's version;
// - an SQL write that lands while a write-behind write of the id is queued
//   (another instance) is moved above its version;
// - versions never repeat after a delete, under every strategy;
// - a change whose invalidation died with its process is replayed on the
//   next connect from SQLite's change table;
// - write-through's POST with an id leaves the new value in the cache;
// - a read with Redis stalled is answered from SQLite within the read
//   deadline, and the late reply is not applied;
// - a write made while Redis is unreachable is numbered clear of queued
//   write-behind versions, and a create so made gets an id clear of queued
//   write-behind creates, and an upsert of a deleted id so made a version
//   clear of a queued write-behind upsert;
// - a write-behind update never brings back a row another instance deleted
//   between its read of SQLite and its script.
#include "cachebackend.h"
#include "versionedwrites.h"
#include "cachefixture.h"
#include "writebehindqueue.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>
#include <algorithm>

using namespace CacheTest;

class TestCorrectness final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;
    std::unique_ptr<Env> m_a; ///< instance A
    std::unique_ptr<Env> m_b; ///< instance B, on A's SQLite file

    const TestRedisServer &redis() const { return *m_server; }
    ProductService &a() { return *m_a->service; }
    ProductService &b() { return *m_b->service; }

    static std::optional<ServiceResult> update(ProductService &s, qint64 id, const QString &name, qint64 price)
    {
        return await([&](QObject *c, ServiceCallback cb) { s.update(id, name, price, 0, c, cb); });
    }
    static std::optional<ServiceResult> get(ProductService &s, qint64 id)
    {
        return await([&](QObject *c, ServiceCallback cb) { s.get(id, c, cb); });
    }
    static std::optional<ServiceResult> flush(ProductService &s)
    {
        return await([&](QObject *c, ServiceCallback cb) { s.drainWriteBehind(c, cb); });
    }
    static std::optional<ServiceResult> invalidate(ProductService &s, qint64 id)
    {
        return await([&](QObject *c, ServiceCallback cb) { s.invalidate(id, c, cb); });
    }
    void startB()
    {
        QString error;
        m_b = makeEnv(*m_server, &error, m_a->repo->path());
        QVERIFY2(m_b, qPrintable(error));
    }
    static void strategies()
    {
        QTest::addColumn<StrategyKind>("strategy");
        for (StrategyKind k : { StrategyKind::None, StrategyKind::CacheAside, StrategyKind::ReadThrough,
                 StrategyKind::WriteThrough, StrategyKind::WriteBehind })
            QTest::newRow(qPrintable(strategyName(k))) << k;
    }

private slots:
    void initTestCase()
    {
        const QString error = startServer(m_server);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void init()
    {
        const QString error = freshEnv(*m_server, m_a);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void cleanup()
    {
        m_server->resume(); // harmless when it runs
        if (!m_server->isRunning())
            m_server->restart();
        m_b.reset();
        m_a.reset();
    }
    void cleanupTestCase() { m_server.reset(); }

    // Issue 12 (1): B's write-behind write reads version 1 from SQLite; before
    // its script runs, A writes version 2, flushes it and the clean hash is
    // invalidated. B must not be given version 2 as well.
    void writeBehindNeverReusesAVersionAfterFlushAndInvalidation()
    {
        seed(*m_a->repo, 1);
        startB();
        a().setStrategy(StrategyKind::WriteBehind);
        b().setStrategy(StrategyKind::WriteBehind);
        std::function<void()> release;
        b().setWriteBehindVersionHookForTesting([&](qint64, std::function<void()> proceed) { release = proceed; });
        std::optional<ServiceResult> fromB;
        QObject ctx;
        b().update(1, QStringLiteral("from B"), 222, 0, &ctx, [&](const ServiceResult &r) { fromB = r; });
        QVERIFY(QTest::qWaitFor([&] { return bool(release); }, WaitMs)); // B has read version 1 from SQLite

        const auto fromA = update(a(), 1, QStringLiteral("from A"), 111);
        EXPECT_OK(fromA);
        QCOMPARE(fromA->product->version, 2);
        EXPECT_OK(flush(a()));
        QCOMPARE(dbRow(*m_a->repo, 1)->version, 2);
        EXPECT_OK(invalidate(a(), 1));
        QCOMPARE(redis().syncInteger({ "EXISTS", "product:1" }), 0);

        release();
        QVERIFY(QTest::qWaitFor([&] { return fromB.has_value(); }, WaitMs));
        EXPECT_OK(fromB);
        QVERIFY2(fromB->product->version > fromA->product->version, qPrintable(fromB->trace.toText()));
        // Both acknowledged writes are in SQLite's history; B's, the later, is the row.
        EXPECT_OK(flush(b()));
        const auto row = dbRow(*m_a->repo, 1);
        QCOMPARE(row->name, QStringLiteral("from B"));
        QCOMPARE(row->version, fromB->product->version);
    }

    // A SQL write through B while A's write-behind write of the same id is
    // still queued: both cannot hold one version, and the queued (older)
    // version must not overwrite B's row when it is flushed.
    void sqlWriteMovesAboveAQueuedWriteBehindVersion_data()
    {
        QTest::addColumn<StrategyKind>("strategy");
        for (StrategyKind k :
            { StrategyKind::None, StrategyKind::CacheAside, StrategyKind::ReadThrough, StrategyKind::WriteThrough })
            QTest::newRow(qPrintable(strategyName(k))) << k;
    }
    void sqlWriteMovesAboveAQueuedWriteBehindVersion()
    {
        QFETCH(StrategyKind, strategy);
        seed(*m_a->repo, 1);
        startB();
        a().setStrategy(StrategyKind::WriteBehind);
        a().writeBehindQueue()->setPaused(true);
        b().writeBehindQueue()->setPaused(true); // B must not flush A's item for it
        b().setStrategy(strategy);
        const auto queued = update(a(), 1, QStringLiteral("queued on A"), 111);
        EXPECT_OK(queued);
        QCOMPARE(queued->product->version, 2);
        QCOMPARE(dbRow(*m_a->repo, 1)->version, 1);

        // B's check for a queued write of the id drains the shared queue
        // first; with that check beaten (the HEXISTS raced), the version
        // claim still moves B's row above the queued version. Both paths
        // must give B a version above 2.
        const auto direct = await([&](QObject *c, ServiceCallback cb) {
            b().updateInTransaction(1, QStringLiteral("direct on B"), 222, 0, c, cb);
        });
        EXPECT_OK(direct);
        QVERIFY2(direct->product->version > queued->product->version, qPrintable(direct->trace.toText()));
        a().writeBehindQueue()->setPaused(false);
        EXPECT_OK(flush(a()));
        const auto row = dbRow(*m_a->repo, 1);
        QCOMPARE(row->name, QStringLiteral("direct on B"));
        QCOMPARE(row->version, direct->product->version);
        // No clean copy of the superseded queued value is left behind.
        const auto h = hash(redis(), "product:1");
        QVERIFY(h.isEmpty() || (h.value("version").toLongLong() == row->version && !h.contains("dirty")));
    }

    // The reservation: a SQL write takes the version Redis reserved for it,
    // one above everything in the versions hash (here a queued write-behind
    // write's 2), so the two can never share one.
    void sqlWriteTakesTheReservedVersion()
    {
        seed(*m_a->repo, 1);
        a().setStrategy(StrategyKind::CacheAside);
        redis().syncInteger({ "HSET", "cachelab:wb:versions", "1", "2" });
        const auto r = update(a(), 1, QStringLiteral("reserved"), 5);
        EXPECT_OK(r);
        QCOMPARE(r->product->version, 3);
        QCOMPARE(dbRow(*m_a->repo, 1)->version, 3);
        QCOMPARE(redis().syncString({ "HGET", "cachelab:wb:versions", "1" }), QByteArray("3"));
        QVERIFY(r->trace.toText().contains(QStringLiteral("version-reserve")));
    }

    // SQLite ahead of Redis (an outside edit the feed has not reported): the
    // write commits above it and claims that version afterwards.
    void sqlWriteAboveAnOutsideEditClaimsIt()
    {
        seed(*m_a->repo, 1);
        m_a->repo->setChangePollInterval(0);
        a().setStrategy(StrategyKind::CacheAside);
        {
            QSqlDatabase side = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("ahead"));
            side.setDatabaseName(m_a->repo->path());
            QVERIFY(side.open());
            QSqlQuery q(side);
            QVERIFY(q.exec(QStringLiteral("UPDATE products SET version = 7 WHERE id = 1")));
            side.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("ahead"));
        const auto r = update(a(), 1, QStringLiteral("above the edit"), 5);
        EXPECT_OK(r);
        QCOMPARE(r->product->version, 8);
        QCOMPARE(redis().syncString({ "HGET", "cachelab:wb:versions", "1" }), QByteArray("8"));
        QVERIFY(r->trace.toText().contains(QStringLiteral("version-claim")));
    }

    // Issue 12 (4): delete and create the same id again, under every
    // strategy: the new row's versions start above every earlier one.
    void versionsNeverRepeatAfterADelete_data() { strategies(); }
    void versionsNeverRepeatAfterADelete()
    {
        QFETCH(StrategyKind, strategy);
        a().setStrategy(strategy);
        auto upsert = [&](const QString &name) {
            return await([&](QObject *c, ServiceCallback cb) { a().upsert(35, name, 10, c, cb); });
        };
        QSet<qint64> seen;
        for (int life = 0; life < 3; ++life) {
            for (int i = 0; i < 3; ++i) {
                const auto w = upsert(QStringLiteral("life %1 write %2").arg(life).arg(i));
                EXPECT_OK(w);
                QVERIFY2(!seen.contains(w->product->version),
                    qPrintable(QStringLiteral("version %1 given twice").arg(w->product->version)));
                seen.insert(w->product->version);
            }
            EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { a().remove(35, c, cb); }));
            EXPECT_OK(flush(a()));
            QVERIFY(!dbRow(*m_a->repo, 35));
        }
        // SQLite alone keeps it too: an insert from the sqlite3 shell.
        {
            QSqlDatabase side = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("side"));
            side.setDatabaseName(m_a->repo->path());
            QVERIFY(side.open());
            QSqlQuery q(side);
            QVERIFY(q.exec(QStringLiteral("INSERT INTO products (id, name, price) VALUES (35, 'shell', 1)")));
            QSqlQuery v(side);
            QVERIFY(v.exec(QStringLiteral("SELECT version FROM products WHERE id = 35")) && v.next());
            QVERIFY2(!seen.contains(v.value(0).toLongLong()) && v.value(0).toLongLong() > *std::max_element(seen.cbegin(), seen.cend()),
                qPrintable(QStringLiteral("shell insert got version %1").arg(v.value(0).toLongLong())));
            v.finish();
            side.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("side"));
    }

    // Issue 12 (4): a delete committed by an instance that died before its
    // invalidation reached Redis leaves a stale copy; the next connect
    // replays SQLite's change table after the watermark and drops it.
    void invalidationLostWithItsProcessIsReplayed()
    {
        QTemporaryDir dir; // the file outlives the first instance
        QString error;
        m_a = makeEnv(*m_server, &error, dir.filePath(QStringLiteral("products.db")));
        QVERIFY2(m_a, qPrintable(error));
        seed(*m_a->repo, 2);
        a().setStrategy(StrategyKind::CacheAside);
        EXPECT_OK(update(a(), 2, QStringLiteral("starts the watermark"), 7)); // a claimed write sets the mark
        EXPECT_OK(get(a(), 1));
        QCOMPARE(hash(redis(), "product:1").value("name"), QByteArray("Item 1"));
        const QString path = m_a->repo->path();
        m_a.reset(); // the instance is gone...
        {
            // ...after "its" write committed: the row changes in SQLite only.
            ProductRepository repo(path);
            repo.setChangePollInterval(0);
            const auto opened = awaitStore([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
            QVERIFY(opened && opened->ok());
            const auto changed = awaitStore(
                [&](QObject *c, StoreCallback cb) { repo.update(1, QStringLiteral("changed"), 9, 0, c, cb); });
            QVERIFY2(changed && changed->ok(), changed ? qPrintable(changed->error) : "timeout");
        }
        QCOMPARE(hash(redis(), "product:1").value("name"), QByteArray("Item 1")); // the stale copy
        m_a = makeEnv(*m_server, &error, path);
        QVERIFY2(m_a, qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(redis().syncInteger({ "EXISTS", "product:1" }), 0, WaitMs);
        a().setStrategy(StrategyKind::CacheAside);
        const auto r = get(a(), 1);
        EXPECT_OK(r);
        QCOMPARE(r->product->name, QStringLiteral("changed"));
    }

    // Issue 12 (2): write-through's POST /product with an id leaves the new
    // value in the cache, for a new id and for an existing one.
    void writeThroughUpsertFillsTheCache()
    {
        seed(*m_a->repo, 1);
        a().setStrategy(StrategyKind::WriteThrough);
        for (const qint64 id : { qint64(301), qint64(1) }) {
            const auto r = await([&](QObject *c, ServiceCallback cb) { a().upsert(id, QStringLiteral("WT"), 5, c, cb); });
            EXPECT_OK(r);
            const auto h = hash(redis(), "product:" + QByteArray::number(id));
            QCOMPARE(h.value("name"), QByteArray("WT"));
            QCOMPARE(h.value("version").toLongLong(), r->product->version);
            QVERIFY(redis().syncInteger({ "PTTL", "product:" + QByteArray::number(id) }) > 0);
            const auto again = get(a(), id);
            EXPECT_OK(again);
            QVERIFY(again->fromCache);
        }
    }

    // Issue 12 (6): with Redis stopped (SIGSTOP), a read is answered from
    // SQLite once the read deadline passes - long before the connection's
    // command timeout - and marked degraded; the late reply is dropped.
    void stalledRedisReadIsAnsweredFromSqlite_data()
    {
        QTest::addColumn<StrategyKind>("strategy");
        // Under write-behind too (the trace then says SQLite may lag a write
        // still queued in Redis).
        for (StrategyKind k : { StrategyKind::CacheAside, StrategyKind::ReadThrough, StrategyKind::WriteThrough,
                 StrategyKind::WriteBehind })
            QTest::newRow(qPrintable(strategyName(k))) << k;
    }
    void stalledRedisReadIsAnsweredFromSqlite()
    {
        QFETCH(StrategyKind, strategy);
        seed(*m_a->repo, 1);
        a().setStrategy(strategy);
        CacheSettings s = a().settings();
        s.readDeadlineMs = 200;
        a().setSettings(s);
        m_a->client->setCommandTimeout(8000);
        // Wait for start-up work so nothing else is in flight.
        QTRY_COMPARE_WITH_TIMEOUT(m_a->client->pendingCount(), 0, WaitMs);
        m_server->pause();
        std::optional<ServiceResult> r;
        QObject ctx;
        a().get(1, &ctx, [&](const ServiceResult &x) {
            QVERIFY(!r.has_value()); // exactly once
            r = x;
        });
        // Far below the 8 s command timeout: answered while Redis is still stopped.
        QVERIFY(QTest::qWaitFor([&] { return r.has_value(); }, 4000));
        EXPECT_OK(r);
        QVERIFY(!r->fromCache);
        QCOMPARE(r->product->name, QStringLiteral("Item 1"));
        QCOMPARE(a().metrics().readDeadlines, 1u);
        QVERIFY(r->trace.hasStep(TraceOutcome::Unavailable));
        QVERIFY(r->trace.toText().contains(QStringLiteral("read deadline")));
        m_server->resume();
        // The late HGETALL reply arrives and is not used: no second answer,
        // and the connection stayed up (its health is the client's business).
        QTRY_COMPARE_WITH_TIMEOUT(m_a->client->pendingCount(), 0, WaitMs);
        QVERIFY(m_a->client->isConnected());
        EXPECT_OK(get(a(), 1));
    }

    // A write committed while Redis is unreachable is numbered far above
    // what SQLite had: a write-behind write queued in Redis (invisible now)
    // can never hold the same version.
    void writeWithRedisDownIsNumberedClearOfTheQueue()
    {
        seed(*m_a->repo, 1);
        startB();
        a().setStrategy(StrategyKind::WriteBehind);
        a().writeBehindQueue()->setPaused(true);
        b().writeBehindQueue()->setPaused(true);
        const auto queued = update(a(), 1, QStringLiteral("queued"), 1);
        EXPECT_OK(queued);
        b().setStrategy(StrategyKind::CacheAside);
        QSignalSpy down(m_b->client.get(), &RedisClient::disconnected);
        m_server->kill();
        QVERIFY(down.count() > 0 || down.wait(WaitMs));
        const auto offline = update(b(), 1, QStringLiteral("offline"), 2);
        EXPECT_OK(offline);
        QVERIFY2(offline->product->version >= VersionedWrites::OfflineStride, qPrintable(offline->trace.toText()));
        QVERIFY(offline->product->version != queued->product->version);
    }

    // Chaos seed 606 ("update acknowledged for a deleted product"): A's
    // write-behind update read "exists, version 1" from SQLite; B deleted the
    // product before A's script ran, and A's update was accepted on top of
    // the delete's version, so its flush brought the row back. A must answer
    // 404 and the row must stay deleted.
    void writeBehindUpdateNeverBringsBackARowDeletedMeanwhile_data() { strategies(); }
    void writeBehindUpdateNeverBringsBackARowDeletedMeanwhile()
    {
        QFETCH(StrategyKind, strategy);
        if (strategy == StrategyKind::WriteBehind)
            QSKIP("the delete is the SQL writer here");
        seed(*m_a->repo, 1);
        startB();
        a().setStrategy(StrategyKind::WriteBehind);
        a().writeBehindQueue()->setPaused(true);
        b().setStrategy(strategy);
        std::function<void()> release;
        a().setWriteBehindVersionHookForTesting([&](qint64, std::function<void()> proceed) { release = proceed; });
        std::optional<ServiceResult> fromA;
        QObject ctx;
        a().update(1, QStringLiteral("from A"), 111, 0, &ctx, [&](const ServiceResult &r) { fromA = r; });
        QVERIFY(QTest::qWaitFor([&] { return bool(release); }, WaitMs)); // A has read "exists" from SQLite

        const auto gone = await([&](QObject *c, ServiceCallback cb) { b().remove(1, c, cb); });
        EXPECT_OK(gone);
        a().setWriteBehindVersionHookForTesting({});
        release();
        QVERIFY(QTest::qWaitFor([&] { return fromA.has_value(); }, WaitMs));
        QVERIFY2(fromA->status == ServiceStatus::NotFound, qPrintable(fromA->trace.toText()));
        a().writeBehindQueue()->setPaused(false);
        EXPECT_OK(flush(a()));
        QVERIFY2(!dbRow(*m_a->repo, 1).has_value(), qPrintable(fromA->trace.toText()));
    }

    // An id without an entry in the versions hash (seeded, or Redis lost its
    // data): B's SQL delete reserves nothing, commits version 2 for the id's
    // next life, and before its claim A's write-behind update, on the copy
    // still cached at version 1, is given version 2 as well. The delete must
    // end above it (the later of the two), and nothing may find the row after.
    void deleteThatLostItsClaimStaysTheLaterWrite()
    {
        seed(*m_a->repo, 1);
        startB();
        EXPECT_OK(get(a(), 1)); // cached at version 1
        QCOMPARE(redis().syncString({ "HGET", "cachelab:wb:versions", "1" }), QByteArray());
        a().setStrategy(StrategyKind::WriteBehind);
        a().writeBehindQueue()->setPaused(true);
        b().setStrategy(StrategyKind::CacheAside);
        std::function<void()> release;
        b().setClaimHookForTesting([&](qint64, std::function<void()> proceed) { release = proceed; });
        std::optional<ServiceResult> gone;
        QObject ctx;
        b().remove(1, &ctx, [&](const ServiceResult &r) { gone = r; });
        QVERIFY(QTest::qWaitFor([&] { return bool(release); }, WaitMs)); // committed, not claimed

        const auto fromA = update(a(), 1, QStringLiteral("from A"), 111);
        EXPECT_OK(fromA);
        QCOMPARE(fromA->product->version, 2);
        b().setClaimHookForTesting({});
        a().writeBehindQueue()->setPaused(false);
        release();
        QVERIFY(QTest::qWaitFor([&] { return gone.has_value(); }, WaitMs));
        EXPECT_OK(gone);
        // The delete is the later write: the id's next life starts above A's version...
        {
            QSqlDatabase side = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("claim"));
            side.setDatabaseName(m_a->repo->path());
            QVERIFY(side.open());
            QSqlQuery v(side);
            QVERIFY(v.exec(QStringLiteral("SELECT version FROM product_versions WHERE id = 1")) && v.next());
            QVERIFY2(v.value(0).toLongLong() > fromA->product->version,
                qPrintable(QStringLiteral("the delete is at version %1, A's update at %2\n%3")
                               .arg(v.value(0).toLongLong())
                               .arg(fromA->product->version)
                               .arg(gone->trace.toText())));
            v.finish();
            side.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("claim"));
        // ...and once the queued write has been flushed (A's worker may hold
        // it while the delete answers), the row is gone everywhere: no copy of
        // A's write is kept in Redis.
        QVERIFY(!dbRow(*m_a->repo, 1));
        QTRY_VERIFY_WITH_TIMEOUT(redis().syncInteger({ "LLEN", "cachelab:wb:queue" }) == 0
                && redis().syncInteger({ "LLEN", "cachelab:wb:processing" }) == 0,
            WaitMs);
        QVERIFY(!dbRow(*m_a->repo, 1));
        const auto after = get(a(), 1);
        QVERIFY(after);
        QVERIFY2(after->status == ServiceStatus::NotFound, qPrintable(after->trace.toText()));
    }

    // Chaos seed 606: B, cut off from Redis, went on creating products one
    // after another (ids F+1, F+2, ...) while A, back on Redis, raised the
    // shared counter to SQLite's highest id (F+1) and gave F+2 to a
    // write-behind create: B's next create took F+2 as well.
    void createsOfAnOutageNeverMeetWriteBehindCreatesMadeMeanwhile()
    {
        seed(*m_a->repo, 1);
        startB();
        m_b->client->setAutoReconnect(false); // B stays cut off
        QSignalSpy bDown(m_b->client.get(), &RedisClient::disconnected);
        QSignalSpy aUp(m_a->client.get(), &RedisClient::connected);
        m_server->kill();
        QVERIFY(bDown.count() > 0 || bDown.wait(WaitMs));
        b().setStrategy(StrategyKind::CacheAside);
        const auto first = await([&](QObject *c, ServiceCallback cb) { b().create(QStringLiteral("offline 1"), 9, c, cb); });
        EXPECT_OK(first);
        QVERIFY(first->product->id > VersionedWrites::OfflineStride);
        QString error;
        QVERIFY2(m_server->restart(&error), qPrintable(error));
        QVERIFY(aUp.wait(WaitMs));
        QTRY_VERIFY_WITH_TIMEOUT(a().isCacheAvailable(), WaitMs);
        a().setStrategy(StrategyKind::WriteBehind);
        a().writeBehindQueue()->setPaused(true);
        const auto queued = await([&](QObject *c, ServiceCallback cb) { a().create(QStringLiteral("queued"), 7, c, cb); });
        EXPECT_OK(queued);
        // Flushed: A's row now stands above B's window in SQLite; B's next
        // create must stay in its window, not follow that row (the id A's
        // counter gives next).
        a().writeBehindQueue()->setPaused(false);
        EXPECT_OK(flush(a()));
        QVERIFY(dbRow(*m_a->repo, queued->product->id).has_value());
        const auto second = await([&](QObject *c, ServiceCallback cb) { b().create(QStringLiteral("offline 2"), 9, c, cb); });
        EXPECT_OK(second);
        QCOMPARE(second->product->id, first->product->id + 1); // one outage, ids in a row
        QVERIFY2(queued->product->id != second->product->id, qPrintable(queued->trace.toText()));
        QVERIFY2(queued->product->id > first->product->id + VersionedWrites::OfflineStride / 2,
            qPrintable(queued->trace.toText()));
        const auto next = await([&](QObject *c, ServiceCallback cb) { a().create(QStringLiteral("next"), 7, c, cb); });
        EXPECT_OK(next);
        QVERIFY(next->product->id != second->product->id);
    }

    // Chaos seed 606: an id deleted at a version above the stride, then
    // written while Redis is away with an upsert (POST with an id): the row
    // came back one above the deleted version, which a write-behind upsert
    // queued on the other instance had taken already.
    void upsertOfADeletedIdWithRedisDownIsNumberedClearOfTheQueue()
    {
        seed(*m_a->repo, 1);
        for (int i = 0; i < 2; ++i) { // versions above the stride, as earlier outages leave them
            const auto far = awaitStore([&](QObject *c, StoreCallback cb) {
                m_a->repo->update(1, QStringLiteral("far"), 3, 0, VersionRule { 0, VersionedWrites::OfflineStride }, c, cb);
            });
            QVERIFY(far && far->ok());
        }
        const auto gone = await([&](QObject *c, ServiceCallback cb) { a().remove(1, c, cb); });
        EXPECT_OK(gone);
        startB();
        a().setStrategy(StrategyKind::WriteBehind);
        a().writeBehindQueue()->setPaused(true);
        const auto queued = await([&](QObject *c, ServiceCallback cb) { a().upsert(1, QStringLiteral("queued"), 4, c, cb); });
        EXPECT_OK(queued);
        QVERIFY(queued->product->version > 2 * VersionedWrites::OfflineStride);
        b().setStrategy(StrategyKind::CacheAside);
        QSignalSpy down(m_b->client.get(), &RedisClient::disconnected);
        m_server->kill();
        QVERIFY(down.count() > 0 || down.wait(WaitMs));
        const auto offline = await([&](QObject *c, ServiceCallback cb) { b().upsert(1, QStringLiteral("offline"), 5, c, cb); });
        EXPECT_OK(offline);
        QVERIFY2(offline->product->version != queued->product->version, qPrintable(offline->trace.toText()));
        QVERIFY2(offline->product->version > queued->product->version + VersionedWrites::OfflineStride / 2,
            qPrintable(offline->trace.toText()));
    }

    // Chaos seed 606: an instance that read the id counter before it was
    // ever set (0) created a product with Redis down at one above SQLite's
    // highest id, which the counter had just given to a write-behind create
    // of the other instance, still queued. Two acknowledged creates, one id.
    void createWithRedisDownTakesAnIdClearOfQueuedCreates()
    {
        seed(*m_a->repo, 1);
        // An id far up, as an earlier outage's create leaves behind.
        const qint64 high = 3 * VersionedWrites::OfflineStride / 2;
        const auto earlier = awaitStore([&](QObject *c, StoreCallback cb) {
            m_a->repo->insert(high, QStringLiteral("earlier offline"), 5, c, cb);
        });
        QVERIFY(earlier && earlier->ok());
        startB();
        // B has read the counter (not set yet) once this reply is in.
        EXPECT_OK(get(b(), 1));
        a().setStrategy(StrategyKind::WriteBehind);
        a().writeBehindQueue()->setPaused(true);
        const auto queued = await([&](QObject *c, ServiceCallback cb) { a().create(QStringLiteral("queued"), 7, c, cb); });
        EXPECT_OK(queued);
        QCOMPARE(queued->product->id, high + 1);
        b().setStrategy(StrategyKind::CacheAside);
        QSignalSpy down(m_b->client.get(), &RedisClient::disconnected);
        m_server->kill();
        QVERIFY(down.count() > 0 || down.wait(WaitMs));
        const auto offline = await([&](QObject *c, ServiceCallback cb) { b().create(QStringLiteral("offline"), 9, c, cb); });
        EXPECT_OK(offline);
        QVERIFY2(offline->product->id > high + VersionedWrites::OfflineStride, qPrintable(offline->trace.toText()));
        // A second create of the same outage follows on, no second stride.
        const auto next = await([&](QObject *c, ServiceCallback cb) { b().create(QStringLiteral("offline 2"), 9, c, cb); });
        EXPECT_OK(next);
        QCOMPARE(next->product->id, offline->product->id + 1);
    }
};

QTEST_GUILESS_MAIN(TestCorrectness)
#include "tst_correctness.moc"
