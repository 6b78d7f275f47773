// Tests for ProductService against a real redis-server and real SQLite
// files: every strategy x every operation with the Redis state (keys, hash
// fields, TTL ranges, lists, queue) and the SQLite rows asserted; the
// article's five bugs; invalid input; strategy switching with calls in
// flight; Redis outages; key prefix, TTL jitter, warm-up, recent list,
// eviction settings, NOSCRIPT reload and metrics.
#include "cachefixture.h"
#include "cachescripts.h"
#include "invalidationbus.h"
#include "writebehindqueue.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace CacheTest;

class TestProductService final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;
    std::unique_ptr<Env> m_env;

    ProductService &svc() { return *m_env->service; }
    ProductRepository &repo() { return *m_env->repo; }
    const TestRedisServer &redis() const { return *m_server; }

    std::unique_ptr<Env> freshEnv(const CacheSettings &settings = {})
    {
        QString error;
        auto env = makeEnv(*m_server, &error, {}, settings);
        if (!env)
            qWarning("%s", qPrintable(error));
        return env;
    }

    std::optional<ServiceResult> get(qint64 id)
    {
        return await([&](QObject *c, ServiceCallback cb) { svc().get(id, c, cb); });
    }
    std::optional<ServiceResult> flush()
    {
        return await([&](QObject *c, ServiceCallback cb) { svc().flushWriteBehind(c, cb); });
    }

    qint64 ttl(const QByteArray &key) const { return redis().syncInteger({ "TTL", key }); }
    qint64 exists(const QByteArray &key) const { return redis().syncInteger({ "EXISTS", key }); }
    QList<QByteArray> lrange(const QByteArray &key) const { return redis().syncList({ "LRANGE", key, "0", "-1" }); }

    /// Article bug 1: a product hash that is not unflushed write-behind data
    /// must always carry a TTL.
    void verifyNoImmortalProductKeys()
    {
        const QList<QByteArray> keys = redis().syncList({ "KEYS", "*product:*" });
        for (const QByteArray &k : keys) {
            if (redis().syncString({ "TYPE", k }) != "hash")
                continue;
            const auto h = hash(redis(), k);
            if (h.contains("dirty"))
                continue;
            QVERIFY2(ttl(k) > 0, k.constData());
        }
    }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<TestRedisServer>();
        m_server->setExtraConfig({ QStringLiteral("notify-keyspace-events KEA") });
        QString error;
        QVERIFY2(m_server->start(&error), qPrintable(error));
    }

    void init()
    {
        m_server->syncString({ "FLUSHALL" });
        m_env = freshEnv();
        QVERIFY(m_env);
    }

    void cleanup() { m_env.reset(); }
    void cleanupTestCase() { m_server.reset(); }

    // ------------------------------------------------------------------ get

    void get_data()
    {
        QTest::addColumn<StrategyKind>("strategy");
        for (StrategyKind k : allStrategies())
            QTest::newRow(qPrintable(strategyName(k))) << k;
    }

    void get()
    {
        QFETCH(StrategyKind, strategy);
        const QList<Product> rows = seed(repo(), 2);
        svc().setStrategy(strategy);

        const auto first = get(rows.at(0).id);
        EXPECT_OK(first);
        QCOMPARE(first->product->name, rows.at(0).name);
        QCOMPARE(first->product->version, 1);
        QCOMPARE(first->trace.strategy, strategy);
        QCOMPARE(first->trace.count(TraceSystem::Sql), 1);

        const auto second = get(rows.at(0).id);
        EXPECT_OK(second);
        QCOMPARE(second->product->name, rows.at(0).name);
        if (strategy == StrategyKind::None) {
            QCOMPARE(exists("product:1"), 0);
            QCOMPARE(second->trace.count(TraceSystem::Redis), 0);
            QCOMPARE(second->trace.outcome, TraceOutcome::Ok);
            QCOMPARE(exists("recent_products"), 0);
            return;
        }
        QCOMPARE(first->trace.outcome, TraceOutcome::Miss);
        QVERIFY(first->trace.hasStep(TraceSystem::Redis, TraceOutcome::Fill));
        QCOMPARE(second->trace.outcome, TraceOutcome::Hit);
        QVERIFY(second->fromCache);
        QCOMPARE(second->trace.count(TraceSystem::Sql), 0);

        const auto h = hash(redis(), "product:1");
        QCOMPARE(h.value("name"), rows.at(0).name.toUtf8());
        QCOMPARE(h.value("price"), QByteArray::number(rows.at(0).price));
        QCOMPARE(h.value("version"), QByteArray("1"));
        QVERIFY(!h.contains("dirty"));
        const qint64 t = ttl("product:1");
        QVERIFY2(t > 55 && t <= 60, QByteArray::number(t).constData());
        // The recent list is updated without delaying the answer: wait for it.
        QTRY_COMPARE_WITH_TIMEOUT(lrange("recent_products"), QList<QByteArray>({ "1" }), WaitMs);
        verifyNoImmortalProductKeys();
    }

    // Article bug 5: a missing product is "not found", not a server error;
    // and it is remembered for a short time (negative caching).
    void getMissing_data() { get_data(); }
    void getMissing()
    {
        QFETCH(StrategyKind, strategy);
        svc().setStrategy(strategy);
        const auto first = get(999);
        EXPECT_STATUS(first, ServiceStatus::NotFound);
        QVERIFY(!first->error.isEmpty());
        const auto second = get(999);
        EXPECT_STATUS(second, ServiceStatus::NotFound);
        if (strategy == StrategyKind::None) {
            QCOMPARE(exists("product:999"), 0);
            return;
        }
        QCOMPARE(hash(redis(), "product:999").value("absent"), QByteArray("1"));
        const qint64 t = ttl("product:999");
        QVERIFY(t > 0 && t <= 10);
        QVERIFY(second->fromCache);
        QCOMPARE(second->trace.outcome, TraceOutcome::NegativeHit);
        QCOMPARE(second->trace.count(TraceSystem::Sql), 0);
        QCOMPARE(exists("recent_products"), 0); // a miss is not a view
    }

    void negativeEntryDroppedByCreate_data() { get_data(); }
    void negativeEntryDroppedByCreate()
    {
        QFETCH(StrategyKind, strategy);
        if (strategy == StrategyKind::None)
            QSKIP("no cache");
        svc().setStrategy(strategy);
        EXPECT_STATUS(get(1), ServiceStatus::NotFound); // id 1 is the next one SQLite hands out
        const auto created
            = await([&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("Fresh"), 5, c, cb); });
        EXPECT_OK(created);
        QCOMPARE(created->product->id, 1);
        const auto again = get(1);
        EXPECT_OK(again);
        QCOMPARE(again->product->name, QStringLiteral("Fresh"));
    }

    // --------------------------------------------------------------- create

    void create_data() { get_data(); }
    void create()
    {
        QFETCH(StrategyKind, strategy);
        seed(repo(), 2);
        svc().setStrategy(strategy);
        if (strategy == StrategyKind::WriteBehind)
            svc().writeBehindQueue()->setPaused(true);
        const auto r
            = await([&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("  New one "), 1234, c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->product->name, QStringLiteral("New one")); // trimmed by the validator
        const qint64 id = r->product->id;
        QCOMPARE(id, 3);
        const QByteArray key = "product:" + QByteArray::number(id);

        switch (strategy) {
        case StrategyKind::None:
        case StrategyKind::CacheAside:
        case StrategyKind::ReadThrough:
            QCOMPARE(exists(key), 0);
            QCOMPARE(dbRow(repo(), id)->name, QStringLiteral("New one"));
            break;
        case StrategyKind::WriteThrough: {
            const auto h = hash(redis(), key);
            QCOMPARE(h.value("name"), QByteArray("New one"));
            QCOMPARE(h.value("version"), QByteArray("1"));
            QVERIFY(ttl(key) > 55);
            QCOMPARE(dbRow(repo(), id)->price, 1234);
            break;
        }
        case StrategyKind::WriteBehind: {
            QCOMPARE(r->trace.outcome, TraceOutcome::Queue);
            QCOMPARE(r->trace.count(TraceSystem::Sql), 1); // the id floor read, no write
            auto h = hash(redis(), key);
            QCOMPARE(h.value("dirty"), QByteArray("1"));
            QCOMPARE(h.value("version"), QByteArray("1"));
            QCOMPARE(ttl(key), -1); // never expires while queued (bug 3)
            QCOMPARE(lrange("cachelab:wb:queue"), QList<QByteArray>({ QByteArray::number(id) }));
            QVERIFY(!dbRow(repo(), id));
            EXPECT_OK(flush());
            QCOMPARE(dbRow(repo(), id)->name, QStringLiteral("New one"));
            QCOMPARE(dbRow(repo(), id)->version, 1);
            h = hash(redis(), key);
            QVERIFY(!h.contains("dirty"));
            QVERIFY(ttl(key) > 55);
            QCOMPARE(lrange("cachelab:wb:queue"), QList<QByteArray>());
            QCOMPARE(lrange("cachelab:wb:processing"), QList<QByteArray>());
            break;
        }
        }
        verifyNoImmortalProductKeys();
    }

    // --------------------------------------------------------------- update

    void update_data() { get_data(); }
    void update()
    {
        QFETCH(StrategyKind, strategy);
        const QList<Product> rows = seed(repo(), 2);
        svc().setStrategy(strategy);
        if (strategy == StrategyKind::WriteBehind)
            svc().writeBehindQueue()->setPaused(true);
        EXPECT_OK(get(1)); // cached at version 1
        const auto r
            = await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("Renamed"), 777, 1, c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->product->version, 2);

        switch (strategy) {
        case StrategyKind::None:
            QCOMPARE(exists("product:1"), 0);
            break;
        case StrategyKind::CacheAside:
        case StrategyKind::ReadThrough:
            QCOMPARE(exists("product:1"), 0);
            QVERIFY(r->trace.hasStep(TraceSystem::Redis, TraceOutcome::Invalidate));
            QCOMPARE(redis().syncString({ "GET", "cachelab:guard:1" }), QByteArray("2"));
            QVERIFY(ttl("cachelab:guard:1") > 0);
            break;
        case StrategyKind::WriteThrough: {
            const auto h = hash(redis(), "product:1");
            QCOMPARE(h.value("name"), QByteArray("Renamed"));
            QCOMPARE(h.value("version"), QByteArray("2"));
            QVERIFY(ttl("product:1") > 55);
            break;
        }
        case StrategyKind::WriteBehind: {
            const auto h = hash(redis(), "product:1");
            QCOMPARE(h.value("name"), QByteArray("Renamed"));
            QCOMPARE(h.value("version"), QByteArray("2"));
            QCOMPARE(h.value("dirty"), QByteArray("1"));
            QCOMPARE(ttl("product:1"), -1);
            QCOMPARE(lrange("cachelab:wb:queue"), QList<QByteArray>({ "1" }));
            QCOMPARE(dbRow(repo(), 1)->version, 1); // not yet in SQLite
            const auto read = get(1); // reads see the accepted write
            QCOMPARE(read->product->name, QStringLiteral("Renamed"));
            EXPECT_OK(flush());
            break;
        }
        }
        const auto row = dbRow(repo(), 1);
        QCOMPARE(row->name, QStringLiteral("Renamed"));
        QCOMPARE(row->price, 777);
        QCOMPARE(row->version, 2);
        QCOMPARE(dbRow(repo(), 2)->version, 1);
        const auto after = get(1);
        QCOMPARE(after->product->name, QStringLiteral("Renamed"));
        QCOMPARE(after->product->version, 2);

        // A stale expected version is a conflict under every strategy, and changes nothing.
        const auto stale
            = await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("Lost"), 1, 1, c, cb); });
        EXPECT_STATUS(stale, ServiceStatus::Conflict);
        if (strategy == StrategyKind::WriteBehind)
            EXPECT_OK(flush());
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("Renamed"));
        verifyNoImmortalProductKeys();
    }

    void updateMissing_data() { get_data(); }
    void updateMissing()
    {
        QFETCH(StrategyKind, strategy);
        svc().setStrategy(strategy);
        const auto r
            = await([&](QObject *c, ServiceCallback cb) { svc().update(42, QStringLiteral("Ghost"), 1, 0, c, cb); });
        EXPECT_STATUS(r, ServiceStatus::NotFound);
        QCOMPARE(exists("product:42"), 0);
        QCOMPARE(redis().syncInteger({ "LLEN", "cachelab:wb:queue" }), 0);
    }

    // ------------------------------------------------ update in a transaction

    void updateInTransaction_data() { get_data(); }
    void updateInTransaction()
    {
        QFETCH(StrategyKind, strategy);
        seed(repo(), 1);
        svc().setStrategy(strategy);
        EXPECT_OK(get(1));
        const auto r = await(
            [&](QObject *c, ServiceCallback cb) { svc().updateInTransaction(1, QStringLiteral("Tx"), 50, 0, c, cb); });
        EXPECT_OK(r);
        if (strategy == StrategyKind::WriteBehind)
            EXPECT_OK(flush());
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("Tx"));
        QCOMPARE(dbRow(repo(), 1)->version, 2);
        if (strategy == StrategyKind::None) {
            QCOMPARE(exists("product:1"), 0);
            return;
        }
        const auto h = hash(redis(), "product:1");
        QCOMPARE(h.value("name"), QByteArray("Tx"));
        QCOMPARE(h.value("version"), QByteArray("2"));
        QVERIFY(ttl("product:1") > 55);
        if (strategy != StrategyKind::WriteBehind) {
            // SQL first, then one MULTI holding HSET and PEXPIRE.
            const QList<TraceStep> steps = r->trace.steps;
            int sqlAt = -1;
            int multiAt = -1;
            for (int i = 0; i < steps.size(); ++i) {
                if (steps.at(i).system == TraceSystem::Sql && sqlAt < 0)
                    sqlAt = i;
                if (steps.at(i).text.contains(QStringLiteral("MULTI"))
                    && steps.at(i).text.contains(QStringLiteral("PEXPIRE")))
                    multiAt = i;
            }
            QVERIFY(sqlAt >= 0 && multiAt > sqlAt);
        }
    }

    // Article bug 2: Redis written first, SQL error ignored. Here SQLite goes
    // first and a failed SQL write leaves Redis untouched.
    void bug2_failedSqlWriteNeverReachesRedis_data() { get_data(); }
    void bug2_failedSqlWriteNeverReachesRedis()
    {
        QFETCH(StrategyKind, strategy);
        if (strategy == StrategyKind::None || strategy == StrategyKind::WriteBehind)
            QSKIP("no SQL-first transaction under this strategy");
        seed(repo(), 1);
        svc().setStrategy(strategy);
        EXPECT_OK(get(1));
        const auto before = hash(redis(), "product:1");
        const auto conflict = await(
            [&](QObject *c, ServiceCallback cb) { svc().updateInTransaction(1, QStringLiteral("Bad"), 1, 9, c, cb); });
        EXPECT_STATUS(conflict, ServiceStatus::Conflict);
        QCOMPARE(hash(redis(), "product:1"), before);
        // Nothing goes to Redis after the failed SQL write (before it, only the
        // version reservation, which changes no cached data).
        const auto &steps = conflict->trace.steps;
        qsizetype sqlAt = -1;
        for (qsizetype i = 0; i < steps.size(); ++i) {
            if (steps.at(i).system == TraceSystem::Sql)
                sqlAt = i;
        }
        QVERIFY(sqlAt >= 0);
        for (qsizetype i = sqlAt + 1; i < steps.size(); ++i)
            QVERIFY2(steps.at(i).system != TraceSystem::Redis, qPrintable(steps.at(i).text));
        for (qsizetype i = 0; i < sqlAt; ++i) {
            if (steps.at(i).system == TraceSystem::Redis)
                QVERIFY2(steps.at(i).text.contains(QStringLiteral("version-reserve")), qPrintable(steps.at(i).text));
        }
        const auto missing = await(
            [&](QObject *c, ServiceCallback cb) { svc().updateInTransaction(77, QStringLiteral("Bad"), 1, 0, c, cb); });
        EXPECT_STATUS(missing, ServiceStatus::NotFound);
        QCOMPARE(exists("product:77"), 0);
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("Item 1"));
    }

    // --------------------------------------------------------------- delete

    void remove_data() { get_data(); }
    void remove()
    {
        QFETCH(StrategyKind, strategy);
        seed(repo(), 2);
        svc().setStrategy(strategy);
        if (strategy == StrategyKind::WriteBehind)
            svc().writeBehindQueue()->setPaused(true);
        EXPECT_OK(get(1));
        const auto r = await([&](QObject *c, ServiceCallback cb) { svc().remove(1, c, cb); });
        EXPECT_OK(r);
        switch (strategy) {
        case StrategyKind::None:
            break;
        case StrategyKind::CacheAside:
        case StrategyKind::ReadThrough:
        case StrategyKind::WriteThrough:
            QCOMPARE(exists("product:1"), 0);
            QCOMPARE(redis().syncString({ "GET", "cachelab:guard:1" }), QByteArray::number(CacheScripts::DeletedGuard));
            break;
        case StrategyKind::WriteBehind: {
            const auto h = hash(redis(), "product:1");
            QCOMPARE(h.value("absent"), QByteArray("1")); // the tombstone
            QCOMPARE(h.value("dirty"), QByteArray("1"));
            QCOMPARE(h.value("version"), QByteArray("2"));
            QVERIFY(!h.contains("name"));
            QCOMPARE(ttl("product:1"), -1);
            QCOMPARE(lrange("cachelab:wb:queue"), QList<QByteArray>({ "1" }));
            QVERIFY(dbRow(repo(), 1)); // still in SQLite until the flush
            EXPECT_STATUS(get(1), ServiceStatus::NotFound);
            EXPECT_OK(flush());
            QVERIFY(ttl("product:1") > 0); // the tombstone became a negative entry
            break;
        }
        }
        QVERIFY(!dbRow(repo(), 1));
        QVERIFY(dbRow(repo(), 2));
        EXPECT_STATUS(get(1), ServiceStatus::NotFound);
        EXPECT_STATUS(await([&](QObject *c, ServiceCallback cb) { svc().remove(1, c, cb); }), ServiceStatus::NotFound);
        verifyNoImmortalProductKeys();
    }

    // ----------------------------------------------------------------- list

    void list_data() { get_data(); }
    void list()
    {
        QFETCH(StrategyKind, strategy);
        seed(repo(), 3);
        svc().setStrategy(strategy);
        if (strategy == StrategyKind::WriteBehind)
            svc().writeBehindQueue()->setPaused(true);
        auto r = await([&](QObject *c, ServiceCallback cb) { svc().list(c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->products.size(), 3);
        QCOMPARE(r->trace.count(TraceSystem::Sql), 1);
        if (strategy != StrategyKind::WriteBehind)
            return;
        EXPECT_OK(
            await([&](QObject *c, ServiceCallback cb) { svc().update(2, QStringLiteral("Pending"), 1, 0, c, cb); }));
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().remove(3, c, cb); }));
        r = await([&](QObject *c, ServiceCallback cb) { svc().list(c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->products.size(), 2); // the queued delete is overlaid
        QCOMPARE(r->products.at(1).name, QStringLiteral("Pending"));
        QCOMPARE(dbRow(repo(), 2)->name, QStringLiteral("Item 2"));
    }

    // ------------------------------------------------------------ invalidate

    void invalidateOne_data() { get_data(); }
    void invalidateOne()
    {
        QFETCH(StrategyKind, strategy);
        if (strategy == StrategyKind::None)
            QSKIP("no cache");
        seed(repo(), 2);
        svc().setStrategy(strategy);
        EXPECT_OK(get(1));
        EXPECT_OK(get(2));
        const auto r = await([&](QObject *c, ServiceCallback cb) { svc().invalidate(1, c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->count, 1);
        QCOMPARE(exists("product:1"), 0);
        QCOMPARE(exists("product:2"), 1);
        const auto again = get(1);
        QCOMPARE(again->trace.outcome, TraceOutcome::Miss);
    }

    void invalidatePatternAndAll()
    {
        seed(repo(), 12);
        svc().setStrategy(StrategyKind::CacheAside);
        for (qint64 id = 1; id <= 12; ++id)
            EXPECT_OK(get(id));
        // One unflushed write-behind value must survive every invalidation.
        svc().setStrategy(StrategyKind::WriteBehind);
        svc().writeBehindQueue()->setPaused(true);
        EXPECT_OK(
            await([&](QObject *c, ServiceCallback cb) { svc().update(11, QStringLiteral("Dirty"), 1, 0, c, cb); }));

        auto r = await(
            [&](QObject *c, ServiceCallback cb) { svc().invalidatePattern(QStringLiteral("product:1*"), c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->count, 3); // 1, 10, 12 (11 is kept)
        QCOMPARE(r->warnings.size(), 1);
        QCOMPARE(exists("product:1"), 0);
        QCOMPARE(exists("product:10"), 0);
        QCOMPARE(exists("product:11"), 1);
        QCOMPARE(exists("product:2"), 1);

        r = await([&](QObject *c, ServiceCallback cb) { svc().invalidateAll(c, cb); });
        EXPECT_OK(r);
        QCOMPARE(redis().syncList({ "KEYS", "product:*" }), QList<QByteArray>({ "product:11" }));
        QCOMPARE(exists("recent_products"), 0);
        QCOMPARE(lrange("cachelab:wb:queue"), QList<QByteArray>({ "11" }));
        EXPECT_STATUS(await([&](QObject *c, ServiceCallback cb) { svc().invalidatePattern(QString(), c, cb); }),
            ServiceStatus::Invalid);
        // "*" matches another instance's queue keys too (a different prefix):
        // they are not this instance's to drop either.
        redis().syncInteger({ "RPUSH", "app2:cachelab:wb:queue", "5" });
        redis().syncInteger({ "SADD", "app2:cachelab:wb:queued", "5" });
        redis().syncString({ "SET", "app2:cachelab:wb:nextid", "40" });
        redis().syncString({ "SET", "app2:plain", "x" });
        r = await([&](QObject *c, ServiceCallback cb) { svc().invalidatePattern(QStringLiteral("*"), c, cb); });
        EXPECT_OK(r);
        QCOMPARE(exists("app2:plain"), 0);
        QCOMPARE(exists("app2:cachelab:wb:queue"), 1);
        QCOMPARE(exists("app2:cachelab:wb:queued"), 1);
        QCOMPARE(exists("app2:cachelab:wb:nextid"), 1);
        QCOMPARE(lrange("cachelab:wb:queue"), QList<QByteArray>({ "11" }));
        EXPECT_OK(flush());
        QCOMPARE(dbRow(repo(), 11)->name, QStringLiteral("Dirty"));
    }

    // --------------------------------------------------------- recent list

    // Article bug 4: viewing a product twice put it in the list twice.
    void bug4_recentListHasNoDuplicates()
    {
        seed(repo(), 12);
        svc().setStrategy(StrategyKind::CacheAside);
        for (qint64 id : { 1, 2, 1, 3, 1 })
            EXPECT_OK(get(id));
        QTRY_COMPARE_WITH_TIMEOUT(lrange("recent_products"), QList<QByteArray>({ "1", "3", "2" }), WaitMs);

        svc().invalidate(2, nullptr, {}); // one miss among the hashes
        QTRY_COMPARE_WITH_TIMEOUT(exists("product:2"), 0, WaitMs);
        const auto r = await([&](QObject *c, ServiceCallback cb) { svc().recentProducts(c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->products.size(), 3);
        QCOMPARE(r->products.at(0).id, 1);
        QCOMPARE(r->products.at(1).id, 3);
        QCOMPARE(r->products.at(2).id, 2);
        // LRANGE, then every hash in one pipelined round trip; only the miss reads SQL.
        int pipelines = 0;
        for (const TraceStep &s : r->trace.steps)
            pipelines += s.text.startsWith(QStringLiteral("pipeline 3 x HGETALL")) ? 1 : 0;
        QCOMPARE(pipelines, 1);
        QCOMPARE(r->trace.count(TraceSystem::Sql), 1);

        for (qint64 id = 1; id <= 12; ++id)
            EXPECT_OK(get(id));
        QTRY_COMPARE_WITH_TIMEOUT(lrange("recent_products").value(0), QByteArray("12"), WaitMs);
        const QList<QByteArray> ids = lrange("recent_products");
        QCOMPARE(ids.size(), 10);
        QCOMPARE(ids.first(), QByteArray("12"));
        QCOMPARE(ids.last(), QByteArray("3"));
    }

    void recentAndWarmUpPerStrategy_data() { get_data(); }
    void recentAndWarmUpPerStrategy()
    {
        QFETCH(StrategyKind, strategy);
        seed(repo(), 5);
        svc().setStrategy(strategy);
        const auto warm = await([&](QObject *c, ServiceCallback cb) { svc().warmUp(c, cb); });
        EXPECT_OK(warm);
        if (strategy == StrategyKind::None) {
            QCOMPARE(warm->count, 0);
            QCOMPARE(redis().syncInteger({ "DBSIZE" }), 0);
        } else {
            QCOMPARE(warm->count, 5);
            for (int id = 1; id <= 5; ++id) {
                const QByteArray key = "product:" + QByteArray::number(id);
                QCOMPARE(hash(redis(), key).value("version"), QByteArray("1"));
                QVERIFY(ttl(key) > 55);
            }
        }
        for (qint64 id : { 4, 2, 4 }) {
            const auto r = get(id);
            EXPECT_OK(r);
            QCOMPARE(r->fromCache, strategy != StrategyKind::None);
        }
        const auto recent = await([&](QObject *c, ServiceCallback cb) { svc().recentProducts(c, cb); });
        EXPECT_OK(recent);
        if (strategy == StrategyKind::None) {
            QVERIFY(recent->products.isEmpty());
            QCOMPARE(recent->warnings.size(), 1);
            return;
        }
        QTRY_COMPARE_WITH_TIMEOUT(lrange("recent_products"), QList<QByteArray>({ "4", "2" }), WaitMs);
        QCOMPARE(recent->products.size(), 2);
        QCOMPARE(recent->products.at(0).id, 4);
        QCOMPARE(recent->products.at(1).id, 2);
        QCOMPARE(recent->trace.count(TraceSystem::Sql), 0);
        verifyNoImmortalProductKeys();
    }

    // ------------------------------------------------------------- warm-up

    void warmUpInBatchesWithJitter()
    {
        seed(repo(), 25);
        CacheSettings s = svc().settings();
        s.warmUpBatchSize = 10;
        s.ttlSeconds = 100;
        s.ttlJitterPercent = 20;
        svc().setSettings(s);
        svc().setStrategy(StrategyKind::ReadThrough);
        const auto r = await([&](QObject *c, ServiceCallback cb) { svc().warmUp(c, cb); });
        EXPECT_OK(r);
        QCOMPARE(r->count, 25);
        int batches = 0;
        for (const TraceStep &s2 : r->trace.steps)
            batches += s2.text.contains(QStringLiteral("x EVALSHA (fill)")) ? 1 : 0;
        QCOMPARE(batches, 3);
        QSet<qint64> ttls;
        for (int id = 1; id <= 25; ++id) {
            const qint64 pttl = redis().syncInteger({ "PTTL", "product:" + QByteArray::number(id) });
            QVERIFY2(pttl > 79000 && pttl <= 120000, QByteArray::number(pttl).constData());
            ttls.insert(pttl / 1000);
        }
        QVERIFY(ttls.size() > 3); // spread, not one synchronized expiry
        const auto hit = get(7);
        QCOMPARE(hit->trace.outcome, TraceOutcome::Hit);
    }

    // ---------------------------------------------------------- key prefix

    void keyPrefix()
    {
        seed(repo(), 1);
        CacheSettings s;
        s.keyPrefix = QStringLiteral("app1:");
        svc().setSettings(s);
        svc().setStrategy(StrategyKind::CacheAside);
        EXPECT_OK(get(1));
        QCOMPARE(exists("app1:product:1"), 1);
        QCOMPARE(exists("product:1"), 0);
        QTRY_COMPARE_WITH_TIMEOUT(lrange("app1:recent_products"), QList<QByteArray>({ "1" }), WaitMs);
        svc().setStrategy(StrategyKind::WriteBehind);
        svc().writeBehindQueue()->setPaused(true);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("P"), 1, 0, c, cb); }));
        QCOMPARE(lrange("app1:cachelab:wb:queue"), QList<QByteArray>({ "1" }));
        EXPECT_OK(flush());
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("P"));
    }

    // --------------------------------------------------------- invalid input

    void invalidInputReachesNeitherStore_data() { get_data(); }
    void invalidInputReachesNeitherStore()
    {
        QFETCH(StrategyKind, strategy);
        seed(repo(), 1);
        svc().setStrategy(strategy);
        svc().resetMetrics();
        const qint64 keysBefore = redis().syncInteger({ "DBSIZE" });
        // Start-up work (script load, queue recovery) has finished.
        QTRY_COMPARE_WITH_TIMEOUT(m_env->client->pendingCount(), 0, WaitMs);
        const quint64 commandsBefore = m_env->client->commandsSent();
        QList<std::optional<ServiceResult>> results;
        results << await([&](QObject *c, ServiceCallback cb) { svc().create(QString(), 5, c, cb); });
        results << await([&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("x"), -5, c, cb); });
        results << await(
            [&](QObject *c, ServiceCallback cb) { svc().create(QStringLiteral("bad\x01name"), 5, c, cb); });
        results << await(
            [&](QObject *c, ServiceCallback cb) { svc().create(QString(101, QLatin1Char('n')), 5, c, cb); });
        results << await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("   "), 5, 0, c, cb); });
        results << await([&](QObject *c, ServiceCallback cb) { svc().update(0, QStringLiteral("ok"), 5, 0, c, cb); });
        results << await(
            [&](QObject *c, ServiceCallback cb) { svc().updateInTransaction(1, QStringLiteral("ok"), -1, 0, c, cb); });
        results << await([&](QObject *c, ServiceCallback cb) { svc().get(-3, c, cb); });
        results << await([&](QObject *c, ServiceCallback cb) { svc().remove(0, c, cb); });
        results << await([&](QObject *c, ServiceCallback cb) { svc().invalidate(-1, c, cb); });
        for (const auto &r : results) {
            EXPECT_STATUS(r, ServiceStatus::Invalid);
            QVERIFY(!r->fieldErrors.isEmpty());
            QCOMPARE(r->trace.count(TraceSystem::Sql), 0);
            QCOMPARE(r->trace.count(TraceSystem::Redis), 0);
        }
        QCOMPARE(redis().syncInteger({ "DBSIZE" }), keysBefore);
        QCOMPARE(m_env->client->commandsSent(), commandsBefore);
        QCOMPARE(svc().metrics().dbWrites, 0u);
        QCOMPARE(svc().metrics().dbReads, 0u);
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("Item 1"));
    }

    // Results are never delivered inside the call itself.
    void callbacksAreNeverSynchronous()
    {
        bool called = false;
        svc().create(QString(), 1, nullptr, [&](const ServiceResult &) { called = true; });
        QVERIFY(!called);
        QTRY_VERIFY_WITH_TIMEOUT(called, WaitMs);
    }

    // Article bug 1: HMSET then EXPIRE as two commands can leave a hash that
    // never expires. Every fill here is one atomic command or MULTI.
    void bug1_fillIsOneAtomicStep_data() { get_data(); }
    void bug1_fillIsOneAtomicStep()
    {
        QFETCH(StrategyKind, strategy);
        if (strategy == StrategyKind::None)
            QSKIP("no cache");
        seed(repo(), 3);
        svc().setStrategy(strategy);
        const auto r = get(1);
        EXPECT_OK(r);
        QList<TraceStep> fills;
        for (const TraceStep &s : r->trace.steps) {
            if (s.outcome == TraceOutcome::Fill)
                fills << s;
        }
        QCOMPARE(fills.size(), 1);
        QVERIFY(fills.first().text.startsWith(QStringLiteral("EVALSHA")));
        // No separate HSET/HMSET/EXPIRE command anywhere in the trace.
        for (const TraceStep &s : r->trace.steps) {
            QVERIFY(!s.text.startsWith(QStringLiteral("HMSET")));
            QVERIFY(!s.text.startsWith(QStringLiteral("HSET")));
            QVERIFY(!s.text.startsWith(QStringLiteral("EXPIRE")));
        }
        // Kill the connection at the moment of the fill: either the whole
        // fill happened or none of it; never a key without TTL.
        svc().setFillHook([this](qint64, std::function<void()> proceed) {
            m_env->client->disconnectFromServer();
            proceed();
        });
        const auto degraded = get(2);
        EXPECT_OK(degraded); // still answered from SQLite
        QCOMPARE(exists("product:2"), 0);
        verifyNoImmortalProductKeys();
    }

    // Article bug 3, first half: a queued write-behind item has no TTL, so it
    // cannot expire before the worker writes it (the article gave it 1 minute).
    void bug3_queuedWriteNeverExpires()
    {
        seed(repo(), 1);
        CacheSettings s = svc().settings();
        s.ttlSeconds = 1;
        svc().setSettings(s);
        svc().setStrategy(StrategyKind::CacheAside);
        EXPECT_OK(get(1)); // cached with a 1 s TTL
        QVERIFY(redis().syncInteger({ "PTTL", "product:1" }) > 0);
        svc().setStrategy(StrategyKind::WriteBehind);
        svc().writeBehindQueue()->setPaused(true);
        EXPECT_OK(
            await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("Queued"), 9, 0, c, cb); }));
        QCOMPARE(ttl("product:1"), -1);
        QCOMPARE(redis().syncInteger({ "PTTL", "product:1" }), -1);
        EXPECT_OK(flush());
        // The TTL comes back once flushed (1 s here, so look at once).
        const qint64 pttl = redis().syncInteger({ "PTTL", "product:1" });
        QVERIFY2(pttl > 0 || pttl == -2, QByteArray::number(pttl).constData());
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("Queued"));
    }

    // ---------------------------------------------------- strategy switching

    void strategySwitchWithCallsInFlight()
    {
        seed(repo(), 3);
        svc().setStrategy(StrategyKind::CacheAside);
        svc().setArtificialDbLatency(150);
        QCOMPARE(repo().artificialLatency(), 150);
        std::optional<ServiceResult> slowGet;
        std::optional<ServiceResult> slowUpdate;
        svc().get(1, this, [&](const ServiceResult &r) { slowGet = r; });
        svc().update(2, QStringLiteral("Mid-switch"), 5, 0, this, [&](const ServiceResult &r) { slowUpdate = r; });
        svc().setStrategy(StrategyKind::None); // while both wait on SQLite
        QTRY_VERIFY_WITH_TIMEOUT(slowGet && slowUpdate, WaitMs);
        EXPECT_OK(slowGet);
        EXPECT_OK(slowUpdate);
        QCOMPARE(slowGet->trace.strategy, StrategyKind::CacheAside);
        QVERIFY(slowGet->trace.hasStep(TraceOutcome::Fill)); // finished as cache-aside
        QCOMPARE(exists("product:1"), 1);
        QCOMPARE(slowUpdate->trace.strategy, StrategyKind::CacheAside);
        svc().setArtificialDbLatency(0);

        // Write-behind items queued before a switch still reach SQLite.
        svc().setStrategy(StrategyKind::WriteBehind);
        for (int i = 0; i < 5; ++i)
            svc().update(3, QStringLiteral("wb %1").arg(i), i, 0, nullptr, {});
        std::optional<ServiceResult> lastQueued;
        svc().update(1, QStringLiteral("wb last"), 1, 0, this, [&](const ServiceResult &r) { lastQueued = r; });
        svc().setStrategy(StrategyKind::WriteThrough); // switch while the writes are in flight
        QTRY_VERIFY_WITH_TIMEOUT(lastQueued.has_value(), WaitMs);
        EXPECT_OK(lastQueued);
        QCOMPARE(lastQueued->trace.strategy, StrategyKind::WriteBehind);
        QTRY_COMPARE_WITH_TIMEOUT(dbRow(repo(), 3)->name, QStringLiteral("wb 4"), WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(dbRow(repo(), 1)->name, QStringLiteral("wb last"), WaitMs);
        QCOMPARE(dbRow(repo(), 3)->version, 6);
        QTRY_COMPARE_WITH_TIMEOUT(redis().syncInteger({ "LLEN", "cachelab:wb:queue" })
                + redis().syncInteger({ "LLEN", "cachelab:wb:processing" }),
            0, WaitMs);
        // And write-through continues from the version write-behind reached.
        const auto wt
            = await([&](QObject *c, ServiceCallback cb) { svc().update(3, QStringLiteral("wt"), 1, 6, c, cb); });
        EXPECT_OK(wt);
        QCOMPARE(hash(redis(), "product:3").value("version"), QByteArray("7"));
    }

    // ------------------------------------------------------------- faults

    void redisDownReadsFallBackWritesDeferInvalidation()
    {
        seed(repo(), 2);
        svc().setStrategy(StrategyKind::CacheAside);
        EXPECT_OK(get(1));
        EXPECT_OK(get(2));
        QSignalSpy availability(&svc(), &ProductService::cacheAvailabilityChanged);
        m_env->client->disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(!svc().isCacheAvailable(), WaitMs);
        QCOMPARE(availability.last().first().toBool(), false);

        const auto read = get(1);
        EXPECT_OK(read);
        QVERIFY(!read->fromCache);
        bool sawUnavailable = false;
        for (const TraceStep &s : read->trace.steps)
            sawUnavailable = sawUnavailable || s.text.startsWith(QStringLiteral("cache unavailable"));
        QVERIFY(sawUnavailable);

        for (StrategyKind k : { StrategyKind::CacheAside, StrategyKind::ReadThrough, StrategyKind::WriteThrough }) {
            svc().setStrategy(k);
            const auto w = await([&](QObject *c, ServiceCallback cb) {
                svc().update(1, QStringLiteral("while down %1").arg(strategyName(k)), 3, 0, c, cb);
            });
            EXPECT_OK(w);
            QVERIFY(w->trace.hasStep(TraceOutcome::Deferred));
        }
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().remove(2, c, cb); }));
        QCOMPARE(svc().pendingInvalidations(), QSet<qint64>({ 1, 2 }));
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("while down write-through"));

        svc().setStrategy(StrategyKind::WriteBehind);
        const auto refused
            = await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("wb"), 3, 0, c, cb); });
        EXPECT_STATUS(refused, ServiceStatus::Unavailable);
        QVERIFY(refused->error.contains(QStringLiteral("write-behind")));
        QCOMPARE(dbRow(repo(), 1)->name, QStringLiteral("while down write-through"));

        // The stale copies are still in Redis; once back, they are deleted.
        QCOMPARE(hash(redis(), "product:1").value("version"), QByteArray("1"));
        QSignalSpy traces(&svc(), &ProductService::traceRecorded);
        m_env->client->connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(svc().pendingInvalidations().size(), 0, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(exists("product:1"), 0, WaitMs);
        QCOMPARE(exists("product:2"), 0);
        QVERIFY(svc().isCacheAvailable());
        svc().setStrategy(StrategyKind::CacheAside);
        QCOMPARE(get(1)->product->name, QStringLiteral("while down write-through"));
        EXPECT_STATUS(get(2), ServiceStatus::NotFound);
    }

    void redisServerKilled()
    {
        seed(repo(), 1);
        svc().setStrategy(StrategyKind::ReadThrough);
        EXPECT_OK(get(1));
        m_server->kill();
        QTRY_VERIFY_WITH_TIMEOUT(!svc().isCacheAvailable(), WaitMs);
        const auto read = get(1);
        EXPECT_OK(read);
        QCOMPARE(read->product->name, QStringLiteral("Item 1"));
        QVERIFY(read->trace.hasStep(TraceOutcome::Unavailable));
        QString error;
        QVERIFY2(m_server->restart(&error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(svc().isCacheAvailable(), WaitMs);
        // The restarted server has no scripts: EVALSHA gets NOSCRIPT and reloads.
        m_server->syncString({ "SCRIPT", "FLUSH" });
        m_server->syncString({ "FLUSHALL" });
        const auto refill = get(1);
        EXPECT_OK(refill);
        QVERIFY(refill->trace.hasStep(TraceSystem::Redis, TraceOutcome::Fill));
        bool reloaded = false;
        for (const TraceStep &s : refill->trace.steps)
            reloaded = reloaded || s.text.startsWith(QStringLiteral("SCRIPT LOAD"));
        QVERIFY(reloaded);
        QCOMPARE(exists("product:1"), 1);
    }

    // ------------------------------------------------ event-based invalidation

    void outsideChangeInvalidates()
    {
        seed(repo(), 2);
        svc().setStrategy(StrategyKind::CacheAside);
        EXPECT_OK(get(1));
        EXPECT_OK(get(2));
        QSignalSpy changed(&svc(), &ProductService::productChanged);
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("outside"));
            db.setDatabaseName(repo().path());
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE products SET name = 'From the shell' WHERE id = 1")));
            QVERIFY(q.exec(QStringLiteral("DELETE FROM products WHERE id = 2")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("outside"));
        QTRY_COMPARE_WITH_TIMEOUT(exists("product:1"), 0, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(exists("product:2"), 0, WaitMs);
        QCOMPARE(redis().syncString({ "GET", "cachelab:guard:1" }), QByteArray("2"));
        QVERIFY(changed.count() >= 1);
        QCOMPARE(get(1)->product->name, QStringLiteral("From the shell"));
        EXPECT_STATUS(get(2), ServiceStatus::NotFound);
    }

    void pubSubInvalidatesOtherInstances()
    {
        seed(repo(), 1);
        // A second instance caching the same products under its own prefix.
        auto clientB = std::make_unique<RedisClient>(m_server->url());
        QSignalSpy up(clientB.get(), &RedisClient::connected);
        clientB->connectToServer();
        QVERIFY(up.wait(WaitMs));
        auto b = std::make_unique<ProductService>(clientB.get(), &repo());
        CacheSettings sb;
        sb.keyPrefix = QStringLiteral("b:");
        b->setSettings(sb);
        b->setStrategy(StrategyKind::CacheAside);
        CacheSettings sa;
        sa.keyPrefix = QStringLiteral("a:");
        svc().setSettings(sa);
        svc().setStrategy(StrategyKind::CacheAside);
        // Wait until both are subscribed to the channel.
        QTRY_COMPARE_WITH_TIMEOUT(
            redis().syncList({ "PUBSUB", "NUMSUB", "cachelab:invalidate" }).value(1), QByteArray("2"), WaitMs);

        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { b->get(1, c, cb); }));
        QCOMPARE(exists("b:product:1"), 1);
        QSignalSpy aTraces(&svc(), &ProductService::traceRecorded);
        QSignalSpy bTraces(b.get(), &ProductService::traceRecorded);
        EXPECT_OK(await(
            [&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("Changed by A"), 1, 0, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:1"), 0, WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(!bTraces.isEmpty(), WaitMs);
        QCOMPARE(bTraces.last().first().value<OperationTrace>().operation, QStringLiteral("remote-invalidate"));
        // A ignores its own message. Messages arrive in order, so once A has
        // handled a later message from a third instance, it has seen its own.
        redis().syncInteger({ "PUBLISH", "cachelab:invalidate",
            InvalidationBus::encode(QStringLiteral("third"), "z:", { 99 }, { 0 }, false) });
        auto remoteCount = [&] {
            int n = 0;
            for (const auto &args : std::as_const(aTraces))
                n += args.first().value<OperationTrace>().operation == QStringLiteral("remote-invalidate") ? 1 : 0;
            return n;
        };
        QTRY_COMPARE_WITH_TIMEOUT(remoteCount(), 1, WaitMs);
        const auto bRead = await([&](QObject *c, ServiceCallback cb) { b->get(1, c, cb); });
        QCOMPARE(bRead->product->name, QStringLiteral("Changed by A"));
        b.reset();
        clientB.reset();
    }

    // ------------------------------------------------------------ eviction

    void evictionSettings()
    {
        EvictionSettings e;
        e.maxmemoryBytes = 64 * 1024 * 1024;
        e.policy = QStringLiteral("allkeys-lfu");
        e.samples = 7;
        std::optional<EvictionSettings> applied;
        std::optional<ServiceResult> result;
        QSignalSpy changed(&svc(), &ProductService::evictionSettingsChanged);
        svc().applyEvictionSettings(e, this, [&](const EvictionSettings &s, const ServiceResult &r) {
            applied = s;
            result = r;
        });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), WaitMs);
        EXPECT_OK(result);
        QCOMPARE(*applied, e);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(redis().syncList({ "CONFIG", "GET", "maxmemory-policy" }).value(1), QByteArray("allkeys-lfu"));
        QVERIFY(result->warnings.isEmpty());

        for (const QString &policy : EvictionSettings::policies()) {
            EvictionSettings p = e;
            p.policy = policy;
            std::optional<EvictionSettings> back;
            svc().applyEvictionSettings(p, this, [&](const EvictionSettings &s, const ServiceResult &) { back = s; });
            QTRY_VERIFY_WITH_TIMEOUT(back.has_value(), WaitMs);
            QCOMPARE(back->policy, policy);
        }

        // An allkeys-* policy with write-behind items pending warns.
        seed(repo(), 1);
        svc().setStrategy(StrategyKind::WriteBehind);
        svc().writeBehindQueue()->setPaused(true);
        EXPECT_OK(
            await([&](QObject *c, ServiceCallback cb) { svc().update(1, QStringLiteral("pending"), 1, 0, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(svc().queueDepth(), 1, WaitMs);
        QSignalSpy warnings(&svc(), &ProductService::warning);
        e.policy = QStringLiteral("allkeys-lru");
        result.reset();
        svc().applyEvictionSettings(e, this, [&](const EvictionSettings &, const ServiceResult &r) { result = r; });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), WaitMs);
        EXPECT_OK(result);
        QCOMPARE(result->warnings.size(), 1);
        QVERIFY(result->warnings.first().contains(QStringLiteral("write-behind")));
        QCOMPARE(warnings.count(), 1);
        e.policy = QStringLiteral("volatile-lru");
        result.reset();
        svc().applyEvictionSettings(e, this, [&](const EvictionSettings &, const ServiceResult &r) { result = r; });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), WaitMs);
        QVERIFY(result->warnings.isEmpty());

        // Invalid settings never reach Redis.
        e.policy = QStringLiteral("most-recently-used");
        result.reset();
        svc().applyEvictionSettings(e, this, [&](const EvictionSettings &, const ServiceResult &r) { result = r; });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), WaitMs);
        EXPECT_STATUS(result, ServiceStatus::Invalid);
        QCOMPARE(redis().syncList({ "CONFIG", "GET", "maxmemory-policy" }).value(1), QByteArray("volatile-lru"));

        std::optional<EvictionSettings> read;
        svc().readEvictionSettings(this, [&](const EvictionSettings &s, const ServiceResult &) { read = s; });
        QTRY_VERIFY_WITH_TIMEOUT(read.has_value(), WaitMs);
        QCOMPARE(read->samples, 7);
        redis().syncString(
            { "CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction", "maxmemory-samples", "5" });
    }

    // -------------------------------------------------------- observability

    void tracesAndMetrics()
    {
        seed(repo(), 2);
        svc().setStrategy(StrategyKind::CacheAside);
        svc().resetMetrics();
        QSignalSpy traces(&svc(), &ProductService::traceRecorded);
        QSignalSpy metricsChanged(&svc(), &ProductService::metricsChanged);
        for (int i = 0; i < 10; ++i)
            EXPECT_OK(get(1));
        EXPECT_STATUS(get(55), ServiceStatus::NotFound);
        EXPECT_STATUS(get(55), ServiceStatus::NotFound);
        const MetricsSnapshot m = svc().metrics();
        QCOMPARE(m.misses, 2u);
        QCOMPARE(m.hits, 9u);
        QCOMPARE(m.negativeHits, 1u);
        QCOMPARE(m.dbReads, 2u);
        QVERIFY(m.redisCommands > 10);
        QCOMPARE(m.hitRatio(), 10.0 / 12.0);
        bool found = false;
        for (const LatencyStats &l : m.latencies) {
            if (l.operation == QStringLiteral("get") && l.strategy == StrategyKind::CacheAside) {
                found = true;
                QCOMPARE(l.count, 12u);
                QVERIFY(l.p50Micros > 0);
                QVERIFY(l.p50Micros <= l.p95Micros && l.p95Micros <= l.p99Micros && l.p99Micros <= l.maxMicros);
            }
        }
        QVERIFY(found);
        QCOMPARE(traces.count(), 12);
        const OperationTrace t = traces.first().first().value<OperationTrace>();
        QCOMPARE(t.operation, QStringLiteral("get"));
        QCOMPARE(t.productId, 1);
        QVERIFY(t.id > 0);
        QVERIFY(t.started.isValid());
        QVERIFY(t.totalMicros > 0);
        QCOMPARE(t.steps.first().system, TraceSystem::Redis);
        QCOMPARE(t.steps.first().text, QStringLiteral("HGETALL product:1"));
        QCOMPARE(t.steps.first().outcome, TraceOutcome::Miss);
        QVERIFY(t.toJson().value(QStringLiteral("steps")).toArray().size() >= 3);
        QCOMPARE(t.toJson().value(QStringLiteral("strategy")).toString(), QStringLiteral("cache-aside"));
        QTRY_VERIFY_WITH_TIMEOUT(metricsChanged.count() >= 1, WaitMs);
    }

    void artificialLatencyShowsInTrace()
    {
        seed(repo(), 1);
        svc().setStrategy(StrategyKind::None);
        svc().setArtificialDbLatency(120);
        const auto r = get(1);
        EXPECT_OK(r);
        QVERIFY(r->trace.stepsOf(TraceSystem::Sql).first().micros >= 120000);
        svc().setArtificialDbLatency(5000);
        QCOMPARE(svc().artificialDbLatency(), 2000); // clamped
        svc().setArtificialDbLatency(0);
    }
};

QTEST_MAIN(TestProductService)
#include "tst_productservice.moc"
