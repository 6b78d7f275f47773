// Tests for ProductSearch against a real redis-server and SQLite file:
// engine detection with MODULE LIST, SQLite FTS5 answers cached in Redis
// under the current generation, a hit the second time (trace), every kind
// of product change (rename through the service, outside edit, delete,
// rename while Redis was down) making the next search miss and return the
// new data, hostile text, and the RediSearch path where the module exists.
#include "catalogfixture.h"
#include "productsearch.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace CacheTest;

class TestProductSearch final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;
    std::unique_ptr<Env> m_env;
    std::unique_ptr<ProductSearch> m_search;
    qint64 m_blueMug = 0;

    ProductService &svc() { return *m_env->service; }
    ProductSearch &search() { return *m_search; }
    const TestRedisServer &redis() const { return *m_server; }

    std::optional<CatalogResult> find(const QString &text, int limit = 20)
    {
        return awaitCatalog([&](QObject *c, CatalogCallback cb) { search().search(text, limit, c, cb); });
    }
    qint64 generation() const { return redis().syncString({ "GET", "cachelab:search:gen" }).toLongLong(); }
    bool serverHasSearchModule() const { return redis().syncString({ "INFO", "modules" }).contains("name=search"); }

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
        m_search = std::make_unique<ProductSearch>(m_env->service.get());
        QSignalSpy detected(m_search.get(), &ProductSearch::engineDetected);
        QVERIFY(detected.wait(WaitMs));
        for (const QString &name :
            { QStringLiteral("Blue Mug"), QStringLiteral("Mug Rack"), QStringLiteral("Teapot") }) {
            const auto r = awaitStore([&](QObject *c, StoreCallback cb) { m_env->repo->create(name, 100, c, cb); });
            QVERIFY(r && r->ok());
            if (name == QLatin1String("Blue Mug"))
                m_blueMug = r->product->id;
        }
    }

    void cleanup()
    {
        m_search.reset();
        m_env.reset();
    }

    void engineWithoutModuleIsSqlite()
    {
        if (serverHasSearchModule())
            QSKIP("this redis-server has the search module; the fallback is not in use");
        QCOMPARE(search().engineName(), QStringLiteral("SQLite FTS5"));
        QVERIFY(!search().usesRediSearch());
    }

    void missFillsThenHits()
    {
        if (search().usesRediSearch())
            QSKIP("RediSearch answers here; the result cache is the fallback's");
        const auto first = find(QStringLiteral("mug"));
        EXPECT_CATALOG(first, ServiceStatus::Ok);
        QVERIFY(!first->fromCache);
        QCOMPARE(first->engine, QStringLiteral("SQLite FTS5"));
        QCOMPARE(
            productNames(first->products), (QStringList { QStringLiteral("Blue Mug"), QStringLiteral("Mug Rack") }));
        QCOMPARE(first->trace.outcome, TraceOutcome::Miss);
        QCOMPARE(first->trace.count(TraceSystem::Sql), 1);
        QVERIFY(first->trace.hasStep(TraceSystem::Redis, TraceOutcome::Fill));

        // The ids are stored under the current generation, with a TTL.
        const QList<QByteArray> keys
            = redis().syncList({ "KEYS", "cachelab:search:" + QByteArray::number(generation()) + ":*" });
        QCOMPARE(keys.size(), 1);
        QVERIFY(redis().syncInteger({ "PTTL", keys.first() }) > 0);
        QCOMPARE(redis().syncString({ "GET", keys.first() }).split(',').size(), 2);

        const auto second = find(QStringLiteral("  MUG "));
        EXPECT_CATALOG(second, ServiceStatus::Ok);
        QVERIFY(second->fromCache);
        QCOMPARE(second->trace.outcome, TraceOutcome::Hit);
        QVERIFY(!second->trace.hasStep(TraceOutcome::Fill));
        QCOMPARE(productNames(second->products), productNames(first->products));
        // Same order as the SQLite answer (rank).
        QCOMPARE(second->products.first().id, first->products.first().id);

        // No match is an answer too, and it is cached.
        EXPECT_CATALOG(find(QStringLiteral("zebra")), ServiceStatus::Ok);
        const auto none = find(QStringLiteral("zebra"));
        QVERIFY(none->fromCache);
        QVERIFY(none->products.isEmpty());
        QCOMPARE(none->trace.count(TraceSystem::Sql), 0);
    }

    void renameThroughServiceMakesNextSearchMiss()
    {
        if (search().usesRediSearch())
            QSKIP("RediSearch answers here");
        EXPECT_CATALOG(find(QStringLiteral("mug")), ServiceStatus::Ok);
        QVERIFY(find(QStringLiteral("mug"))->fromCache);
        const qint64 before = generation();
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) {
            svc().update(m_blueMug, QStringLiteral("Green Cup"), 100, 0, c, cb);
        }));
        // No waiting: the bump went out before the update's callback.
        const auto after = find(QStringLiteral("mug"));
        EXPECT_CATALOG(after, ServiceStatus::Ok);
        QVERIFY(!after->fromCache);
        QCOMPARE(productNames(after->products), QStringList { QStringLiteral("Mug Rack") });
        QVERIFY(generation() > before);
        QCOMPARE(productNames(find(QStringLiteral("gree"))->products), QStringList { QStringLiteral("Green Cup") });
    }

    void renameOfACachedResultShowsTheNewName()
    {
        if (search().usesRediSearch())
            QSKIP("RediSearch answers here");
        EXPECT_CATALOG(find(QStringLiteral("blue")), ServiceStatus::Ok);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) {
            svc().update(m_blueMug, QStringLiteral("Blue Mug XL"), 100, 0, c, cb);
        }));
        const auto r = find(QStringLiteral("blue"));
        QVERIFY(!r->fromCache);
        QCOMPARE(productNames(r->products), QStringList { QStringLiteral("Blue Mug XL") });
    }

    void outsideEditAndDeleteInvalidate()
    {
        if (search().usesRediSearch())
            QSKIP("RediSearch answers here");
        EXPECT_CATALOG(find(QStringLiteral("teapot")), ServiceStatus::Ok);
        QVERIFY(find(QStringLiteral("teapot"))->fromCache);
        const qint64 before = generation();
        {
            // Another program renames it; the change feed reports it.
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("outside"));
            db.setDatabaseName(m_env->repo->path());
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE products SET name = 'Teapot Deluxe' WHERE name = 'Teapot'")));
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("outside"));
        QTRY_VERIFY_WITH_TIMEOUT(generation() > before, WaitMs);
        QVERIFY(!find(QStringLiteral("teapot"))->fromCache);
        QTRY_COMPARE_WITH_TIMEOUT(productNames(find(QStringLiteral("teapot"))->products),
            QStringList { QStringLiteral("Teapot Deluxe") }, WaitMs);

        EXPECT_CATALOG(find(QStringLiteral("mug")), ServiceStatus::Ok);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().remove(m_blueMug, c, cb); }));
        const auto r = find(QStringLiteral("mug"));
        QVERIFY(!r->fromCache);
        QCOMPARE(productNames(r->products), QStringList { QStringLiteral("Mug Rack") });
    }

    void redisDownStillAnswersAndChangesMissedAreNotServed()
    {
        if (search().usesRediSearch())
            QSKIP("RediSearch answers here");
        EXPECT_CATALOG(find(QStringLiteral("mug")), ServiceStatus::Ok);
        m_env->client->disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(!svc().isCacheAvailable(), WaitMs);

        const auto down = find(QStringLiteral("mug"));
        EXPECT_CATALOG(down, ServiceStatus::Ok);
        QVERIFY(!down->fromCache);
        QVERIFY(down->trace.hasStep(TraceOutcome::Unavailable));
        QCOMPARE(down->products.size(), 2);

        // Renamed while Redis cannot hear about it.
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) {
            svc().update(m_blueMug, QStringLiteral("Red Bowl"), 100, 0, c, cb);
        }));
        const qint64 before = generation();
        m_env->client->connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(svc().isCacheAvailable(), WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(generation() > before, WaitMs);
        const auto back = find(QStringLiteral("mug"));
        EXPECT_CATALOG(back, ServiceStatus::Ok);
        QVERIFY(!back->fromCache);
        QCOMPARE(productNames(back->products), QStringList { QStringLiteral("Mug Rack") });
    }

    void redisKilledStillAnswers()
    {
        m_server->kill();
        const auto r = find(QStringLiteral("tea"));
        EXPECT_CATALOG(r, ServiceStatus::Ok);
        QCOMPARE(productNames(r->products), QStringList { QStringLiteral("Teapot") });
        QVERIFY(r->trace.hasStep(TraceOutcome::Unavailable));
        QString error;
        QVERIFY2(m_server->restart(&error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(svc().isCacheAvailable(), WaitMs);
    }

    void hostileTextIsAnsweredOrRejectedClearly()
    {
        for (const QString &text : { QStringLiteral("\""), QStringLiteral("mug OR"), QStringLiteral("NEAR(mug)"),
                 QStringLiteral("name:mug"), QStringLiteral("*"), QStringLiteral("'; DROP TABLE products; --"),
                 QStringLiteral("%"), QStringLiteral("") }) {
            const auto r = find(text);
            EXPECT_CATALOG(r, ServiceStatus::Ok);
        }
        QCOMPARE(find(QStringLiteral("\"mug"))->products.size(), 2);
        const auto tooLong = find(QString(500, u'x'));
        EXPECT_CATALOG(tooLong, ServiceStatus::Invalid);
        QCOMPARE(tooLong->fieldErrors.first().field, QStringLiteral("query"));
        QCOMPARE(tooLong->trace.count(TraceSystem::Redis) + tooLong->trace.count(TraceSystem::Sql), 0);
    }

    void rediSearchPath()
    {
        if (!serverHasSearchModule())
            QSKIP("redis-server has no search module (MODULE LIST lacks it): RediSearch path not testable here");
        QCOMPARE(search().engineName(), QStringLiteral("RediSearch"));
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().warmUp(c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(find(QStringLiteral("mug"))->products.size(), 2, WaitMs);
        const auto r = find(QStringLiteral("tea"));
        EXPECT_CATALOG(r, ServiceStatus::Ok);
        QCOMPARE(r->engine, QStringLiteral("RediSearch"));
        QVERIFY(redisStep(r->trace, QStringLiteral("FT.SEARCH")));
        QCOMPARE(productNames(r->products), QStringList { QStringLiteral("Teapot") });
    }
};

QTEST_GUILESS_MAIN(TestProductSearch)
#include "tst_productsearch.moc"
