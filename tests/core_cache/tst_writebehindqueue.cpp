// Tests for WriteBehindQueue (the write-behind worker) with a real
// redis-server and SQLite: coalescing, batching, the flush interval, live
// queue depth, coalescing at enqueue (an id waits in the queue once), and
// crash recovery at both dangerous points (after LMOVE,
// before the SQL commit; after the commit, before LREM): after a restart
// every write lands exactly once (article bug 3, second half: LPOP before
// the DB write lost the item).
#include "cachefixture.h"
#include "writebehindqueue.h"

#include <algorithm>
#include <QtTest>

using namespace CacheTest;

class TestWriteBehindQueue final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;
    std::unique_ptr<Env> m_env;

    ProductService &svc() { return *m_env->service; }
    ProductRepository &repo() { return *m_env->repo; }
    WriteBehindQueue &queue() { return *m_env->service->writeBehindQueue(); }
    qint64 llen(const QByteArray &key) const { return m_server->syncInteger({ "LLEN", key }); }

    std::optional<ServiceResult> update(qint64 id, const QString &name, qint64 price)
    {
        return await([&](QObject *c, ServiceCallback cb) { svc().update(id, name, price, 0, c, cb); });
    }
    std::optional<ServiceResult> flush()
    {
        return await([&](QObject *c, ServiceCallback cb) { svc().flushWriteBehind(c, cb); });
    }

    /// Drops the service as a crash would (nothing flushed on the way out)
    /// and starts a new one on the same Redis and SQLite.
    void restartService()
    {
        m_env->service.reset();
        m_env->service = std::make_unique<ProductService>(m_env->client.get(), m_env->repo.get());
        m_env->service->setStrategy(StrategyKind::WriteBehind);
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
        svc().setStrategy(StrategyKind::WriteBehind);
    }

    void cleanup() { m_env.reset(); }
    void cleanupTestCase() { m_server.reset(); }

    void resultJson()
    {
        seed(repo(), 1);
        const auto r = await([&](QObject *c, ServiceCallback cb) { svc().get(1, c, cb); });
        EXPECT_OK(r);
        const QJsonObject j = r->toJson();
        QCOMPARE(j.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        QCOMPARE(j.value(QStringLiteral("product")).toObject().value(QStringLiteral("name")).toString(),
            QStringLiteral("Item 1"));
        QCOMPARE(j.value(QStringLiteral("trace")).toObject().value(QStringLiteral("strategy")).toString(),
            QStringLiteral("write-behind"));
    }

    void coalescesWritesToOneId()
    {
        seed(repo(), 2);
        queue().setPaused(true);
        for (int i = 1; i <= 10; ++i)
            EXPECT_OK(update(1, QStringLiteral("one v%1").arg(i), i));
        std::optional<ServiceResult> last;
        for (int i = 1; i <= 5; ++i) {
            last = update(2, QStringLiteral("two v%1").arg(i), i);
            EXPECT_OK(last);
        }
        // Each id waits in the queue once; later writes only change its hash.
        QCOMPARE(llen("cachelab:wb:queue"), 2);
        QCOMPARE(m_server->syncInteger({ "SCARD", "cachelab:wb:queued" }), 2);
        QTRY_COMPARE_WITH_TIMEOUT(svc().queueDepth(), 2, WaitMs);
        QCOMPARE(svc().metrics().writeBehindQueued, 15u);
        QCOMPARE(svc().metrics().writeBehindCoalesced, 13u);
        const QList<TraceStep> steps = last->trace.stepsOf(TraceSystem::Redis);
        QCOMPARE(steps.size(), 1);
        QCOMPARE(steps.first().outcome, TraceOutcome::Coalesced);
        QVERIFY2(steps.first().text.contains(QStringLiteral("already queued")), qPrintable(steps.first().text));
        QVERIFY2(!steps.first().text.contains(QStringLiteral("RPUSH cachelab")), qPrintable(steps.first().text));
        QSignalSpy flushed(&queue(), &WriteBehindQueue::flushed);
        svc().resetMetrics();
        const auto r = flush();
        EXPECT_OK(r);
        QCOMPARE(r->count, 2);
        QCOMPARE(r->trace.count(TraceSystem::Sql), 1); // one transaction for the batch
        QCOMPARE(svc().metrics().dbWrites, 1u);
        QCOMPARE(flushed.count(), 1);
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("one v10"));
        QCOMPARE(dbRow(repo(), 1)->version, 11);
        QCOMPARE(dbRow(repo(), 2)->version, 6);
        QCOMPARE(llen("cachelab:wb:queue"), 0);
        QCOMPARE(llen("cachelab:wb:processing"), 0);
        QCOMPARE(m_server->syncInteger({ "EXISTS", "cachelab:wb:queued" }), 0);
        QTRY_COMPARE_WITH_TIMEOUT(svc().queueDepth(), 0, WaitMs);
        QVERIFY(m_server->syncInteger({ "TTL", "product:1" }) > 0);
        QCOMPARE(m_server->syncInteger({ "HEXISTS", "product:1", "dirty" }), 0);
        // Taken ids left the set: the next write queues the id again.
        EXPECT_OK(update(1, QStringLiteral("one v11"), 11));
        QCOMPARE(llen("cachelab:wb:queue"), 1);
    }

    void batchesAndInterval()
    {
        CacheSettings s = svc().settings();
        s.writeBehindBatchSize = 3;
        s.writeBehindFlushIntervalMs = 30;
        svc().setSettings(s);
        QSignalSpy depth(&svc(), &ProductService::queueDepthChanged);
        QSignalSpy flushed(&queue(), &WriteBehindQueue::flushed);
        QList<qint64> ids;
        for (int i = 1; i <= 8; ++i) {
            const auto r = await(
                [&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("New %1").arg(i), i, c, cb); });
            EXPECT_OK(r);
            ids << r->product->id;
        }
        QCOMPARE(ids, QList<qint64>({ 1, 2, 3, 4, 5, 6, 7, 8 }));
        // The worker drains on its own, three at a time.
        QTRY_COMPARE_WITH_TIMEOUT(llen("cachelab:wb:queue") + llen("cachelab:wb:processing"), 0, WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(dbRow(repo(), 8).has_value(), WaitMs);
        for (qint64 id : ids)
            QCOMPARE(dbRow(repo(), id)->name, QStringLiteral("New %1").arg(id));
        QVERIFY(flushed.count() >= 3);
        for (const auto &args : std::as_const(flushed))
            QVERIFY(args.first().value<QList<qint64>>().size() <= 3);
        QVERIFY(depth.count() > 0);
        QTRY_COMPARE_WITH_TIMEOUT(svc().queueDepth(), 0, WaitMs);
        // Creates after a flush continue above the highest SQLite id.
        const auto more
            = await([&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("Nine"), 9, c, cb); });
        QCOMPARE(more->product->id, 9);
    }

    void crashRecovery_data()
    {
        QTest::addColumn<WriteBehindQueue::CrashPoint>("point");
        QTest::newRow("after LMOVE, before commit") << WriteBehindQueue::CrashPoint::AfterMove;
        QTest::newRow("after commit, before LREM") << WriteBehindQueue::CrashPoint::AfterCommit;
    }

    void crashRecovery()
    {
        QFETCH(WriteBehindQueue::CrashPoint, point);
        seed(repo(), 3);
        queue().setPaused(true);
        EXPECT_OK(update(1, QStringLiteral("a1"), 1));
        EXPECT_OK(update(1, QStringLiteral("a2"), 2));
        EXPECT_OK(update(2, QStringLiteral("b1"), 3));
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().remove(3, c, cb); }));
        const auto created
            = await([&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("c1"), 4, c, cb); });
        EXPECT_OK(created);
        QCOMPARE(created->product->id, 4);
        QCOMPARE(llen("cachelab:wb:queue"), 4); // id 1 once

        queue().setCrashPointForTesting(point);
        const auto crashed = flush();
        QVERIFY(crashed.has_value());
        QCOMPARE(crashed->status, ServiceStatus::Error);
        QVERIFY(queue().hasCrashed());
        QCOMPARE(llen("cachelab:wb:queue"), 0);
        QCOMPARE(llen("cachelab:wb:processing"), 4); // the items are safe, not popped
        QCOMPARE(m_server->syncInteger({ "EXISTS", "cachelab:wb:queued" }), 0);
        if (point == WriteBehindQueue::CrashPoint::AfterMove) {
            QCOMPARE(dbRow(repo(), 1)->version, 1);
            QVERIFY(!dbRow(repo(), 4));
        } else {
            QCOMPARE(dbRow(repo(), 1)->version, 3); // committed, but not acknowledged
        }

        QSignalSpy changes(&repo(), &ProductRepository::changed);
        restartService(); // recovers on its first connected turn
        QTRY_COMPARE_WITH_TIMEOUT(llen("cachelab:wb:queue") + llen("cachelab:wb:processing"), 0, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->syncInteger({ "HEXISTS", "product:4", "dirty" }), 0, WaitMs);

        const auto p1 = dbRow(repo(), 1);
        QCOMPARE(p1->name, QStringLiteral("a2"));
        QCOMPARE(p1->version, 3);
        QCOMPARE(dbRow(repo(), 2)->name, QStringLiteral("b1"));
        QCOMPARE(dbRow(repo(), 2)->version, 2);
        QVERIFY(!dbRow(repo(), 3));
        QCOMPARE(dbRow(repo(), 4)->name, QStringLiteral("c1"));
        QCOMPARE(dbRow(repo(), 4)->version, 1);
        // Exactly once: the redelivery after a commit changed no row again.
        int rowChanges = 0;
        for (const auto &args : std::as_const(changes))
            rowChanges += int(args.first().value<QList<ProductChange>>().size());
        QCOMPARE(rowChanges, point == WriteBehindQueue::CrashPoint::AfterMove ? 4 : 0);
        QVERIFY(m_server->syncInteger({ "TTL", "product:1" }) > 0);
    }

    // Items moved back by recovery count as queued again: a write to one of
    // them is coalesced, not pushed a second time.
    void recoveredItemsAreQueuedAgain()
    {
        seed(repo(), 2);
        queue().setPaused(true);
        EXPECT_OK(update(1, QStringLiteral("a"), 1));
        EXPECT_OK(update(2, QStringLiteral("b"), 2));
        queue().setCrashPointForTesting(WriteBehindQueue::CrashPoint::AfterMove);
        QCOMPARE(flush()->status, ServiceStatus::Error);
        QCOMPARE(llen("cachelab:wb:processing"), 2);
        QCOMPARE(m_server->syncInteger({ "EXISTS", "cachelab:wb:queued" }), 0);

        restartService();
        queue().setPaused(true); // before the first connected turn: recover, but do not flush
        QTRY_COMPARE_WITH_TIMEOUT(llen("cachelab:wb:queue"), 2, WaitMs);
        QCOMPARE(llen("cachelab:wb:processing"), 0);
        QCOMPARE(m_server->syncInteger({ "SISMEMBER", "cachelab:wb:queued", "1" }), 1);
        QCOMPARE(m_server->syncInteger({ "SISMEMBER", "cachelab:wb:queued", "2" }), 1);
        const auto r = update(1, QStringLiteral("a2"), 3);
        EXPECT_OK(r);
        QCOMPARE(r->trace.stepsOf(TraceSystem::Redis).first().outcome, TraceOutcome::Coalesced);
        QCOMPARE(llen("cachelab:wb:queue"), 2);
        queue().setPaused(false);
        EXPECT_OK(flush());
        QTRY_COMPARE_WITH_TIMEOUT(dbRow(repo(), 1)->name, QStringLiteral("a2"), WaitMs);
        QCOMPARE(dbRow(repo(), 2)->name, QStringLiteral("b"));
    }

    // The queue list lost an entry behind CacheLab's back (deleted by hand,
    // evicted, or taken by an older build that does not know the queued set)
    // while the set still names the id. A later write to it is coalesced,
    // yet must still reach SQLite: the next take pushes such ids again.
    void orphanedQueuedIdIsStillFlushed()
    {
        seed(repo(), 2);
        queue().setPaused(true);
        EXPECT_OK(update(1, QStringLiteral("first"), 1));
        m_server->syncInteger({ "DEL", "cachelab:wb:queue" });
        QCOMPARE(m_server->syncInteger({ "SISMEMBER", "cachelab:wb:queued", "1" }), 1);
        const auto r = update(1, QStringLiteral("second"), 2);
        EXPECT_OK(r);
        QCOMPARE(r->trace.stepsOf(TraceSystem::Redis).first().outcome, TraceOutcome::Coalesced);
        QCOMPARE(llen("cachelab:wb:queue"), 0);
        queue().setPaused(false);
        const auto f = flush();
        EXPECT_OK(f);
        QCOMPARE(f->count, 1);
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("second"));
        QCOMPARE(m_server->syncInteger({ "HEXISTS", "product:1", "dirty" }), 0);
        QCOMPARE(m_server->syncInteger({ "EXISTS", "cachelab:wb:queued" }), 0);
    }

    // A write-behind create holds an id SQLite has not seen; a create under
    // another strategy must not be handed the same id.
    void createAfterSwitchDoesNotReuseQueuedId()
    {
        seed(repo(), 2);
        queue().setPaused(true);
        const auto queued
            = await([&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("queued"), 1, c, cb); });
        EXPECT_OK(queued);
        QCOMPARE(queued->product->id, 3);
        svc().setStrategy(StrategyKind::CacheAside);
        const auto direct
            = await([&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("direct"), 2, c, cb); });
        EXPECT_OK(direct);
        QCOMPARE(direct->product->id, 4);
        QCOMPARE(dbRow(repo(), 3)->name, QStringLiteral("queued"));
        QCOMPARE(dbRow(repo(), 4)->name, QStringLiteral("direct"));
    }

    // An update made right after switching away must not be overwritten by
    // an older queued version flushed later.
    void updateAfterSwitchWinsOverQueuedOlderWrite_data()
    {
        QTest::addColumn<StrategyKind>("next");
        for (StrategyKind k : allStrategies()) {
            if (k != StrategyKind::WriteBehind)
                QTest::newRow(qPrintable(strategyName(k))) << k;
        }
    }
    void updateAfterSwitchWinsOverQueuedOlderWrite()
    {
        QFETCH(StrategyKind, next);
        CacheSettings s = svc().settings();
        s.writeBehindBatchSize = 2; // several batches must drain first
        svc().setSettings(s);
        seed(repo(), 3);
        queue().setPaused(true);
        for (int i = 0; i < 3; ++i)
            EXPECT_OK(update(1, QStringLiteral("queued %1").arg(i), i));
        EXPECT_OK(update(2, QStringLiteral("queued two"), 2));
        EXPECT_OK(update(3, QStringLiteral("queued three"), 3));
        svc().setStrategy(next);
        const auto r = update(1, QStringLiteral("after switch"), 99);
        EXPECT_OK(r);
        QCOMPARE(r->product->version, 5);
        QTRY_COMPARE_WITH_TIMEOUT(llen("cachelab:wb:queue") + llen("cachelab:wb:processing"), 0, WaitMs);
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("after switch"));
        QCOMPARE(dbRow(repo(), 2)->name, QStringLiteral("queued two"));
        QCOMPARE(dbRow(repo(), 3)->name, QStringLiteral("queued three"));
        if (next != StrategyKind::None) {
            const auto read = await([&](QObject *c, ServiceCallback cb) { svc().get(1, c, cb); });
            QCOMPARE(read->product->name, QStringLiteral("after switch"));
        }
    }

    // After a switch away from write-behind a write waits for the queue to
    // drain; when the drain fails the write is refused and changes nothing
    // (writing anyway could let the queued older version overwrite it).
    void writeAfterFailedDrainIsRefused()
    {
        seed(repo(), 1);
        queue().setPaused(true);
        EXPECT_OK(update(1, QStringLiteral("queued"), 5));
        queue().setCrashPointForTesting(WriteBehindQueue::CrashPoint::AfterMove);
        QCOMPARE(flush()->status, ServiceStatus::Error); // the worker is now stopped
        svc().setStrategy(StrategyKind::WriteThrough);
        const auto r = update(1, QStringLiteral("direct"), 7);
        QVERIFY(r.has_value());
        QCOMPARE(r->status, ServiceStatus::Unavailable);
        QVERIFY2(r->error.contains(QStringLiteral("Nothing was changed")), qPrintable(r->error));
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("Item 1"));
        QCOMPARE(dbRow(repo(), 1)->version, 1);
        QCOMPARE(m_server->syncString({ "HGET", "product:1", "name" }), QByteArray("queued"));

        // After a restart the queue drains and the same write goes through.
        restartService();
        svc().setStrategy(StrategyKind::WriteThrough);
        QTRY_COMPARE_WITH_TIMEOUT(llen("cachelab:wb:queue") + llen("cachelab:wb:processing"), 0, WaitMs);
        EXPECT_OK(update(1, QStringLiteral("direct"), 7));
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("direct"));
        QCOMPARE(dbRow(repo(), 1)->version, 3);
    }

    void refusedWhenRedisIsDown()
    {
        seed(repo(), 1);
        m_env->client->disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(!svc().isCacheAvailable(), WaitMs);
        const auto r = update(1, QStringLiteral("lost?"), 1);
        EXPECT_STATUS(r, ServiceStatus::Unavailable);
        const auto c = await([&](QObject *ctx, ServiceCallback cb) { svc().create(QStringLiteral("x"), 1, ctx, cb); });
        EXPECT_STATUS(c, ServiceStatus::Unavailable);
        QCOMPARE(r->trace.count(TraceSystem::Sql), 0);
        m_env->client->connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(svc().isCacheAvailable(), WaitMs);
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("Item 1"));
        QCOMPARE(llen("cachelab:wb:queue"), 0);
    }

    // A queued update is one EVALSHA: one Redis step that says what it did.
    void writeIsOneScriptStep()
    {
        seed(repo(), 2);
        queue().setPaused(true);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().get(1, c, cb); })); // cached at version 1
        auto r = await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("n"), 5, 1, c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->product->version, 2);
        const QList<TraceStep> redis = r->trace.stepsOf(TraceSystem::Redis);
        QCOMPARE(redis.size(), 1);
        QCOMPARE(redis.first().outcome, TraceOutcome::Queue);
        QVERIFY2(redis.first().text.startsWith(QStringLiteral("EVALSHA wb-write: HSET product:1 (dirty)")),
            qPrintable(redis.first().text));
        QVERIFY2(redis.first().text.contains(QStringLiteral("RPUSH cachelab:wb:queue 1, version 1 -> 2")),
            qPrintable(redis.first().text));
        QCOMPARE(r->trace.count(TraceSystem::Sql), 0);

        // Not cached: the script asks for SQLite's version, then runs again.
        r = await([&](QObject *c, ServiceCallback cb) { svc().update(2, QStringLiteral("m"), 6, 0, c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->product->version, 2);
        QCOMPARE(r->trace.count(TraceSystem::Redis), 2);
        QCOMPARE(r->trace.count(TraceSystem::Sql), 1);
        QVERIFY(r->trace.stepsOf(TraceSystem::Redis).first().text.contains(QStringLiteral("not cached")));

        // A stale expected version: refused, nothing written or queued.
        r = await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("x"), 7, 1, c, cb); });
        EXPECT_STATUS(r, ServiceStatus::Conflict);
        QVERIFY(r->error.contains(QStringLiteral("version 2")));
        QVERIFY2(r->trace.stepsOf(TraceSystem::Redis).first().text.contains(QStringLiteral("refused")),
            qPrintable(r->trace.toText()));
        QCOMPARE(m_server->syncString({ "HGET", "product:1", "name" }), QByteArray("n"));
        QCOMPARE(llen("cachelab:wb:queue"), 2);
        QCOMPARE(svc().metrics().writeBehindCoalesced, 0u);

        // A delete leaves a tombstone; a write to it is NotFound.
        r = await([&](QObject *c, ServiceCallback cb) { svc().remove(1, c, cb); });
        EXPECT_OK(r);
        QVERIFY2(r->trace.stepsOf(TraceSystem::Redis).first().text.contains(QStringLiteral("tombstone product:1")),
            qPrintable(r->trace.toText()));
        QCOMPARE(r->trace.stepsOf(TraceSystem::Redis).first().outcome, TraceOutcome::Coalesced); // 1 waits already
        r = await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("y"), 8, 0, c, cb); });
        EXPECT_STATUS(r, ServiceStatus::NotFound);
        QCOMPARE(llen("cachelab:wb:queue"), 2);
        QTRY_COMPARE_WITH_TIMEOUT(svc().queueDepth(), 2, WaitMs);
    }

    // A write that fails inside a batch fails alone: the others in the same
    // script call are decided and answered as if each had its own call.
    void failingWriteInABatchFailsAlone()
    {
        seed(repo(), 7);
        queue().setPaused(true);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().get(1, c, cb); }));
        // Someone else's string where product 7's hash would be.
        QCOMPARE(m_server->syncString({ "SET", "product:7", "not a hash" }), QByteArray("OK"));
        QObject context;
        QList<std::optional<ServiceResult>> results(4);
        const QList<qint64> ids { 1, 1, 7, 1 };
        for (int i = 0; i < ids.size(); ++i)
            svc().update(ids.at(i), QStringLiteral("b%1").arg(i), i, 0, &context,
                [&results, i](const ServiceResult &r) { results[i] = r; });
        QVERIFY(QTest::qWaitFor(
            [&] { return std::all_of(results.begin(), results.end(), [](const auto &r) { return r.has_value(); }); },
            WaitMs));
        EXPECT_STATUS(results.at(2), ServiceStatus::Error);
        QVERIFY2(results.at(2)->error.contains(QLatin1String("WRONGTYPE")), qPrintable(results.at(2)->error));
        QVERIFY2(results.at(3)->trace.toText().contains(QStringLiteral("sent with 2 other writes")),
            qPrintable(results.at(3)->trace.toText()));
        EXPECT_OK(results.at(0));
        EXPECT_OK(results.at(1));
        EXPECT_OK(results.at(3));
        QCOMPARE(results.at(1)->product->version, results.at(0)->product->version + 1);
        QCOMPARE(results.at(3)->product->version, results.at(1)->product->version + 1);
        QCOMPARE(m_server->syncString({ "HGET", "product:1", "name" }), QByteArray("b3"));
        QCOMPARE(m_server->syncString({ "GET", "product:7" }), QByteArray("not a hash"));
        queue().setPaused(false);
    }

    // Writes batch and stay atomic: the first goes at once, alone; those
    // that arrive while it is in flight go together in the next script call;
    // concurrent writes get consecutive versions, and of concurrent
    // compare-and-set writes exactly one wins.
    void concurrentWritesBatchAndStayAtomic()
    {
        seed(repo(), 1);
        queue().setPaused(true);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().get(1, c, cb); }));
        constexpr int N = 40;
        QList<std::optional<ServiceResult>> results(N);
        QObject context;
        const quint64 sentBefore = m_env->client->commandsSent();
        for (int i = 0; i < N; ++i) {
            svc().update(1, QStringLiteral("w%1").arg(i), i, 0, &context,
                [&results, i](const ServiceResult &r) { results[i] = r; });
        }
        // Without returning to the event loop: the first write is on the
        // wire (no waiting when nothing is in flight), the others wait for it.
        QCOMPARE(m_env->client->commandsSent() - sentBefore, quint64(1));
        QVERIFY(QTest::qWaitFor(
            [&] { return std::all_of(results.begin(), results.end(), [](const auto &r) { return r.has_value(); }); },
            WaitMs));
        QList<qint64> versions;
        for (int i = 0; i < N; ++i) {
            const auto &r = results.at(i);
            EXPECT_OK(r);
            versions << r->product->version;
            // The other 39 went together, in the order they were made.
            const QString sharedWith = QStringLiteral("sent with %1 other writes in one script call").arg(N - 2);
            QVERIFY2(r->trace.toText().contains(sharedWith) == (i > 0), qPrintable(r->trace.toText()));
            if (i > 0)
                QCOMPARE(r->product->version, results.at(i - 1)->product->version + 1);
        }
        std::sort(versions.begin(), versions.end());
        for (int i = 0; i < N; ++i)
            QCOMPARE(versions.at(i), qint64(i + 2));
        QCOMPARE(m_server->syncString({ "HGET", "product:1", "version" }), QByteArray::number(N + 1));

        // Compare-and-set from many callers that all read version N + 1.
        QList<std::optional<ServiceResult>> cas(10);
        for (int i = 0; i < cas.size(); ++i) {
            svc().update(1, QStringLiteral("cas%1").arg(i), i, N + 1, &context,
                [&cas, i](const ServiceResult &r) { cas[i] = r; });
        }
        QVERIFY(QTest::qWaitFor(
            [&] { return std::all_of(cas.begin(), cas.end(), [](const auto &r) { return r.has_value(); }); }, WaitMs));
        int won = 0, conflicts = 0;
        for (const auto &r : std::as_const(cas)) {
            won += r->ok() ? 1 : 0;
            conflicts += r->status == ServiceStatus::Conflict ? 1 : 0;
        }
        QCOMPARE(won, 1);
        QCOMPARE(conflicts, int(cas.size()) - 1);
        QCOMPARE(llen("cachelab:wb:queue"), 1); // N + 1 writes to one id: queued once
        queue().setPaused(false);
        EXPECT_OK(flush());
        QTRY_COMPARE_WITH_TIMEOUT(dbRow(repo(), 1)->version, qint64(N + 2), WaitMs);
        QVERIFY(dbRow(repo(), 1)->name.startsWith(QStringLiteral("cas")));
    }

    // An error from Redis while taking items is an error, not "queue empty".
    void flushReportsRedisErrors()
    {
        seed(repo(), 1);
        queue().setPaused(true);
        m_server->syncString({ "SET", "cachelab:wb:queue", "not a list" });
        const auto r = flush();
        QVERIFY(r.has_value());
        QCOMPARE(r->status, ServiceStatus::Error);
        QVERIFY2(r->error.contains(QStringLiteral("WRONGTYPE")), qPrintable(r->error));
        QCOMPARE(m_server->syncString({ "GET", "cachelab:wb:queue" }), QByteArray("not a list"));
    }

    void writeDuringFlushStaysDirty()
    {
        seed(repo(), 1);
        queue().setPaused(true);
        EXPECT_OK(update(1, QStringLiteral("first"), 1));
        // Flush and write again before the flush finishes: the newer value
        // must stay dirty and queued, and reach SQLite next time.
        svc().setArtificialDbLatency(100);
        std::optional<ServiceResult> f;
        svc().flushWriteBehind(this, [&](const ServiceResult &r) { f = r; });
        EXPECT_OK(update(1, QStringLiteral("second"), 2));
        QCOMPARE(llen("cachelab:wb:queue"), 1); // taken by the flush, so queued again
        QTRY_VERIFY_WITH_TIMEOUT(f.has_value(), WaitMs);
        svc().setArtificialDbLatency(0);
        QCOMPARE(m_server->syncString({ "HGET", "product:1", "name" }), QByteArray("second"));
        EXPECT_OK(flush());
        QTRY_COMPARE_WITH_TIMEOUT(dbRow(repo(), 1)->name, QStringLiteral("second"), WaitMs);
        QCOMPARE(dbRow(repo(), 1)->version, 3);
        QCOMPARE(m_server->syncInteger({ "HEXISTS", "product:1", "dirty" }), 0);
    }
};

QTEST_MAIN(TestWriteBehindQueue)
#include "tst_writebehindqueue.moc"
