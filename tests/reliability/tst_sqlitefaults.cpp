// SQLite failures under the service: a database file that may not be
// written (permission bits: the tests run as root, so the store decides
// read-only from the bits, not from a failed open) and a full disk (the
// process's file size limit, RLIMIT_FSIZE, set just above the current
// database size). The caller gets a clear error, nothing is acknowledged
// that was not stored, and the cache never claims a value SQLite rejected.
#include "awaitcallback.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "testredisserver.h"
#include "writebehindqueue.h"

#include <QDirIterator>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <sys/resource.h>

using TestSupport::await;

namespace {

QByteArray describe(const std::optional<ServiceResult> &r)
{
    if (!r)
        return "no callback";
    return (serviceStatusName(r->status) + QStringLiteral(": ") + r->error).toUtf8();
}

// Restores the file size limit however the test ends.
struct FileSizeLimit
{
    rlimit saved {};
    explicit FileSizeLimit(rlim_t bytes)
    {
        ::signal(SIGXFSZ, SIG_IGN); // a write past the limit fails with EFBIG instead of killing us
        getrlimit(RLIMIT_FSIZE, &saved);
        rlimit limit = saved;
        limit.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &saved); }
};

qint64 largestFile(const QString &dir)
{
    qint64 largest = 0;
    QDirIterator it(dir, QDir::Files);
    while (it.hasNext()) {
        it.next();
        largest = qMax(largest, it.fileInfo().size());
    }
    return largest;
}

} // namespace

class TestSqliteFaults final : public QObject
{
    Q_OBJECT

private:
    TestRedisServer m_redis;

    // The cache may hold only what SQLite holds: for every product hash in
    // Redis, the row at that version has that name.
    void verifyCacheMatchesDb(ProductRepository &repo)
    {
        for (const QByteArray &key : m_redis.syncList({ "KEYS", "product:*" })) {
            const qint64 id = key.mid(8).toLongLong();
            const QList<QByteArray> fields = m_redis.syncList({ "HMGET", key, "name", "version" });
            if (fields.size() != 2 || fields.at(0).isEmpty())
                continue; // negative-cache entries and the like
            const auto row = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.get(id, c, cb); });
            QVERIFY(row && row->ok() && row->product);
            if (fields.at(1).toLongLong() == row->product->version)
                QCOMPARE(QString::fromUtf8(fields.at(0)), row->product->name);
            else
                QVERIFY2(fields.at(1).toLongLong() < row->product->version,
                    qPrintable(QStringLiteral("cache claims version %1 of product %2, SQLite has %3")
                                   .arg(QString::fromLatin1(fields.at(1)))
                                   .arg(id)
                                   .arg(row->product->version)));
        }
    }

