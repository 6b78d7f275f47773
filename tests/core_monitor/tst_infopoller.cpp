// Tests for InfoPoller: parsing INFO text, and polling a real redis-server
// for hits, misses, expired keys, memory and the key count.
#include "infopoller.h"
#include "redisclient.h"
#include "testredisserver.h"

#include <QtTest>

class TestInfoPoller final : public QObject
{
    Q_OBJECT

private slots:
    void parse()
    {
        const QByteArray text = "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:42\r\n\r\n# Memory\r\n"
                                "used_memory:1048576\r\nmaxmemory:2097152\r\nmaxmemory_policy:allkeys-lru\r\n"
                                "# Stats\r\nkeyspace_hits:30\r\nkeyspace_misses:10\r\nexpired_keys:4\r\n"
                                "evicted_keys:2\r\ntotal_commands_processed:99\r\n# Keyspace\r\n"
                                "db0:keys=5,expires=3,avg_ttl=1000\r\ndb1:keys=9,expires=0,avg_ttl=0\r\n";
        const RedisServerInfo i = RedisServerInfo::parse(text, 1);
        QCOMPARE(i.redisVersion, QStringLiteral("7.0.15"));
        QCOMPARE(i.uptimeSeconds, 42);
        QCOMPARE(i.usedMemory, 1048576);
        QCOMPARE(i.maxmemory, 2097152);
        QCOMPARE(i.maxmemoryPolicy, QStringLiteral("allkeys-lru"));
        QCOMPARE(i.keyspaceHits, 30);
        QCOMPARE(i.keyspaceMisses, 10);
        QCOMPARE(i.expiredKeys, 4);
        QCOMPARE(i.evictedKeys, 2);
        QCOMPARE(i.totalCommandsProcessed, 99);
        QCOMPARE(i.keys, 9);
        QCOMPARE(i.hitRatio(), 0.75);
        QCOMPARE(i.raw.value(QStringLiteral("db0")), QStringLiteral("keys=5,expires=3,avg_ttl=1000"));
        QCOMPARE(RedisServerInfo().hitRatio(), 0.0);
    }

    void pollsRealServer()
    {
        TestRedisServer server;
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        RedisClient client(server.url());
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(10000));

        server.syncString({ "SET", "a", "1" });
        server.syncString({ "GET", "a" });
        server.syncString({ "GET", "missing" });
        server.syncString({ "SET", "short", "1", "PX", "1" });

        InfoPoller poller(&client);
        poller.setInterval(100);
        QCOMPARE(poller.interval(), 100);
        QSignalSpy updated(&poller, &InfoPoller::updated);
        poller.start();
        QVERIFY(poller.isRunning());
        QVERIFY(updated.wait(5000));
        RedisServerInfo i = updated.last().first().value<RedisServerInfo>();
        QVERIFY(i.keyspaceHits >= 1);
        QVERIFY(i.keyspaceMisses >= 1);
        QVERIFY(i.usedMemory > 0);
        QCOMPARE(i.redisVersion.isEmpty(), false);
        QVERIFY(i.sampledAt.isValid());
        // Polls keep coming on the interval, and see the key expire.
        QTRY_VERIFY_WITH_TIMEOUT(
            poller.last().expiredKeys >= 1 || (server.syncInteger({ "EXISTS", "short" }) == 0 && updated.count() >= 3),
            5000);
        QTRY_VERIFY_WITH_TIMEOUT(updated.count() >= 3, 5000);
        poller.stop();
        QVERIFY(!poller.isRunning());
    }
};

QTEST_MAIN(TestInfoPoller)
#include "tst_infopoller.moc"
