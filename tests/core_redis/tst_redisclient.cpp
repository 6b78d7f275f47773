// Tests for RedisClient against a real redis-server: pipelining order, every
// reply type, binary safety, errors as values, handshake (AUTH with an ACL
// user, SELECT, CLIENT SETNAME), fast failure while disconnected, recovery
// from a killed and from a paused server, context lifetime, MULTI/EXEC and
// WATCH-based optimistic transactions.
#include "logcapture.h"
#include "redisclient.h"
#include "testredisserver.h"

#include <QRandomGenerator>
#include <QScopeGuard>
#include <QtTest>

#include <memory>
#include <optional>

class TestRedisClient final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;

    // A client connected to `url`, or null (and a failed check) on timeout.
    static std::unique_ptr<RedisClient> connected(const RedisUrl &url, int timeoutMs = 5000)
    {
        auto client = std::make_unique<RedisClient>(url);
        QSignalSpy spy(client.get(), &RedisClient::connected);
        client->connectToServer();
        if (!spy.wait(timeoutMs) && !client->isConnected()) {
            qWarning("connect failed: %s", qPrintable(client->lastError()));
            return nullptr;
        }
        return client;
    }

    // One command, waiting (bounded) for its reply. The local context drops
    // the callback if we give up, so it can never write to a dead frame.
    static std::optional<RedisReply> call(RedisClient &client, const RedisCommand &args, int timeoutMs = 5000)
    {
        QObject context;
        std::optional<RedisReply> out;
        client.command(args, &context, [&out](const RedisReply &r) { out = r; });
        const bool replied = QTest::qWaitFor([&out] { return out.has_value(); }, timeoutMs);
        return replied ? out : std::nullopt;
    }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<TestRedisServer>();
        QString error;
        QVERIFY2(m_server->start(&error), qPrintable(error));
    }

    void cleanupTestCase() { m_server.reset(); }

    void init() { m_server->syncString({ "FLUSHALL" }); }

    void connectsAndReportsState()
    {
        RedisClient client(m_server->url());
        QCOMPARE(client.state(), RedisClient::State::Disconnected);
        QSignalSpy states(&client, &RedisClient::stateChanged);
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(5000));
        QCOMPARE(client.state(), RedisClient::State::Connected);
        QCOMPARE(states.count(), 2);
        QCOMPARE(states.at(0).at(0).value<RedisClient::State>(), RedisClient::State::Connecting);
        QCOMPARE(states.at(1).at(0).value<RedisClient::State>(), RedisClient::State::Connected);
        QVERIFY2(client.serverVersion().startsWith(QLatin1String("7.")), qPrintable(client.serverVersion()));
        QVERIFY(client.lastError().isEmpty());
    }

    void pipelineTenThousandInOrder()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        constexpr int count = 10000;
        int received = 0;
        int outOfOrder = 0;
        for (int i = 0; i < count; ++i) {
            client->command({ "INCR", "counter" }, [&received, &outOfOrder, i](const RedisReply &r) {
                if (!r.isInteger() || r.toInteger() != i + 1 || received != i)
                    ++outOfOrder;
                ++received;
            });
        }
        // Nothing has been read yet: every command is in flight at once.
        QCOMPARE(client->pendingCount(), count);
        QTRY_COMPARE_WITH_TIMEOUT(received, count, 20000);
        QCOMPARE(outOfOrder, 0);
        QCOMPARE(client->pendingCount(), 0);
        QVERIFY(client->commandsSent() >= quint64(count));
        QCOMPARE(m_server->syncInteger({ "GET", "counter" }), count);
    }

    void pipelineCall()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        std::optional<QList<RedisReply>> replies;
        client->pipeline({ { "SET", "p", "1" }, { "INCR", "p" }, { "GET", "missing" } }, this,
            [&replies](const QList<RedisReply> &r) { replies = r; });
        QTRY_VERIFY_WITH_TIMEOUT(replies.has_value(), 5000);
        QCOMPARE(replies->size(), 3);
        QCOMPARE(replies->at(0), RedisReply::status("OK"));
        QCOMPARE(replies->at(1), RedisReply::integer(2));
        QCOMPARE(replies->at(2), RedisReply::nil());
    }

    void everyReplyType()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        QCOMPARE(*call(*client, { "SET", "k", "v" }), RedisReply::status("OK"));
        QCOMPARE(*call(*client, { "GET", "k" }), RedisReply::string("v"));
        QCOMPARE(*call(*client, { "GET", "nope" }), RedisReply::nil());
        QCOMPARE(*call(*client, { "INCRBY", "n", "-7" }), RedisReply::integer(-7));
        QCOMPARE(*call(*client, { "RPUSH", "l", "a", "b" }), RedisReply::integer(2));
        QCOMPARE(*call(*client, { "LRANGE", "l", "0", "-1" }),
            RedisReply::array({ RedisReply::string("a"), RedisReply::string("b") }));
        QCOMPARE(*call(*client, { "LRANGE", "none", "0", "-1" }), RedisReply::array({}));
        // A nested array with every type inside, built by a script.
        const std::optional<RedisReply> nested
            = call(*client, { "EVAL", "return {1, {'x', {2}}, redis.status_reply('FINE'), false}", "0" });
        QVERIFY(nested);
        QCOMPARE(*nested,
            RedisReply::array({ RedisReply::integer(1),
                RedisReply::array({ RedisReply::string("x"), RedisReply::array({ RedisReply::integer(2) }) }),
                RedisReply::status("FINE"), RedisReply::nil() }));
        QVERIFY(client->serverVersion().size() > 0);
    }

    void errorsAreValues()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        QVERIFY(call(*client, { "SET", "s", "text" }));
        const std::optional<RedisReply> r = call(*client, { "HGET", "s", "field" });
        QVERIFY(r);
        QVERIFY(r->isError());
        QVERIFY(!r->isClientError());
        QVERIFY2(r->errorMessage().startsWith(QLatin1String("WRONGTYPE")), qPrintable(r->errorMessage()));
        QVERIFY(call(*client, { "NOSUCHCOMMAND" })->isError());
        // An empty command is refused locally (it would never get a reply).
        const std::optional<RedisReply> empty = call(*client, {});
        QVERIFY(empty && empty->isClientError());
        QVERIFY2(empty->errorMessage().contains(QLatin1String("empty command")), qPrintable(empty->errorMessage()));
        // The connection is unaffected.
        QCOMPARE(*call(*client, { "PING" }), RedisReply::status("PONG"));
        QVERIFY(client->isConnected());
    }

    void binarySafe()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        const QByteArray key("k\0e\r\ny", 6);
        const QByteArray value("\0\0v\r\n$3\r\n\xff\0", 11);
        QCOMPARE(*call(*client, { "SET", key, value }), RedisReply::status("OK"));
        const std::optional<RedisReply> back = call(*client, { "GET", key });
        QVERIFY(back);
        QCOMPARE(back->bytes().size(), value.size());
        QCOMPARE(back->bytes(), value);
        QCOMPARE(*call(*client, { "STRLEN", key }), RedisReply::integer(11));
    }

    void nestedNilEmptyAndBinaryInArrays()
    {
        // Replies are decoded straight into RedisReply by the reader
        // callbacks; these shapes are where a misplaced child, a lost nil or
        // a length-less copy of binary bytes would show.
        auto client = connected(m_server->url());
        QVERIFY(client);
        const QByteArray bin("\0a\r\n*1\r\n\0", 9);
        const QByteArray empty("");
        QCOMPARE(*call(*client, { "SET", "b1", bin }), RedisReply::status("OK"));
        QCOMPARE(*call(*client, { "SET", "b2", empty }), RedisReply::status("OK"));

        // Flat: nil bulk and empty bulk inside an array.
        QCOMPARE(*call(*client, { "MGET", "b1", "missing", "b2" }),
            RedisReply::array({ RedisReply::string(bin), RedisReply::nil(), RedisReply::string(empty) }));

        // Nested, with empty arrays at every level and binary ARGV echoed back.
        const std::optional<RedisReply> nested = call(
            *client, { "EVAL", "return {{}, {ARGV[1], {}, {{}, ARGV[2]}}, false, {}, ARGV[1]}", "0", bin, empty });
        QVERIFY(nested);
        QCOMPARE(*nested,
            RedisReply::array({ RedisReply::array({}),
                RedisReply::array({ RedisReply::string(bin), RedisReply::array({}),
                    RedisReply::array({ RedisReply::array({}), RedisReply::string(empty) }) }),
                RedisReply::nil(), RedisReply::array({}), RedisReply::string(bin) }));

        // A nil *array* (*-1) inside an array: BLPOP inside MULTI does not
        // block and answers *-1, so EXEC carries it between other types.
        std::optional<RedisReply> exec;
        client->transaction({ { "BLPOP", "nolist", "1" }, { "LRANGE", "nolist", "0", "-1" }, { "GET", "b1" } }, this,
            [&exec](const RedisReply &r) { exec = r; });
        QTRY_VERIFY_WITH_TIMEOUT(exec.has_value(), 5000);
        QCOMPARE(*exec, RedisReply::array({ RedisReply::nil(), RedisReply::array({}), RedisReply::string(bin) }));

        // One large nested reply that arrives in many socket reads, with more
        // elements than the reader reserves up front, pipelined behind and in
        // front of small ones.
        constexpr int count = 6000;
        QList<RedisReply> items;
        RedisCommand rpush { "RPUSH", "big" };
        for (int i = 0; i < count; ++i) {
            const QByteArray item = QByteArray::number(i) + bin + QByteArray(200, char('a' + i % 26));
            rpush.append(item);
            items.append(RedisReply::string(item));
        }
        QCOMPARE(*call(*client, rpush), RedisReply::integer(count));
        QList<RedisReply> replies;
        const auto collect = [&replies](const RedisReply &r) { replies.append(r); };
        client->command({ "GET", "b1" }, this, collect);
        client->command(
            { "EVAL", "return {redis.call('LRANGE', KEYS[1], 0, -1), {}, false}", "1", "big" }, this, collect);
        client->command({ "MGET", "missing", "b1" }, this, collect);
        QTRY_COMPARE_WITH_TIMEOUT(replies.size(), 3, 15000);
        QCOMPARE(replies.at(0), RedisReply::string(bin));
        QVERIFY(replies.at(1).isArray());
        QCOMPARE(replies.at(1).size(), 3);
        QCOMPARE(replies.at(1).at(0).size(), count);
        QCOMPARE(replies.at(1).at(0), RedisReply::array(items));
        QCOMPARE(replies.at(1).at(1), RedisReply::array({}));
        QCOMPARE(replies.at(1).at(2), RedisReply::nil());
        QCOMPARE(replies.at(2), RedisReply::array({ RedisReply::nil(), RedisReply::string(bin) }));
    }

    void tenMegabyteValue()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        QByteArray big(10 * 1024 * 1024, Qt::Uninitialized);
        auto *words = reinterpret_cast<quint32 *>(big.data());
        QRandomGenerator rng(42);
        rng.fillRange(words, big.size() / int(sizeof(quint32)));
        big[17] = '\0';
        QCOMPARE(*call(*client, { "SET", "big", big }, 15000), RedisReply::status("OK"));
        QCOMPARE(*call(*client, { "STRLEN", "big" }), RedisReply::integer(big.size()));
        const std::optional<RedisReply> back = call(*client, { "GET", "big" }, 15000);
        QVERIFY(back);
        QVERIFY(back->isString());
        QCOMPARE(back->bytes().size(), big.size());
        QVERIFY(back->bytes() == big);
        QCOMPARE(*call(*client, { "PING" }), RedisReply::status("PONG"));
    }

    void aclUserAuth()
    {
        TestRedisServer server;
        server.setPassword(QStringLiteral("default-pw-8765"));
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        QCOMPARE(
            server.syncString({ "ACL", "SETUSER", "alice", "on", ">alice-pw-4321", "~*", "+@all" }), QByteArray("OK"));

        RedisUrl url = server.url();
        url.user = QStringLiteral("alice");
        url.password = QStringLiteral("alice-pw-4321");
        auto client = connected(url);
        QVERIFY(client);
        QCOMPARE(*call(*client, { "ACL", "WHOAMI" }), RedisReply::string("alice"));

        // The default user with requirepass: AUTH <password>.
        auto plain = connected(server.url());
        QVERIFY(plain);
        QCOMPARE(*call(*plain, { "ACL", "WHOAMI" }), RedisReply::string("default"));
    }

    void wrongPasswordIsClearAndSecret()
    {
        TestRedisServer server;
        server.setPassword(QStringLiteral("default-pw-8765"));
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        QCOMPARE(
            server.syncString({ "ACL", "SETUSER", "alice", "on", ">alice-pw-4321", "~*", "+@all" }), QByteArray("OK"));

        const QString secret = QStringLiteral("Wrong-Secret-9137");
        RedisUrl url = server.url();
        url.user = QStringLiteral("alice");
        url.password = secret;

        // Every log line from here on, to prove no password is ever logged.
        TestSupport::LogCapture capture;

        RedisClient client(url);
        client.setReconnectPolicy(200, 2000, 0.0);
        QSignalSpy errors(&client, &RedisClient::errorOccurred);
        QSignalSpy up(&client, &RedisClient::connected);
        QElapsedTimer clock;
        clock.start();
        client.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(errors.count() >= 3, 10000);
        // Backoff, not a tight loop: 3 failures need at least 200 + 400 ms.
        QVERIFY2(clock.elapsed() >= 550, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(up.count(), 0);
        QVERIFY(!client.isConnected());

        const QString message = errors.first().first().toString();
        QVERIFY2(message.contains(QLatin1String("authentication failed for user 'alice'")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("WRONGPASS")), qPrintable(message));

        // A command now fails fast, with the reason, and without the password.
        const std::optional<RedisReply> r = call(client, { "PING" });
        QVERIFY(r && r->isClientError());
        QVERIFY2(r->errorMessage().contains(QLatin1String("not connected")), qPrintable(r->errorMessage()));

        client.disconnectFromServer();
        QStringList everything = capture.lines();
        everything << client.lastError() << r->errorMessage();
        for (const QList<QVariant> &args : std::as_const(errors))
            everything << args.first().toString();
        for (const QString &text : std::as_const(everything))
            QVERIFY2(!text.contains(secret), qPrintable(text));
    }

    void selectDb()
    {
        RedisUrl url = m_server->url();
        url.db = 5;
        auto client = connected(url);
        QVERIFY(client);
        QVERIFY(call(*client, { "SET", "in-db-5", "x" }));
        const std::optional<RedisReply> info = call(*client, { "CLIENT", "INFO" });
        QVERIFY(info && info->isString());
        QVERIFY2(info->bytes().contains(" db=5 "), info->bytes().constData());
        QCOMPARE(m_server->syncInteger({ "EXISTS", "in-db-5" }), 0); // db 0 does not have it

        url.db = 99;
        RedisClient bad(url);
        QSignalSpy errors(&bad, &RedisClient::errorOccurred);
        bad.connectToServer();
        QVERIFY(errors.wait(5000));
        QVERIFY2(errors.first().first().toString().contains(QLatin1String("SELECT 99 failed")),
            qPrintable(errors.first().first().toString()));
        bad.disconnectFromServer();
    }

    void clientNameVisible()
    {
        RedisUrl url = m_server->url();
        url.clientName = QStringLiteral("tst-named-client");
        auto client = connected(url);
        QVERIFY(client);
        QVERIFY(m_server->syncString({ "CLIENT", "LIST" }).contains("name=tst-named-client"));
    }

    void unixSocket()
    {
        RedisUrl url;
        url.transport = RedisUrl::Transport::Unix;
        url.socketPath = m_server->socketPath();
        auto client = connected(url);
        QVERIFY(client);
        QCOMPARE(*call(*client, { "PING" }), RedisReply::status("PONG"));
    }

    void commandWhileDisconnectedFailsFast()
    {
        RedisClient client(m_server->url());
        bool called = false;
        RedisReply reply;
        client.command({ "PING" }, [&](const RedisReply &r) {
            called = true;
            reply = r;
        });
        // Not inside the call, but on the next turn of the event loop.
        QVERIFY(!called);
        QTRY_VERIFY_WITH_TIMEOUT(called, 1000);
        QVERIFY(reply.isClientError());
        const QString expected = QStringLiteral("not connected to Redis (127.0.0.1:%1)").arg(m_server->port());
        QVERIFY2(reply.errorMessage().startsWith(expected), qPrintable(reply.errorMessage()));

        // Also for a server that is not there at all.
        RedisUrl nowhere = m_server->url();
        nowhere.port = 1; // nothing listens on port 1
        RedisClient lonely(nowhere);
        lonely.setReconnectPolicy(1000, 1000, 0);
        QSignalSpy errors(&lonely, &RedisClient::errorOccurred);
        lonely.connectToServer();
        QVERIFY(errors.wait(5000));
        QVERIFY2(errors.first().first().toString().contains(QLatin1String("cannot connect")),
            qPrintable(errors.first().first().toString()));
        const std::optional<RedisReply> r = call(lonely, { "PING" }, 1000);
        QVERIFY(r && r->isClientError());
        QVERIFY2(r->errorMessage().contains(QLatin1String("cannot connect")), qPrintable(r->errorMessage()));
    }

    void serverKilledThenRestarted()
    {
        TestRedisServer server;
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        auto client = connected(server.url());
        QVERIFY(client);
        client->setReconnectPolicy(50, 300, 0.2);
        QSignalSpy down(client.get(), &RedisClient::disconnected);
        QSignalSpy up(client.get(), &RedisClient::connected);

        // One command the server holds (BLPOP); the PINGs queue behind it,
        // so all five are pending when the server dies.
        int failures = 0;
        int calls = 0;
        QStringList messages;
        for (int i = 0; i < 5; ++i) {
            const RedisCommand cmd = i == 0 ? RedisCommand { "BLPOP", "never", "0" } : RedisCommand { "PING" };
            client->command(cmd, [&](const RedisReply &r) {
                ++calls;
                if (r.isClientError()) {
                    ++failures;
                    messages << r.errorMessage();
                }
            });
        }
        QCOMPARE(client->pendingCount(), 5);
        QTRY_VERIFY_WITH_TIMEOUT(server.syncString({ "INFO", "clients" }).contains("blocked_clients:1"), 5000);

        server.kill();
        QTRY_COMPARE_WITH_TIMEOUT(calls, 5, 5000);
        QCOMPARE(failures, 5);
        QCOMPARE(client->pendingCount(), 0);
        QVERIFY2(messages.first().contains(QLatin1String("lost")), qPrintable(messages.first()));
        QVERIFY(down.count() >= 1);
        QVERIFY(!client->isConnected());

        const std::optional<RedisReply> r = call(*client, { "PING" });
        QVERIFY(r && r->isClientError());

        QVERIFY2(server.restart(&error), qPrintable(error));
        QVERIFY(up.wait(5000) || client->isConnected());
        QCOMPARE(*call(*client, { "PING" }), RedisReply::status("PONG"));
    }

    void pausedServerTimesOut()
    {
        TestRedisServer server;
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        auto client = connected(server.url());
        QVERIFY(client);
        client->setCommandTimeout(300);
        client->setConnectTimeout(300);
        client->setReconnectPolicy(50, 200, 0.2);
        QCOMPARE(client->commandTimeout(), 300);
        QSignalSpy errors(client.get(), &RedisClient::errorOccurred);
        QSignalSpy up(client.get(), &RedisClient::connected);

        server.pause();
        auto resume = qScopeGuard([&server] { server.resume(); });
        QList<RedisReply> replies;
        QElapsedTimer clock;
        clock.start();
        for (int i = 0; i < 5; ++i)
            client->command({ "PING" }, [&replies](const RedisReply &r) { replies.append(r); });
        QTRY_COMPARE_WITH_TIMEOUT(replies.size(), 5, 3000);
        QVERIFY(clock.elapsed() < 2000);
        for (const RedisReply &r : std::as_const(replies)) {
            QVERIFY(r.isClientError());
            QVERIFY2(r.errorMessage().contains(QLatin1String("timed out after 300 ms")), qPrintable(r.errorMessage()));
        }
        QVERIFY(!client->isConnected());

        // Reconnect attempts to the stopped server: TCP connects (the kernel
        // accepts), the handshake gets no answer, the connect timeout fires.
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(errors.cbegin(), errors.cend(),
                                     [](const QList<QVariant> &args) {
                                         return args.first().toString().contains(QLatin1String("connecting to"));
                                     }),
            5000);

        server.resume();
        QTRY_VERIFY_WITH_TIMEOUT(client->isConnected(), 5000);
        QCOMPARE(*call(*client, { "PING" }), RedisReply::status("PONG"));
    }

    void disconnectFromServerFailsPending()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        QSignalSpy down(client.get(), &RedisClient::disconnected);
        std::optional<RedisReply> reply;
        client->command({ "BLPOP", "never", "0" }, [&reply](const RedisReply &r) { reply = r; });
        client->disconnectFromServer();
        QVERIFY(reply && reply->isClientError());
        QCOMPARE(client->state(), RedisClient::State::Disconnected);
        QCOMPARE(down.count(), 1);
        QTest::qWait(0);
        QCOMPARE(client->state(), RedisClient::State::Disconnected); // no reconnect by itself
    }

    void contextDestroyedDropsCallback()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        bool called = false;
        auto *context = new QObject;
        client->command({ "PING" }, context, [&called](const RedisReply &) { called = true; });
        delete context;
        // A later command's reply proves the earlier one was read too.
        QCOMPARE(*call(*client, { "PING" }), RedisReply::status("PONG"));
        QVERIFY(!called);

        // Same for the not-connected path.
        RedisClient offline(m_server->url());
        auto *context2 = new QObject;
        offline.command({ "PING" }, context2, [&called](const RedisReply &) { called = true; });
        delete context2;
        bool later = false;
        offline.command({ "PING" }, [&later](const RedisReply &) { later = true; });
        QTRY_VERIFY_WITH_TIMEOUT(later, 1000);
        QVERIFY(!called);
    }

    void transaction()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        std::optional<RedisReply> exec;
        client->transaction(
            { { "SET", "t", "1" }, { "INCR", "t" }, { "GET", "t" } }, this, [&exec](const RedisReply &r) { exec = r; });
        QTRY_VERIFY_WITH_TIMEOUT(exec.has_value(), 5000);
        QCOMPARE(
            *exec, RedisReply::array({ RedisReply::status("OK"), RedisReply::integer(2), RedisReply::string("2") }));

        // A command the server refuses to queue aborts the whole transaction.
        exec.reset();
        client->transaction(
            { { "SET", "t", "5" }, { "SET", "only-key" } }, this, [&exec](const RedisReply &r) { exec = r; });
        QTRY_VERIFY_WITH_TIMEOUT(exec.has_value(), 5000);
        QVERIFY(exec->isError());
        QVERIFY2(exec->errorMessage().contains(QLatin1String("EXECABORT")), qPrintable(exec->errorMessage()));
        QCOMPARE(m_server->syncString({ "GET", "t" }), QByteArray("2"));

        // A runtime error stays inside the EXEC array.
        exec.reset();
        client->transaction({ { "SET", "w", "x" }, { "INCR", "w" } }, this, [&exec](const RedisReply &r) { exec = r; });
        QTRY_VERIFY_WITH_TIMEOUT(exec.has_value(), 5000);
        QVERIFY(exec->isArray());
        QCOMPARE(exec->size(), 2);
        QVERIFY(exec->at(1).isError());
        QCOMPARE(*call(*client, { "PING" }), RedisReply::status("PONG"));
    }

    void watchTransactionRetriesAndHoldsOthers()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        m_server->syncString({ "SET", "balance", "10" });

        int builds = 0;
        QStringList events;
        std::optional<RedisReply> result;
        int attempts = 0;
        client->watchTransaction(
            { "balance" }, { { "GET", "balance" } },
            [&](const QList<RedisReply> &reads) -> QList<RedisCommand> {
                ++builds;
                // Another client changes the watched key inside the window
                // on the first attempt only: EXEC must fail once, then pass.
                if (builds == 1)
                    m_server->syncString({ "INCRBY", "balance", "5" });
                const qint64 value = reads.first().toInteger();
                return { { "SET", "balance", QByteArray::number(value + 1) } };
            },
            5, this,
            [&](const RedisReply &r, int n) {
                result = r;
                attempts = n;
                events << QStringLiteral("done");
            });
        // Issued while the transaction runs: must wait until after EXEC, or
        // it would itself touch the watched key and force more retries.
        client->command(
            { "SET", "balance", "999" }, [&events](const RedisReply &) { events << QStringLiteral("set"); });
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 2, 5000);

        QCOMPARE(events, QStringList({ QStringLiteral("done"), QStringLiteral("set") }));
        QCOMPARE(attempts, 2);
        QCOMPARE(builds, 2);
        QVERIFY(result && result->isArray());
        QCOMPARE(*result, RedisReply::array({ RedisReply::status("OK") }));
        QCOMPARE(m_server->syncString({ "GET", "balance" }), QByteArray("999"));
    }

    void watchTransactionGivesUp()
    {
        auto client = connected(m_server->url());
        QVERIFY(client);
        m_server->syncString({ "SET", "hot", "0" });
        std::optional<RedisReply> result;
        int attempts = 0;
        client->watchTransaction(
            { "hot" }, { { "GET", "hot" } },
            [this](const QList<RedisReply> &) -> QList<RedisCommand> {
                m_server->syncString({ "INCR", "hot" }); // always loses the race
                return { { "SET", "hot", "mine" } };
            },
            3, this,
            [&](const RedisReply &r, int n) {
                result = r;
                attempts = n;
            });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 5000);
        QVERIFY(result->isNil());
        QCOMPARE(attempts, 3);
        QCOMPARE(m_server->syncString({ "GET", "hot" }), QByteArray("3"));

        // build() returning nothing aborts: Nil after one attempt, and the
        // connection is left without a WATCH (a later EXEC-free SET works).
        result.reset();
        client->watchTransaction(
            { "hot" }, {}, [](const QList<RedisReply> &) { return QList<RedisCommand>(); }, 3, this,
            [&](const RedisReply &r, int n) {
                result = r;
                attempts = n;
            });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 5000);
        QVERIFY(result->isNil());
        QCOMPARE(attempts, 1);
        std::optional<RedisReply> exec;
        client->transaction({ { "SET", "hot", "ok" } }, this, [&exec](const RedisReply &r) { exec = r; });
        m_server->syncString({ "SET", "hot", "changed-by-other" }); // would break a stale WATCH
        QTRY_VERIFY_WITH_TIMEOUT(exec.has_value(), 5000);
        QCOMPARE(*exec, RedisReply::array({ RedisReply::status("OK") }));
    }
};

QTEST_GUILESS_MAIN(TestRedisClient)
#include "tst_redisclient.moc"
