// Tests for malformed server input: a FakeRespServer answers the handshake
// normally, then sends broken bytes for GET. The client must fail the
// pending callbacks with a "protocol error" client error, report it through
// errorOccurred, and not crash or hang.
#include "fakerespserver.h"
#include "redisclient.h"

#include <QtTest>

#include <memory>

class TestRedisProtocol final : public QObject
{
    Q_OBJECT

private:
    struct Outcome
    {
        QList<RedisReply> replies;
        QStringList errors;
        bool connectedAfter = false;
    };

    // Connects a client to a fake server whose answer to GET is `bad`, sends
    // GET plus a PING behind it and collects what the callbacks and
    // errorOccurred report. Reconnecting is off so one failure is one story.
    static Outcome run(const QByteArray &bad, bool closeAfter = false, int commandTimeoutMs = 5000)
    {
        Outcome out;
        FakeRespServer server;
        if (!server.listen())
            return out;
        server.setHandler([bad](const FakeRespServer::Command &cmd) -> std::optional<QByteArray> {
            if (cmd.value(0).toUpper() == "GET")
                return bad;
            return std::nullopt;
        });
        server.setCloseAfterReply(closeAfter);

        RedisClient client(server.url());
        client.setAutoReconnect(false);
        client.setCommandTimeout(commandTimeoutMs);
        QObject::connect(
            &client, &RedisClient::errorOccurred, [&out](const QString &message) { out.errors << message; });
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        if (!up.wait(5000))
            return out;
        client.command({ "GET", "k" }, [&out](const RedisReply &r) { out.replies << r; });
        client.command({ "PING" }, [&out](const RedisReply &r) { out.replies << r; });
        if (!QTest::qWaitFor([&out] { return out.replies.size() == 2; }, commandTimeoutMs + 5000))
            qWarning("callbacks did not all run");
        out.connectedAfter = client.isConnected();
        return out;
    }

    static void verifyProtocolError(const Outcome &out, const QString &detail)
    {
        QCOMPARE(out.replies.size(), 2);
        for (const RedisReply &r : out.replies) {
            QVERIFY(r.isClientError());
            QVERIFY2(r.errorMessage().startsWith(QLatin1String("protocol error: ")), qPrintable(r.errorMessage()));
            QVERIFY2(r.errorMessage().contains(detail, Qt::CaseInsensitive), qPrintable(r.errorMessage()));
        }
        QVERIFY(!out.connectedAfter);
        QCOMPARE(out.errors.size(), 1);
        QVERIFY2(out.errors.first().startsWith(QLatin1String("protocol error: ")), qPrintable(out.errors.first()));
    }

private slots:
    void sanityGoodReply()
    {
        // The harness itself: a well-formed answer passes through.
        const Outcome out = run("$3\r\nabc\r\n");
        QCOMPARE(out.replies.size(), 2);
        QCOMPARE(out.replies.at(0), RedisReply::string("abc"));
        QCOMPARE(out.replies.at(1), RedisReply::status("PONG"));
        QVERIFY(out.errors.isEmpty());
        QVERIFY(out.connectedAfter);
    }

    void nestedShapesDecode()
    {
        // Shapes a real server rarely sends in one reply: a nil array (*-1)
        // and empty arrays inside arrays, binary bulk strings with NUL bytes.
        const QByteArray bin("\0\r\n\0", 4);
        const Outcome out = run("*4\r\n*-1\r\n*0\r\n*2\r\n$-1\r\n*1\r\n*0\r\n$4\r\n" + bin + "\r\n");
        QCOMPARE(out.replies.size(), 2);
        QCOMPARE(out.replies.at(0),
            RedisReply::array({ RedisReply::nil(), RedisReply::array({}),
                RedisReply::array({ RedisReply::nil(), RedisReply::array({ RedisReply::array({}) }) }),
                RedisReply::string(bin) }));
        QCOMPARE(out.replies.at(1), RedisReply::status("PONG"));
        QVERIFY(out.errors.isEmpty());
        QVERIFY(out.connectedAfter);
    }

    void garbageInsideArray()
    {
        // The half-built reply is thrown away, nothing partial is delivered.
        verifyProtocolError(run("*3\r\n$1\r\na\r\n*2\r\n:1\r\n?x\r\n"), QStringLiteral("reply type byte"));
    }

