// Hostile product input through the whole service: valid names (emoji,
// right-to-left text, SQL injection, replacement characters, 100 code
// points) saved under write-through must come back byte for byte from
// SQLite, from the product:{id} hash in Redis and from a cached get();
// invalid ones are refused before either store is touched.
#include "awaitcallback.h"
#include "hostileinput.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "testredisserver.h"

#include <QTemporaryDir>
#include <QtTest>

using TestSupport::await;

class TestHostileService final : public QObject
{
    Q_OBJECT

private slots:
    void roundTripThroughRedis()
    {
        const quint32 seed = qEnvironmentVariableIsSet("CACHELAB_SEED")
            ? quint32(qEnvironmentVariableIntValue("CACHELAB_SEED"))
            : QRandomGenerator::global()->generate();
        qInfo("seed %u (set CACHELAB_SEED to repeat)", seed);
        QRandomGenerator rng(seed);

        TestRedisServer redis;
        QString error;
        QVERIFY2(redis.start(&error), qPrintable(error));
        QTemporaryDir dir;
        ProductRepository repo(dir.filePath(QStringLiteral("s.db")));
        repo.setChangePollInterval(0);
        const auto opened = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
        QVERIFY(opened && opened->ok());
        RedisClient client(redis.url());
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(5000));
        ProductService service(&client, &repo);
        service.setStrategy(StrategyKind::WriteThrough);
        QTRY_VERIFY_WITH_TIMEOUT(service.isCacheAvailable(), 3000);

        int valid = 0;
        int refused = 0;
        for (int i = 0; i < 1000 && valid < 250; ++i) {
            const QString name = hostile::randomName(rng);
            const qint64 price = hostile::randomPrice(rng);
            QString stored;
            const bool ok = hostile::oracleNameValid(name, &stored) && price >= 0;
            if (!ok) {
                // A get answers before its view bookkeeping (recent list,
                // most-viewed, unique viewers) is sent in a batch: send the
                // batch now, then one round trip on the same connection makes
                // sure Redis has run it, so the key count below can only move
                // because of this create.
                service.flushViews();
                std::optional<RedisReply> ping;
                client.command({ "PING" }, &client, [&ping](const RedisReply &reply) { ping = reply; });
                QTRY_VERIFY_WITH_TIMEOUT(ping.has_value(), 5000);
            }
            const qint64 keysBefore = ok ? 0 : redis.syncInteger({ "DBSIZE" });
            const auto r
                = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.create(name, price, c, cb); });
            QVERIFY(r);
            if (!ok) {
                QCOMPARE(r->status, ServiceStatus::Invalid);
                QVERIFY(!r->fieldErrors.isEmpty());
                QCOMPARE(redis.syncInteger({ "DBSIZE" }), keysBefore);
                ++refused;
                continue;
            }
            QVERIFY2(r->ok() && r->product, qPrintable(r->error));
            const qint64 id = r->product->id;
            QCOMPARE(r->product->name, stored);
            // Write-through: the hash is there now, byte for byte.
            const QByteArray key = "product:" + QByteArray::number(id);
            QTRY_VERIFY_WITH_TIMEOUT(redis.syncInteger({ "EXISTS", key }) == 1, 2000);
            QCOMPARE(redis.syncString({ "HGET", key, "name" }), stored.toUtf8());
            QCOMPARE(redis.syncString({ "HGET", key, "price" }), QByteArray::number(price));
            const auto got = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(id, c, cb); });
            QVERIFY(got && got->ok() && got->product);
            QVERIFY(got->fromCache);
            QCOMPARE(got->product->name, stored);
            QCOMPARE(got->product->price, price);
            const auto row = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.get(id, c, cb); });
            QVERIFY(row && row->product);
            QCOMPARE(row->product->name, stored);
            ++valid;
        }
        qInfo("service round trip: %d valid names through SQLite and Redis, %d refused", valid, refused);
        QVERIFY(valid >= 100);
    }
};

QTEST_GUILESS_MAIN(TestHostileService)
#include "tst_hostileservice.moc"
