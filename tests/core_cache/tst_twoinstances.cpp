// Two complete Backends ("two windows") on one redis-server and one SQLite
// file, each caching under its own key prefix: a write through one drops the
// other's cached copy through the pub/sub InvalidationBus, so the other's
// next get reads the new row. The change-log stream is off and B's polling
// of the shared file's change table is off, so pub/sub is the only path.
#include "awaitcallback.h"
#include "backend.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "testredisserver.h"

#include <algorithm>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

namespace {
constexpr int WaitMs = 10000;

std::optional<ServiceResult> await(const std::function<void(QObject *, ServiceCallback)> &call)
{
    return TestSupport::await<ServiceResult>(call, WaitMs);
}
} // namespace

class TestTwoInstances final : public QObject
{
    Q_OBJECT

private:
    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_a;
    std::unique_ptr<Backend> m_b;

    qint64 exists(const QByteArray &key) const { return m_server.syncInteger({ "EXISTS", key }); }
    static ProductService &svc(Backend &b) { return *b.service(); }

    std::unique_ptr<Backend> makeBackend(const QString &name, bool seed, const QString &prefix)
    {
        Backend::Config config;
        config.redis = m_server.url();
        config.dbPath = m_dir.filePath(QStringLiteral("shared.sqlite"));
        config.dataDir = m_dir.filePath(name);
        config.seedDemoData = seed;
        config.enableChangeStream = false;
        config.strategy = QStringLiteral("cache-aside");
        auto backend = std::make_unique<Backend>(config);
        backend->start();
        if (!QTest::qWaitFor([&] { return backend->isReady() && backend->redis()->isConnected(); }, WaitMs))
            return nullptr;
        CacheSettings settings = backend->service()->settings();
        settings.keyPrefix = prefix;
        backend->service()->setSettings(settings);
        return backend;
    }

    std::optional<ServiceResult> get(Backend &b, qint64 id)
    {
        return await([&](QObject *c, ServiceCallback cb) { svc(b).get(id, c, cb); });
    }
    std::optional<ServiceResult> update(Backend &b, qint64 id, const QString &name, qint64 price)
    {
        return await([&](QObject *c, ServiceCallback cb) { svc(b).update(id, name, price, 0, c, cb); });
    }

private slots:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
        QVERIFY(m_dir.isValid());
        m_a = makeBackend(QStringLiteral("a"), true, QStringLiteral("a:"));
        QVERIFY(m_a);
        m_b = makeBackend(QStringLiteral("b"), false, QStringLiteral("b:"));
        QVERIFY(m_b);
        QVERIFY(!m_a->changeStream() && !m_b->changeStream());
        // Only pub/sub may tell B: no polling of the shared file's change table.
        m_b->repository()->setChangePollInterval(0);
        m_a->repository()->setChangePollInterval(0);
        // Both buses listen before anything is published.
        QTRY_COMPARE_WITH_TIMEOUT(
            m_server.syncList({ "PUBSUB", "NUMSUB", "cachelab:invalidate" }).value(1), QByteArray("2"), WaitMs);
    }

    void cleanupTestCase()
    {
        m_b.reset();
        m_a.reset();
    }

    // A writes; B's next get is a miss that reads A's new row.
    void writeInADropsBsCopy()
    {
        const auto first = get(*m_b, 1);
        QVERIFY(first && first->ok());
        const QString oldName = first->product->name;
        const auto cached = get(*m_b, 1);
        QVERIFY(cached && cached->ok());
        QVERIFY(cached->fromCache);
        QCOMPARE(exists("b:product:1"), 1);

        const auto written = update(*m_a, 1, QStringLiteral("Renamed in A"), 4242);
        QVERIFY2(written && written->ok(), written ? qPrintable(written->error) : "no reply");
        const qint64 version = written->product->version;

        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:1"), 0, WaitMs);
        // The guard keeps a slower reader in B from putting the old row back.
        QCOMPARE(m_server.syncString({ "GET", "b:cachelab:guard:1" }), QByteArray::number(version));
        const auto fresh = get(*m_b, 1);
        QVERIFY(fresh && fresh->ok());
        QVERIFY(!fresh->fromCache);
        QCOMPARE(fresh->product->name, QStringLiteral("Renamed in A"));
        QCOMPARE(fresh->product->price, 4242);
        QCOMPARE(fresh->product->version, version);
        QVERIFY(fresh->product->name != oldName);
    }

    // And the other way round, for a delete: A's copy goes, A sees NotFound.
    void deleteInBDropsAsCopy()
    {
        const auto first = get(*m_a, 2);
        QVERIFY(first && first->ok());
        QCOMPARE(exists("a:product:2"), 1);
        QSignalSpy traces(&svc(*m_a), &ProductService::traceRecorded);
        const auto removed = await([&](QObject *c, ServiceCallback cb) { svc(*m_b).remove(2, c, cb); });
        QVERIFY(removed && removed->ok());
        QTRY_COMPARE_WITH_TIMEOUT(exists("a:product:2"), 0, WaitMs);
        // The invalidation shows up in A's trace as a remote one.
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(traces.cbegin(), traces.cend(),
                                     [](const QList<QVariant> &args) {
                                         return args.at(0).value<OperationTrace>().operation
                                             == QLatin1String("remote-invalidate");
                                     }),
            WaitMs);
        const auto gone = get(*m_a, 2);
        QVERIFY(gone.has_value());
        QCOMPARE(gone->status, ServiceStatus::NotFound);
    }
};

QTEST_GUILESS_MAIN(TestTwoInstances)
#include "tst_twoinstances.moc"
