// Tests for ProductTags against a real redis-server and SQLite file:
// fill on a miss (one MULTI with a TTL), hits the second time as the trace
// shows, the empty-set marker, invalidation after setTags (old and new
// tags), removal of deleted products from their tag sets, invalid input,
// and Redis down (SQLite answers, invalidations wait for reconnect).
#include "catalogfixture.h"
#include "producttags.h"

#include <algorithm>
#include <QtTest>

using namespace CacheTest;

class TestProductTags final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;
    std::unique_ptr<Env> m_env;
    std::unique_ptr<ProductTags> m_tags;
    QList<Product> m_products;

    ProductService &svc() { return *m_env->service; }
    ProductTags &tags() { return *m_tags; }
    const TestRedisServer &redis() const { return *m_server; }

    QList<QByteArray> members(const QByteArray &key) const
    {
        QList<QByteArray> m = redis().syncList({ "SMEMBERS", key });
        std::sort(m.begin(), m.end());
        return m;
    }
    qint64 exists(const QByteArray &key) const { return redis().syncInteger({ "EXISTS", key }); }

    std::optional<CatalogResult> withTag(const QString &tag)
    {
        return awaitCatalog([&](QObject *c, CatalogCallback cb) { tags().productsWithTag(tag, c, cb); });
    }
    std::optional<CatalogResult> tagsOf(qint64 id)
    {
        return awaitCatalog([&](QObject *c, CatalogCallback cb) { tags().tagsOf(id, c, cb); });
    }
    std::optional<CatalogResult> setTags(qint64 id, const QStringList &list)
    {
        return awaitCatalog([&](QObject *c, CatalogCallback cb) { tags().setTags(id, list, c, cb); });
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
        m_tags = std::make_unique<ProductTags>(m_env->service.get());
        m_products = seed(*m_env->repo, 3);
        QCOMPARE(m_products.size(), 3);
        EXPECT_CATALOG(setTags(1, { QStringLiteral("kitchen"), QStringLiteral("Sale") }), ServiceStatus::Ok);
        EXPECT_CATALOG(setTags(2, { QStringLiteral("kitchen") }), ServiceStatus::Ok);
    }

    void cleanup()
    {
        m_tags.reset();
        m_env.reset();
    }

    void fillsOnMissThenHits()
    {
        QSignalSpy traces(&svc(), &ProductService::traceRecorded);
        const auto first = withTag(QStringLiteral("kitchen"));
        EXPECT_CATALOG(first, ServiceStatus::Ok);
        QVERIFY(!first->fromCache);
        QCOMPARE(productNames(first->products), (QStringList { QStringLiteral("Item 1"), QStringLiteral("Item 2") }));
        QCOMPARE(first->trace.outcome, TraceOutcome::Miss);
        QVERIFY(first->trace.hasStep(TraceSystem::Redis, TraceOutcome::Miss));
        QVERIFY(first->trace.hasStep(TraceSystem::Redis, TraceOutcome::Fill));
        QCOMPARE(first->trace.count(TraceSystem::Sql), 1);
        QCOMPARE(members("tag:kitchen"), (QList<QByteArray> { "1", "2" }));
        const qint64 ttl = redis().syncInteger({ "TTL", "tag:kitchen" });
        QVERIFY2(ttl > 0 && ttl <= svc().settings().ttlSeconds, QByteArray::number(ttl).constData());

        // The trace reached the service's trace stream with a fresh id.
        QTRY_VERIFY_WITH_TIMEOUT(!traces.isEmpty(), WaitMs);
        const auto published = traces.last().first().value<OperationTrace>();
        QCOMPARE(published.operation, QStringLiteral("tag-products"));
        QVERIFY(published.id > 0);
        QCOMPARE(published.id, first->trace.id);

        const auto second = withTag(QStringLiteral("kitchen"));
        EXPECT_CATALOG(second, ServiceStatus::Ok);
        QVERIFY(second->fromCache);
        QCOMPARE(second->trace.outcome, TraceOutcome::Hit);
        const TraceStep *smembers = redisStep(second->trace, QStringLiteral("SMEMBERS"));
        QVERIFY(smembers);
        QCOMPARE(smembers->outcome, TraceOutcome::Hit);
        QVERIFY(!second->trace.hasStep(TraceOutcome::Fill));
        QCOMPARE(productNames(second->products), productNames(first->products));

        // With the product hashes cached by gets, a hit needs no SQL at all.
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().get(1, c, cb); }));
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().get(2, c, cb); }));
        const auto third = withTag(QStringLiteral("kitchen"));
        EXPECT_CATALOG(third, ServiceStatus::Ok);
        QCOMPARE(third->trace.count(TraceSystem::Sql), 0);
        QCOMPARE(productNames(third->products), productNames(first->products));
    }

    void emptyTagIsCachedAsMarker()
    {
        const auto first = withTag(QStringLiteral("unused"));
        EXPECT_CATALOG(first, ServiceStatus::Ok);
        QVERIFY(first->products.isEmpty());
        QCOMPARE(members("tag:unused"), QList<QByteArray> { ProductTags::EmptyMarker });
        const auto second = withTag(QStringLiteral("UNUSED "));
        EXPECT_CATALOG(second, ServiceStatus::Ok);
        QVERIFY(second->fromCache);
        QVERIFY(second->products.isEmpty());
        QCOMPARE(second->trace.count(TraceSystem::Sql), 0);
    }

    void tagsOfFillsAndHits()
    {
        const auto first = tagsOf(1);
        EXPECT_CATALOG(first, ServiceStatus::Ok);
        QVERIFY(!first->fromCache);
        QCOMPARE(first->tags, (QStringList { QStringLiteral("kitchen"), QStringLiteral("sale") }));
        QCOMPARE(members("cachelab:tags:1"), (QList<QByteArray> { "kitchen", "sale" }));
        const auto second = tagsOf(1);
        EXPECT_CATALOG(second, ServiceStatus::Ok);
        QVERIFY(second->fromCache);
        QCOMPARE(second->tags, first->tags);

        const auto none = tagsOf(3);
        EXPECT_CATALOG(none, ServiceStatus::Ok);
        QVERIFY(none->tags.isEmpty());
        QVERIFY(tagsOf(3)->fromCache);

        EXPECT_CATALOG(tagsOf(99), ServiceStatus::NotFound);
        QCOMPARE(exists("cachelab:tags:99"), 0);
    }

    void setTagsInvalidatesOldAndNewTags()
    {
        EXPECT_CATALOG(withTag(QStringLiteral("kitchen")), ServiceStatus::Ok);
        EXPECT_CATALOG(withTag(QStringLiteral("sale")), ServiceStatus::Ok);
        EXPECT_CATALOG(withTag(QStringLiteral("garden")), ServiceStatus::Ok); // cached empty
        EXPECT_CATALOG(tagsOf(1), ServiceStatus::Ok);
        QCOMPARE(exists("tag:garden"), 1);

        QSignalSpy changed(&tags(), &ProductTags::tagsChanged);
        const auto set = setTags(1, { QStringLiteral("garden") });
        EXPECT_CATALOG(set, ServiceStatus::Ok);
        QCOMPARE(set->tags, QStringList { QStringLiteral("garden") });
        QVERIFY(set->trace.hasStep(TraceSystem::Sql, TraceOutcome::Ok));
        QVERIFY(set->trace.hasStep(TraceSystem::Redis, TraceOutcome::Invalidate));
        // SQLite first, then Redis.
        QCOMPARE(set->trace.stepsOf(TraceSystem::Sql).size(), 1);
        qsizetype sqlAt = -1;
        qsizetype redisAt = -1;
        for (qsizetype i = 0; i < set->trace.steps.size(); ++i) {
            const TraceSystem sys = set->trace.steps.at(i).system;
            if (sys == TraceSystem::Sql && sqlAt < 0)
                sqlAt = i;
            if (sys == TraceSystem::Redis && redisAt < 0)
                redisAt = i;
        }
        QVERIFY(sqlAt >= 0 && redisAt > sqlAt);
        for (const QByteArray key : { "tag:kitchen", "tag:sale", "tag:garden", "cachelab:tags:1" })
            QVERIFY2(exists(key) == 0, key.constData());
        QCOMPARE(changed.size(), 1);

        const auto kitchen = withTag(QStringLiteral("kitchen"));
        QVERIFY(!kitchen->fromCache);
        QCOMPARE(productNames(kitchen->products), QStringList { QStringLiteral("Item 2") });
        QCOMPARE(productNames(withTag(QStringLiteral("garden"))->products), QStringList { QStringLiteral("Item 1") });
        QCOMPARE(tagsOf(1)->tags, QStringList { QStringLiteral("garden") });
    }

    void invalidTagsTouchNothing()
    {
        EXPECT_CATALOG(withTag(QStringLiteral("kitchen")), ServiceStatus::Ok);
        const auto bad = setTags(1, { QStringLiteral("ok"), QStringLiteral("not ok!") });
        EXPECT_CATALOG(bad, ServiceStatus::Invalid);
        QCOMPARE(bad->fieldErrors.first().field, QStringLiteral("tags"));
        QCOMPARE(bad->trace.count(TraceSystem::Sql), 0);
        QCOMPARE(bad->trace.count(TraceSystem::Redis), 0);
        QCOMPARE(members("tag:kitchen"), (QList<QByteArray> { "1", "2" }));
        QCOMPARE(tagsOf(1)->tags, (QStringList { QStringLiteral("kitchen"), QStringLiteral("sale") }));
        EXPECT_CATALOG(withTag(QStringLiteral("tag:*")), ServiceStatus::Invalid);
        EXPECT_CATALOG(setTags(77, { QStringLiteral("x") }), ServiceStatus::NotFound);
        QCOMPARE(exists("tag:x"), 0);
    }

    void deletedProductLeavesItsTagSets()
    {
        // Product 1: its own tag set is cached, so the tags are known.
        EXPECT_CATALOG(withTag(QStringLiteral("kitchen")), ServiceStatus::Ok);
        EXPECT_CATALOG(withTag(QStringLiteral("sale")), ServiceStatus::Ok);
        EXPECT_CATALOG(tagsOf(1), ServiceStatus::Ok);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().remove(1, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(members("tag:kitchen"), QList<QByteArray> { "2" }, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(exists("tag:sale"), 0, WaitMs); // its last member went
        QCOMPARE(exists("cachelab:tags:1"), 0);

        // Product 2: only tag:kitchen is cached; the sets are scanned.
        QCOMPARE(exists("cachelab:tags:2"), 0);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { svc().remove(2, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(exists("tag:kitchen"), 0, WaitMs);
        QVERIFY(withTag(QStringLiteral("kitchen"))->products.isEmpty());
    }

    void redisDownAnswersFromSqlite()
    {
        EXPECT_CATALOG(withTag(QStringLiteral("kitchen")), ServiceStatus::Ok);
        m_env->client->disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(!svc().isCacheAvailable(), WaitMs);

        const auto read = withTag(QStringLiteral("kitchen"));
        EXPECT_CATALOG(read, ServiceStatus::Ok);
        QVERIFY(!read->fromCache);
        QVERIFY(read->trace.hasStep(TraceOutcome::Unavailable));
        QCOMPARE(productNames(read->products), (QStringList { QStringLiteral("Item 1"), QStringLiteral("Item 2") }));
        QCOMPARE(tagsOf(1)->tags, (QStringList { QStringLiteral("kitchen"), QStringLiteral("sale") }));

        // A write commits to SQLite and remembers what to drop.
        const auto set = setTags(2, { QStringLiteral("garden") });
        EXPECT_CATALOG(set, ServiceStatus::Ok);
        QVERIFY(set->trace.hasStep(TraceOutcome::Deferred));
        QVERIFY(tags().pendingInvalidations().contains("tag:kitchen"));
        QCOMPARE(members("tag:kitchen"), (QList<QByteArray> { "1", "2" })); // stale, still there

        m_env->client->connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(exists("tag:kitchen"), 0, WaitMs);
        QVERIFY(tags().pendingInvalidations().isEmpty());
        QCOMPARE(productNames(withTag(QStringLiteral("kitchen"))->products), QStringList { QStringLiteral("Item 1") });
    }

    void redisKilledNeverHangs()
    {
        m_server->kill();
        const auto read = withTag(QStringLiteral("kitchen"));
        EXPECT_CATALOG(read, ServiceStatus::Ok);
        QCOMPARE(read->products.size(), 2);
        QVERIFY(read->trace.hasStep(TraceOutcome::Unavailable));
        QString error;
        QVERIFY2(m_server->restart(&error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(svc().isCacheAvailable(), WaitMs);
    }

    void allTagsCounts()
    {
        const auto all = awaitCatalog([&](QObject *c, CatalogCallback cb) { tags().allTags(c, cb); });
        EXPECT_CATALOG(all, ServiceStatus::Ok);
        const QList<QPair<QString, qint64>> expected { { QStringLiteral("kitchen"), 2 },
            { QStringLiteral("sale"), 1 } };
        QCOMPARE(all->tagCounts, expected);
    }
};

QTEST_GUILESS_MAIN(TestProductTags)
#include "tst_producttags.moc"
