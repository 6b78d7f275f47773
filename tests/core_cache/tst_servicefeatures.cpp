// Tests for the service features of the Redis tour that live in
// ProductService itself, against a real redis-server and SQLite file:
// batched views (recent list, most-viewed sorted set, unique-viewers
// HyperLogLog) and ViewStats reading them; "adjust price by N" with
// optimistic retries; the productWritten signal; the existence-check hook
// on cache misses; the round trips pipelining saves, shown in the trace.
#include "cachefixture.h"
#include "writebehindqueue.h"
#include "operation.h"
#include "viewstats.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace CacheTest;

class TestServiceFeatures final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;
    std::unique_ptr<Env> m_env;

    ProductService &svc() { return *m_env->service; }
    ProductRepository &repo() { return *m_env->repo; }
    const TestRedisServer &redis() const { return *m_server; }

    std::optional<ServiceResult> get(qint64 id, const QByteArray &viewer = {})
    {
        return await([&](QObject *c, ServiceCallback cb) {
            if (viewer.isEmpty())
                svc().get(id, c, cb);
            else
                svc().get(id, viewer, c, cb);
        });
    }
    std::optional<ServiceResult> adjust(qint64 id, qint64 delta)
    {
        return await([&](QObject *c, ServiceCallback cb) { svc().adjustPrice(id, delta, c, cb); });
    }
    QList<QByteArray> lrange(const QByteArray &key) const { return redis().syncList({ "LRANGE", key, "0", "-1" }); }
    QByteArray zscore(qint64 id) const
    {
        return redis().syncString({ "ZSCORE", "cachelab:views", QByteArray::number(id) });
    }
    qint64 pfcount(qint64 id) const
    {
        return redis().syncInteger({ "PFCOUNT", "cachelab:viewers:" + QByteArray::number(id) });
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

    // ------------------------------------------------------------- views

    void viewsAreCountedPerProductAndViewer()
    {
        const QList<Product> rows = seed(repo(), 3);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().warmUp(c, cb); }));
        // Several hits in flight at once land in one batch: the recent list
        // must still come out as if each view had been applied in order.
        std::optional<ServiceResult> results[5];
        QObject ctx;
        const qint64 order[5] = { 1, 2, 1, 3, 1 };
        const QByteArray viewers[5] = { "alice", "bob", "alice", "alice", "carol" };
        for (int i = 0; i < 5; ++i)
            svc().get(order[i], viewers[i], &ctx, [&results, i](const ServiceResult &r) { results[i] = r; });
        QVERIFY(QTest::qWaitFor([&] { return results[4].has_value(); }, WaitMs));
        for (const auto &r : results)
            EXPECT_OK(r);
        // The get's trace names the commands its view will be sent with.
        QVERIFY(results[0]->trace.toText().contains(QLatin1String("ZINCRBY cachelab:views")));

        QTRY_COMPARE_WITH_TIMEOUT(lrange("recent_products"), QList<QByteArray>({ "1", "3", "2" }), WaitMs);
        QCOMPARE(zscore(1), QByteArray("3"));
        QCOMPARE(zscore(2), QByteArray("1"));
        QCOMPARE(zscore(3), QByteArray("1"));
        QCOMPARE(pfcount(1), 2); // alice twice, carol once
        QCOMPARE(pfcount(2), 1);
        Q_UNUSED(rows);
    }

    void missingProductIsNotAView()
    {
        seed(repo(), 1);
        EXPECT_STATUS(get(42, "alice"), ServiceStatus::NotFound);
        EXPECT_OK(get(1, "alice"));
        QTRY_COMPARE_WITH_TIMEOUT(zscore(1), QByteArray("1"), WaitMs);
        QCOMPARE(zscore(42), QByteArray());
        QCOMPARE(redis().syncInteger({ "EXISTS", "cachelab:viewers:42" }), 0);
    }

    void recentProductsSeesViewsMadeJustBefore()
    {
        seed(repo(), 2);
        QObject ctx;
        std::optional<ServiceResult> recent;
        // The read starts as soon as the get has answered, well before the
        // batch timer fires: it must send the batched view first.
        svc().get(2, &ctx, [&](const ServiceResult &) {
            svc().recentProducts(&ctx, [&recent](const ServiceResult &r) { recent = r; });
        });
        QVERIFY(QTest::qWaitFor([&] { return recent.has_value(); }, WaitMs));
        EXPECT_OK(recent);
        QCOMPARE(recent->products.size(), 1);
        QCOMPARE(recent->products.at(0).id, 2);
    }

    void viewStatsTopAndUniqueViewers()
    {
        seed(repo(), 4);
        for (int i = 0; i < 5; ++i)
            EXPECT_OK(get(3, "v" + QByteArray::number(i)));
        for (int i = 0; i < 2; ++i)
            EXPECT_OK(get(1, "v0"));
        EXPECT_OK(get(4, "v9"));

        ViewStats stats(&svc());
        std::optional<QList<ViewCount>> top;
        QString error;
        QObject ctx;
        stats.top(2, &ctx, [&](const QList<ViewCount> &t, const QString &e) {
            top = t;
            error = e;
        });
        QVERIFY(QTest::qWaitFor([&] { return top.has_value(); }, WaitMs));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(top->size(), 2);
        QCOMPARE(top->at(0).id, 3);
        QCOMPARE(top->at(0).views, 5);
        QCOMPARE(top->at(0).uniqueViewers, 5);
        QCOMPARE(top->at(1).id, 1);
        QCOMPARE(top->at(1).views, 2);
        QCOMPARE(top->at(1).uniqueViewers, 1);

        std::optional<qint64> unique;
        stats.uniqueViewers(4, &ctx, [&](qint64 n, const QString &) { unique = n; });
        QVERIFY(QTest::qWaitFor([&] { return unique.has_value(); }, WaitMs));
        QCOMPARE(*unique, 1);
    }

    void deleteLeavesTheLeaderboard()
    {
        seed(repo(), 2);
        EXPECT_OK(get(2, "alice"));
        QTRY_COMPARE_WITH_TIMEOUT(zscore(2), QByteArray("1"), WaitMs);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().remove(2, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(zscore(2), QByteArray(), WaitMs);
        QCOMPARE(redis().syncInteger({ "EXISTS", "cachelab:viewers:2" }), 0);
    }

    // ------------------------------------------------------- adjust price

    void adjustPrice_data()
    {
        QTest::addColumn<StrategyKind>("strategy");
        for (StrategyKind k : allStrategies())
            QTest::newRow(qPrintable(strategyName(k))) << k;
    }

    void adjustPrice()
    {
        QFETCH(StrategyKind, strategy);
        const Product p = seed(repo(), 1).value(0);
        svc().setStrategy(strategy);
        const auto r = adjust(p.id, 25);
        EXPECT_OK(r);
        QCOMPARE(r->product->price, p.price + 25);
        QCOMPARE(r->product->version, p.version + 1);
        QCOMPARE(r->retries, 0);
        QVERIFY(r->trace.toText().contains(QLatin1String("attempt 1")));
        // Reading in order to write is not a view.
        QCOMPARE(zscore(p.id), QByteArray());

        if (strategy == StrategyKind::WriteBehind)
            EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().flushWriteBehind(c, cb); }));
        const auto row = dbRow(repo(), p.id);
        QVERIFY(row);
        QCOMPARE(row->price, p.price + 25);
        const auto again = get(p.id);
        EXPECT_OK(again);
        QCOMPARE(again->product->price, p.price + 25);
    }

    void concurrentAdjustmentsAllLandWithRetries_data() { adjustPrice_data(); }

    void concurrentAdjustmentsAllLandWithRetries()
    {
        QFETCH(StrategyKind, strategy);
        const Product p = seed(repo(), 1).value(0);
        svc().setStrategy(strategy);
        // Eight adjustments in flight at once all read the same version;
        // only one write per version can win, so the others must retry.
        constexpr int N = 8;
        QList<std::optional<ServiceResult>> results(N);
        QObject ctx;
        for (int i = 0; i < N; ++i)
            svc().adjustPrice(p.id, 1, &ctx, [&results, i](const ServiceResult &r) { results[i] = r; });
        QVERIFY(QTest::qWaitFor(
            [&] { return std::all_of(results.cbegin(), results.cend(), [](const auto &r) { return r.has_value(); }); },
            WaitMs * 3));
        int retries = 0;
        for (const auto &r : std::as_const(results)) {
            EXPECT_OK(r);
            retries += r->retries;
        }
        QVERIFY2(retries >= 1, "eight concurrent adjustments needed no retry: the version check is not working");
        // Every retry is visible in its trace.
        const auto retried = std::find_if(results.cbegin(), results.cend(), [](const auto &r) { return r->retries > 0; });
        QVERIFY(retried->value().trace.hasStep(TraceOutcome::Conflict));

        if (strategy == StrategyKind::WriteBehind)
            EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().flushWriteBehind(c, cb); }));
        const auto row = dbRow(repo(), p.id);
        QVERIFY(row);
        QCOMPARE(row->price, p.price + N);
        // Each adjustment was answered with a version of its own, and the row
        // holds the last one. (Versions reserved by attempts that lost their
        // compare-and-set may be skipped: unique and increasing, not dense.)
        QSet<qint64> versions;
        qint64 newest = 0;
        for (const auto &r : std::as_const(results)) {
            QVERIFY2(!versions.contains(r->product->version), "two adjustments answered with one version");
            versions.insert(r->product->version);
            newest = std::max(newest, r->product->version);
        }
        QVERIFY(row->version >= p.version + N);
        QCOMPARE(row->version, newest);
    }

    void adjustPriceRecoversFromStaleCachedCopy()
    {
        const Product p = seed(repo(), 1).value(0);
        EXPECT_OK(get(p.id)); // cached at version 1
        // An outside edit the change feed has not reported yet: SQLite is at
        // version 2, the cache still says version 1.
        repo().setChangePollInterval(3600 * 1000);
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("outside"));
            db.setDatabaseName(repo().path());
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE products SET price = 5000, version = version + 1 WHERE id = %1").arg(p.id)));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("outside"));
        QCOMPARE(hash(redis(), "product:" + QByteArray::number(p.id)).value("version"), QByteArray("1"));

        const auto r = adjust(p.id, 10);
        EXPECT_OK(r);
        QCOMPARE(r->retries, 1);
        QCOMPARE(r->product->price, 5010);
        QCOMPARE(r->product->version, 3);
        const auto row = dbRow(repo(), p.id);
        QCOMPARE(row->price, 5010);
    }

    void deleteRightAfterGetStaysOffTheLeaderboard()
    {
        seed(repo(), 2);
        EXPECT_OK(get(2, "alice"));
        // The view is still in the batch when the delete lands.
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().remove(2, c, cb); }));
        EXPECT_OK(get(1, "alice"));
        svc().flushViews();
        QTRY_COMPARE_WITH_TIMEOUT(zscore(1), QByteArray("1"), WaitMs);
        QCOMPARE(zscore(2), QByteArray());
        QCOMPARE(redis().syncInteger({ "EXISTS", "cachelab:viewers:2" }), 0);
        QVERIFY(!lrange("recent_products").contains("2"));
    }

    void adjustPriceRejectsBadInput()
    {
        const Product p = seed(repo(), 1).value(0);
        const auto zero = adjust(p.id, 0);
        EXPECT_STATUS(zero, ServiceStatus::Invalid);
        QCOMPARE(zero->fieldErrors.value(0).field, QStringLiteral("delta"));
        EXPECT_STATUS(adjust(-3, 5), ServiceStatus::Invalid);
        const auto overflow = adjust(p.id, std::numeric_limits<qint64>::max());
        EXPECT_STATUS(overflow, ServiceStatus::Invalid);
        const auto negative = adjust(p.id, -p.price - 1);
        EXPECT_STATUS(negative, ServiceStatus::Invalid);
        EXPECT_STATUS(adjust(999, 5), ServiceStatus::NotFound);
        // Nothing was written.
        const auto row = dbRow(repo(), p.id);
        QCOMPARE(row->price, p.price);
        QCOMPARE(row->version, p.version);
    }

    // ------------------------------------------------- upsert, write-behind

    // Issue 12 (3): under write-behind the article's POST /product with an id
    // that does not exist is a queued create like any other write: in Redis
    // and the queue when acknowledged, in SQLite only through the worker.
    void upsertUnderWriteBehindQueuesAMissingId()
    {
        const Product p = seed(repo(), 1).value(0);
        svc().setStrategy(StrategyKind::WriteBehind);
        svc().writeBehindQueue()->setPaused(true);
        // An existing row: a queued update.
        const auto updated = await([&](QObject *c, ServiceCallback cb) {
            svc().upsert(p.id, QStringLiteral("Renamed"), 700, c, cb);
        });
        EXPECT_OK(updated);
        QCOMPARE(updated->product->version, p.version + 1);
        QVERIFY(updated->trace.hasStep(TraceOutcome::Queue));
        // A missing id: queued too, not written to SQLite.
        const auto created = await([&](QObject *c, ServiceCallback cb) {
            svc().upsert(4242, QStringLiteral("Chosen id"), 900, c, cb);
        });
        EXPECT_OK(created);
        QCOMPARE(created->product->id, 4242);
        QCOMPARE(created->product->version, 1);
        QVERIFY(created->trace.hasStep(TraceOutcome::Queue));
        QCOMPARE(created->trace.count(TraceSystem::Sql), 1); // the version read, no write
        QVERIFY(!dbRow(repo(), 4242));
        QCOMPARE(hash(redis(), "product:4242").value("dirty"), QByteArray("1"));
        QCOMPARE(hash(redis(), "product:4242").value("name"), QByteArray("Chosen id"));
        QVERIFY(lrange("cachelab:wb:queue").contains("4242"));
        // Served from the cache before the flush.
        const auto early = get(4242);
        EXPECT_OK(early);
        QVERIFY(early->fromCache);
        QCOMPARE(early->product->price, 900);
        // The worker writes both.
        svc().writeBehindQueue()->setPaused(false);
        const auto flushed = await([&](QObject *c, ServiceCallback cb) { svc().flushWriteBehind(c, cb); });
        EXPECT_OK(flushed);
        const auto row = dbRow(repo(), 4242);
        QVERIFY(row);
        QCOMPARE(row->name, QStringLiteral("Chosen id"));
        QCOMPARE(row->version, 1);
        QCOMPARE(dbRow(repo(), p.id)->name, QStringLiteral("Renamed"));
        // An upsert of an id that exists in SQLite only is an update of it.
        const auto again = await([&](QObject *c, ServiceCallback cb) {
            svc().upsert(4242, QStringLiteral("Chosen again"), 901, c, cb);
        });
        EXPECT_OK(again);
        QCOMPARE(again->product->version, 2);
    }

    // ---------------------------------------------------- productWritten

    void productWrittenReportsEachAcknowledgedWrite()
    {
        QList<ProductWrite> writes;
        connect(&svc(), &ProductService::productWritten, this, [&writes](const ProductWrite &w) { writes << w; });
        const auto created = await([&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("Lamp"), 900, c, cb); });
        EXPECT_OK(created);
        const qint64 id = created->product->id;
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().update(id, QStringLiteral("Lamp 2"), 950, 0, c, cb); }));
        EXPECT_STATUS(await([&](QObject *c, ServiceCallback cb) { svc().update(id, QStringLiteral("x"), 1, 99, c, cb); }),
            ServiceStatus::Conflict);
        svc().setStrategy(StrategyKind::WriteBehind);
        EXPECT_OK(adjust(id, 50));
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().remove(id, c, cb); }));

        QCOMPARE(writes.size(), 4); // the conflict is not a write
        QCOMPARE(writes.at(0).kind, ProductWrite::Kind::Created);
        QCOMPARE(writes.at(0).id, id);
        QCOMPARE(writes.at(0).version, 1);
        QVERIFY(!writes.at(0).queued);
        QCOMPARE(writes.at(1).kind, ProductWrite::Kind::Updated);
        QCOMPARE(writes.at(1).version, 2);
        QCOMPARE(writes.at(2).operation, QStringLiteral("adjust-price"));
        QCOMPARE(writes.at(2).version, 3);
        QVERIFY(writes.at(2).queued);
        QCOMPARE(writes.at(2).strategy, StrategyKind::WriteBehind);
        QCOMPARE(writes.at(3).kind, ProductWrite::Kind::Deleted);
        QCOMPARE(writes.at(3).id, id);
    }

    // ---------------------------------------------------- existence check

    void existenceCheckShortCircuitsMisses()
    {
        seed(repo(), 2);
        QList<qint64> asked;
        svc().setExistenceCheck([&asked](const std::shared_ptr<Operation> &op, qint64 id, std::function<void(bool)> then) {
            asked << id;
            op->note(QStringLiteral("test filter"));
            then(id <= 2);
        });
        const auto absent = get(77);
        EXPECT_STATUS(absent, ServiceStatus::NotFound);
        QCOMPARE(absent->trace.count(TraceSystem::Sql), 0);
        const auto present = get(2);
        EXPECT_OK(present);
        QCOMPARE(present->trace.count(TraceSystem::Sql), 1);
        // A hit never asks the filter.
        EXPECT_OK(get(2));
        QCOMPARE(asked, QList<qint64>({ 77, 2 }));
    }

    // ---------------------------------------------------------- pipelining

    void warmUpTraceShowsRoundTripsSaved()
    {
        seed(repo(), 5);
        const auto r = await([&](QObject *c, ServiceCallback cb) { svc().warmUp(c, cb); });
        EXPECT_OK(r);
        QVERIFY2(r->trace.toText().contains(QLatin1String("(4 saved by pipelining)")), qPrintable(r->trace.toText()));
    }
};

QTEST_GUILESS_MAIN(TestServiceFeatures)
#include "tst_servicefeatures.moc"