private slots:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_redis.start(&error), qPrintable(error));
    }

    void init() { m_redis.syncString({ "FLUSHALL" }); }

    void readOnlyFile_data()
    {
        QTest::addColumn<StrategyKind>("strategy");
        for (StrategyKind k : { StrategyKind::CacheAside, StrategyKind::ReadThrough, StrategyKind::WriteThrough,
                 StrategyKind::WriteBehind })
            QTest::newRow(qPrintable(strategyName(k))) << k;
    }

    void readOnlyFile()
    {
        QFETCH(StrategyKind, strategy);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("ro.db"));
        {
            ProductRepository repo(path);
            repo.setChangePollInterval(0);
            auto r = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
            QVERIFY(r && r->ok());
            for (int i = 1; i <= 3; ++i) {
                r = await<StoreResult>(
                    [&](QObject *c, StoreCallback cb) { repo.create(QStringLiteral("p%1").arg(i), i, c, cb); });
                QVERIFY(r && r->ok());
            }
        }
        QVERIFY(QFile::setPermissions(path, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther));

        ProductRepository repo(path);
        repo.setChangePollInterval(0);
        auto opened = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
        QVERIFY(opened && opened->ok());
        QVERIFY(repo.isReadOnly());
        RedisClient client(m_redis.url());
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(5000));
        ProductService service(&client, &repo);
        service.setStrategy(strategy);
        CacheSettings s = service.settings();
        s.writeBehindFlushIntervalMs = 50;
        service.setSettings(s);
        QTRY_VERIFY_WITH_TIMEOUT(service.isCacheAvailable(), 3000);

        auto r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(1, c, cb); });
        QVERIFY2(r && r->ok(), describe(r).constData());
        r = await<ServiceResult>(
            [&](QObject *c, ServiceCallback cb) { service.update(1, QStringLiteral("rejected"), 5, 0, c, cb); });
        QVERIFY(r);
        if (strategy == StrategyKind::WriteBehind) {
            // Accepted into Redis; the flush must then fail without losing
            // the write: it stays queued, and SQLite is unchanged.
            if (r->ok()) {
                const auto flush
                    = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.flushWriteBehind(c, cb); });
                QVERIFY(flush);
                QVERIFY2(!flush->ok() || flush->count == 0, describe(flush).constData());
                qInfo("write-behind flush into a read-only file: %s", describe(flush).constData());
                service.writeBehindQueue()->refreshDepth();
                QTRY_VERIFY2_WITH_TIMEOUT(
                    service.queueDepth() >= 1, "a write the database refused left the queue", 2000);
                QVERIFY(m_redis.syncInteger({ "LLEN", "cachelab:wb:queue" })
                        + m_redis.syncInteger({ "LLEN", "cachelab:wb:processing" })
                    >= 1);
            } else {
                QVERIFY(!r->error.isEmpty());
            }
        } else {
            QVERIFY2(r->status == ServiceStatus::Error, describe(r).constData());
            QVERIFY2(r->error.contains(QLatin1String("read-only"), Qt::CaseInsensitive)
                    || r->error.contains(QLatin1String("readonly"), Qt::CaseInsensitive),
                qPrintable(r->error));
            QVERIFY(m_redis.syncString({ "HGET", "product:1", "name" }) != "rejected");
            r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(1, c, cb); });
            QVERIFY2(r && r->ok(), describe(r).constData());
            QCOMPARE(r->product->name, QStringLiteral("p1"));
            r = await<ServiceResult>(
                [&](QObject *c, ServiceCallback cb) { service.create(QStringLiteral("new"), 1, c, cb); });
            QVERIFY(r && r->status == ServiceStatus::Error);
        }
        const auto row = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.get(1, c, cb); });
        QVERIFY(row && row->product);
        QCOMPARE(row->product->name, QStringLiteral("p1"));
        if (strategy != StrategyKind::WriteBehind)
            verifyCacheMatchesDb(repo);
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
    }

    void diskFull_data()
    {
        QTest::addColumn<StrategyKind>("strategy");
        for (StrategyKind k : { StrategyKind::CacheAside, StrategyKind::WriteThrough })
            QTest::newRow(qPrintable(strategyName(k))) << k;
    }

    void diskFull()
    {
        QFETCH(StrategyKind, strategy);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("full.db"));
        ProductRepository repo(path);
        repo.setChangePollInterval(0);
        auto opened = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
        QVERIFY(opened && opened->ok());
        RedisClient client(m_redis.url());
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(5000));
        ProductService service(&client, &repo);
        service.setStrategy(strategy);
        QTRY_VERIFY_WITH_TIMEOUT(service.isCacheAvailable(), 3000);
        for (int i = 1; i <= 3; ++i) {
            auto r = await<ServiceResult>(
                [&](QObject *c, ServiceCallback cb) { service.create(QStringLiteral("p%1").arg(i), i, c, cb); });
            QVERIFY2(r && r->ok(), describe(r).constData());
            r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(i, c, cb); });
            QVERIFY2(r && r->ok(), describe(r).constData());
        }

        QHash<qint64, QString> acknowledged;
        int failures = 0;
        QString firstError;
        {
            FileSizeLimit limit(rlim_t(largestFile(dir.path()) + 64 * 1024));
            // Write until the disk is full, then a little more.
            for (int i = 0; i < 3000 && failures < 5; ++i) {
                const QString name = QStringLiteral("fill %1 ").arg(i) + QString(80, u'x');
                auto r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) {
                    if (i % 2)
                        service.update(1 + i % 3, name, i, 0, c, cb);
                    else
                        service.create(name, i, c, cb);
                });
                QVERIFY(r);
                if (r->ok()) {
                    acknowledged.insert(r->product->id, r->product->name);
                } else {
                    QVERIFY2(r->status == ServiceStatus::Error, describe(r).constData());
                    QVERIFY(!r->error.isEmpty());
                    if (firstError.isEmpty())
                        firstError = r->error;
                    ++failures;
                }
            }
            QVERIFY2(failures > 0, "the size limit never hit");
            verifyCacheMatchesDb(repo);
        }
        qInfo("disk full after %lld acknowledged writes; first error: %s", qlonglong(acknowledged.size()),
            qPrintable(firstError));

        // Space again: everything acknowledged is there, and the store works.
        auto r = await<ServiceResult>(
            [&](QObject *c, ServiceCallback cb) { service.create(QStringLiteral("after"), 1, c, cb); });
        QVERIFY2(r && r->ok(), describe(r).constData());
        for (auto it = acknowledged.cbegin(); it != acknowledged.cend(); ++it) {
            const auto row = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.get(it.key(), c, cb); });
            QVERIFY(row && row->ok() && row->product);
            if (it.key() > 3) // rows 1..3 were also updated; their last write wins
                QCOMPARE(row->product->name, it.value());
        }
        verifyCacheMatchesDb(repo);
    }
};

QTEST_GUILESS_MAIN(TestSqliteFaults)
#include "tst_sqlitefaults.moc"
