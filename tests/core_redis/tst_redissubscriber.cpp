// Tests for RedisSubscriber against a real redis-server: SUBSCRIBE and
// PSUBSCRIBE routing, UNSUBSCRIBE/PUNSUBSCRIBE, the handshake (AUTH, CLIENT
// SETNAME) and re-subscribing by itself after the server was killed and
// restarted.
#include "redissubscriber.h"
#include "testredisserver.h"

#include <QScopeGuard>
#include <QtTest>

#include <memory>

class TestRedisSubscriber final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;

    qint64 publish(const TestRedisServer &server, const QByteArray &channel, const QByteArray &payload)
    {
        return server.syncInteger({ "PUBLISH", channel, payload });
    }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<TestRedisServer>();
        m_server->setPassword(QStringLiteral("sub-secret-pw"));
        QString error;
        QVERIFY2(m_server->start(&error), qPrintable(error));
    }

    void cleanupTestCase() { m_server.reset(); }

    void subscribeAndReceive()
    {
        RedisSubscriber sub(m_server->url());
        QSignalSpy up(&sub, &RedisSubscriber::connected);
        QSignalSpy confirmed(&sub, &RedisSubscriber::subscribed);
        QSignalSpy messages(&sub, &RedisSubscriber::message);
        sub.subscribe("early"); // before connecting: remembered, sent on connect
        sub.connectToServer();
        QVERIFY(up.wait(5000));
        QVERIFY(sub.isConnected());
        QTRY_COMPARE_WITH_TIMEOUT(confirmed.count(), 1, 5000);
        QCOMPARE(confirmed.first().first().toByteArray(), QByteArray("early"));

        sub.subscribe("news");
        QTRY_COMPARE_WITH_TIMEOUT(confirmed.count(), 2, 5000);
        QCOMPARE(confirmed.last().first().toByteArray(), QByteArray("news"));
        QCOMPARE(sub.channels(), QSet<QByteArray>({ "early", "news" }));

        const QByteArray payload("hello\0world\r\n", 13);
        QCOMPARE(publish(*m_server, "news", payload), 1);
        QCOMPARE(publish(*m_server, "early", "first"), 1);
        QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 2, 5000);
        QCOMPARE(messages.at(0).at(0).toByteArray(), QByteArray("news"));
        QCOMPARE(messages.at(0).at(1).toByteArray(), payload);
        QCOMPARE(messages.at(1).at(0).toByteArray(), QByteArray("early"));

        // The subscriber's connection carries its own name.
        QVERIFY(m_server->syncString({ "CLIENT", "LIST" }).contains("name=cachelab-sub"));
    }

    void patternRouting()
    {
        RedisSubscriber sub(m_server->url());
        QSignalSpy up(&sub, &RedisSubscriber::connected);
        QSignalSpy confirmed(&sub, &RedisSubscriber::subscribed);
        QSignalSpy messages(&sub, &RedisSubscriber::message);
        QSignalSpy pmessages(&sub, &RedisSubscriber::pmessage);
        sub.connectToServer();
        QVERIFY(up.wait(5000));
        sub.psubscribe("product:*");
        QTRY_COMPARE_WITH_TIMEOUT(confirmed.count(), 1, 5000);
        QCOMPARE(confirmed.first().first().toByteArray(), QByteArray("product:*"));
        QCOMPARE(sub.patterns(), QSet<QByteArray>({ "product:*" }));

        QCOMPARE(publish(*m_server, "product:42", "changed"), 1);
        QCOMPARE(publish(*m_server, "other", "ignored"), 0);
        QTRY_COMPARE_WITH_TIMEOUT(pmessages.count(), 1, 5000);
        QCOMPARE(pmessages.first().at(0).toByteArray(), QByteArray("product:*"));
        QCOMPARE(pmessages.first().at(1).toByteArray(), QByteArray("product:42"));
        QCOMPARE(pmessages.first().at(2).toByteArray(), QByteArray("changed"));
        QCOMPARE(messages.count(), 0); // a pattern match is not a plain message
    }

    void unsubscribeStopsDelivery()
    {
        RedisSubscriber sub(m_server->url());
        QSignalSpy up(&sub, &RedisSubscriber::connected);
        QSignalSpy confirmed(&sub, &RedisSubscriber::subscribed);
        QSignalSpy messages(&sub, &RedisSubscriber::message);
        QSignalSpy pmessages(&sub, &RedisSubscriber::pmessage);
        sub.connectToServer();
        QVERIFY(up.wait(5000));
        sub.subscribe("a");
        sub.subscribe("b");
        sub.psubscribe("p:*");
        QTRY_COMPARE_WITH_TIMEOUT(confirmed.count(), 3, 5000);

        sub.unsubscribe("a");
        sub.punsubscribe("p:*");
        QVERIFY(!sub.channels().contains("a"));
        QVERIFY(sub.patterns().isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(m_server->syncList({ "PUBSUB", "NUMSUB", "a" }).value(1), QByteArray("0"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->syncInteger({ "PUBSUB", "NUMPAT" }), 0, 5000);

        QCOMPARE(publish(*m_server, "a", "gone"), 0);
        QCOMPARE(publish(*m_server, "p:1", "gone"), 0);
        QCOMPARE(publish(*m_server, "b", "still here"), 1);
        QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, 5000);
        QCOMPARE(messages.first().at(0).toByteArray(), QByteArray("b"));
        QCOMPARE(pmessages.count(), 0);
    }

    void resubscribesAfterRestart()
    {
        TestRedisServer server;
        server.setPassword(QStringLiteral("restart-secret"));
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));

        RedisSubscriber sub(server.url());
        sub.setReconnectPolicy(50, 300, 0.2);
        QSignalSpy up(&sub, &RedisSubscriber::connected);
        QSignalSpy down(&sub, &RedisSubscriber::disconnected);
        QSignalSpy confirmed(&sub, &RedisSubscriber::subscribed);
        QSignalSpy resubscribed(&sub, &RedisSubscriber::resubscribed);
        QSignalSpy messages(&sub, &RedisSubscriber::message);
        QSignalSpy pmessages(&sub, &RedisSubscriber::pmessage);
        sub.connectToServer();
        QVERIFY(up.wait(5000));
        sub.subscribe("events");
        sub.psubscribe("keys:*");
        QTRY_COMPARE_WITH_TIMEOUT(confirmed.count(), 2, 5000);
        QCOMPARE(resubscribed.count(), 0); // the first connect is not a re-subscribe

        server.kill();
        QVERIFY(down.wait(5000));
        QVERIFY(!sub.isConnected());
        QVERIFY2(server.restart(&error), qPrintable(error));
        QVERIFY(resubscribed.wait(5000));
        QCOMPARE(up.count(), 2);
        QCOMPARE(confirmed.count(), 4);
        QCOMPARE(sub.channels(), QSet<QByteArray>({ "events" }));

        QCOMPARE(publish(server, "events", "after restart"), 1);
        QCOMPARE(publish(server, "keys:9", "pattern after restart"), 1);
        QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(pmessages.count(), 1, 5000);
        QCOMPARE(messages.first().at(1).toByteArray(), QByteArray("after restart"));
    }

    void hungServerDetected()
    {
        TestRedisServer server;
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        RedisSubscriber sub(server.url());
        sub.setReconnectPolicy(50, 200, 0.2);
        sub.setHealthCheckInterval(200);
        QSignalSpy up(&sub, &RedisSubscriber::connected);
        QSignalSpy errors(&sub, &RedisSubscriber::errorOccurred);
        QSignalSpy confirmed(&sub, &RedisSubscriber::subscribed);
        QSignalSpy resubscribed(&sub, &RedisSubscriber::resubscribed);
        QSignalSpy messages(&sub, &RedisSubscriber::message);
        sub.connectToServer();
        QVERIFY(up.wait(5000));
        sub.subscribe("alive");
        QTRY_COMPARE_WITH_TIMEOUT(confirmed.count(), 1, 5000);
        // Several health periods pass with PONGs: no false alarm.
        QTRY_VERIFY_WITH_TIMEOUT(server.syncString({ "CLIENT", "LIST" }).contains("cmd=ping"), 5000);
        QCOMPARE(errors.count(), 0);

        server.pause();
        auto resume = qScopeGuard([&server] { server.resume(); });
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 5000);
        QVERIFY2(errors.first().first().toString().contains(QLatin1String("no reply to PING")),
            qPrintable(errors.first().first().toString()));
        QVERIFY(!sub.isConnected());

        server.resume();
        QVERIFY(resubscribed.wait(5000));
        QCOMPARE(publish(server, "alive", "again"), 1);
        QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, 5000);
    }

    void wrongPasswordReported()
    {
        RedisUrl url = m_server->url();
        url.password = QStringLiteral("not-the-sub-pw");
        RedisSubscriber sub(url);
        QSignalSpy errors(&sub, &RedisSubscriber::errorOccurred);
        sub.connectToServer();
        QVERIFY(errors.wait(5000));
        const QString message = errors.first().first().toString();
        QVERIFY2(message.contains(QLatin1String("authentication failed")), qPrintable(message));
        QVERIFY(!message.contains(url.password));
        QVERIFY(!sub.isConnected());
        sub.disconnectFromServer();
    }
};

QTEST_GUILESS_MAIN(TestRedisSubscriber)
#include "tst_redissubscriber.moc"