    void garbageTypeByte() { verifyProtocolError(run("?what is this\r\n"), QStringLiteral("reply type byte")); }

    void badInteger() { verifyProtocolError(run(":12x\r\n"), QStringLiteral("integer")); }

    void negativeBulkLength() { verifyProtocolError(run("$-7\r\n"), QStringLiteral("out of range")); }

    void oversizedBulkLength()
    {
        // 100 GB announced: refused from the header, not after buffering.
        verifyProtocolError(run("$107374182400\r\nabc"), QStringLiteral("exceeds the limit"));
    }

    void oversizedArrayLength()
    {
        verifyProtocolError(run("*2000000000\r\n:1\r\n"), QStringLiteral("exceeds the limit"));
    }

    void deeplyNestedArrays()
    {
        // hiredis 0.14 refuses more than 7 levels; 200 must not crash us.
        verifyProtocolError(run(QByteArray("*1\r\n").repeated(200) + ":1\r\n"), QStringLiteral("nested"));
    }

    void truncatedThenClosed() { verifyProtocolError(run("$10\r\nabc", true), QStringLiteral("truncated")); }

    void truncatedThenSilent()
    {
        // No close: the command timeout ends the wait.
        const Outcome out = run("$10\r\nabc", false, 300);
        QCOMPARE(out.replies.size(), 2);
        for (const RedisReply &r : out.replies)
            QVERIFY2(r.errorMessage().contains(QLatin1String("timed out after 300 ms")), qPrintable(r.errorMessage()));
    }

    void unexpectedExtraReply()
    {
        // Two replies for one command: the second matches nothing pending
        // after PING, which is a protocol violation too.
        FakeRespServer server;
        QVERIFY(server.listen());
        server.setHandler([](const FakeRespServer::Command &cmd) -> std::optional<QByteArray> {
            if (cmd.value(0) == "GET")
                return QByteArrayLiteral("$1\r\na\r\n+EXTRA\r\n+EXTRA\r\n");
            return std::nullopt;
        });
        RedisClient client(server.url());
        client.setAutoReconnect(false);
        QSignalSpy up(&client, &RedisClient::connected);
        QSignalSpy errors(&client, &RedisClient::errorOccurred);
        client.connectToServer();
        QVERIFY(up.wait(5000));
        std::optional<RedisReply> reply;
        client.command({ "GET", "k" }, [&reply](const RedisReply &r) { reply = r; });
        QVERIFY(errors.wait(5000));
        QVERIFY2(errors.first().first().toString().contains(QLatin1String("unexpected reply")),
            qPrintable(errors.first().first().toString()));
        QCOMPARE(*reply, RedisReply::string("a"));
    }

    void recoversOnReconnect()
    {
        // After a protocol error the client reconnects with a fresh reader.
        FakeRespServer server;
        QVERIFY(server.listen());
        int gets = 0;
        server.setHandler([&gets](const FakeRespServer::Command &cmd) -> std::optional<QByteArray> {
            if (cmd.value(0) == "GET")
                return ++gets == 1 ? QByteArrayLiteral("!!!\r\n") : QByteArrayLiteral("$2\r\nok\r\n");
            return std::nullopt;
        });
        RedisClient client(server.url());
        client.setReconnectPolicy(20, 100, 0);
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(5000));
        std::optional<RedisReply> first;
        client.command({ "GET", "k" }, [&first](const RedisReply &r) { first = r; });
        QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), 5000);
        QVERIFY(first->isClientError());
        QTRY_COMPARE_WITH_TIMEOUT(up.count(), 2, 5000);
        QCOMPARE(server.connectionCount(), 2);
        std::optional<RedisReply> second;
        client.command({ "GET", "k" }, [&second](const RedisReply &r) { second = r; });
        QTRY_VERIFY_WITH_TIMEOUT(second.has_value(), 5000);
        QCOMPARE(*second, RedisReply::string("ok"));
        QCOMPARE(client.serverVersion(), QStringLiteral("0.0.0-fake"));
    }
};

QTEST_GUILESS_MAIN(TestRedisProtocol)
#include "tst_redisprotocol.moc"
