// RedisConnection::encode writes RESP by hand (it is on every command's
// path). It must produce exactly the bytes hiredis's own encoder
// (redisFormatCommandArgv) produces, for every shape of argument, and a real
// redis-server must read them back unchanged.
#include "redisclient.h"
#include "redisconnection.h"
#include "testredisserver.h"

#include <QtTest>

#include <hiredis/hiredis.h>

namespace {
QByteArray hiredisEncode(const RedisCommand &args)
{
    std::vector<const char *> argv;
    std::vector<size_t> lens;
    for (const QByteArray &a : args) {
        argv.push_back(a.constData());
        lens.push_back(size_t(a.size()));
    }
    char *out = nullptr;
    const int n = redisFormatCommandArgv(&out, int(args.size()), argv.data(), lens.data());
    const QByteArray bytes(out, n);
    free(out);
    return bytes;
}
} // namespace

class TestRedisEncode final : public QObject
{
    Q_OBJECT

private slots:
    void sameBytesAsHiredis_data()
    {
        QTest::addColumn<RedisCommand>("args");
        QTest::newRow("one word") << RedisCommand { "PING" };
        QTest::newRow("empty argument") << RedisCommand { "SET", "k", "" };
        QTest::newRow("binary") << RedisCommand { "SET", QByteArray("a\0b\r\nc", 6), QByteArray(1, '\0') };
        RedisCommand many { "RPUSH", "list" };
        for (int i = 0; i < 120; ++i)
            many << QByteArray::number(i * 7919);
        QTest::newRow("120 arguments") << many;
        QTest::newRow("9 and 10 byte lengths") << RedisCommand { "SET", "123456789", "1234567890" };
        QTest::newRow("1 MB value") << RedisCommand { "SET", "big", QByteArray(1 << 20, 'x') };
    }

    void sameBytesAsHiredis()
    {
        QFETCH(RedisCommand, args);
        QCOMPARE(RedisConnection::encode(args), hiredisEncode(args));
    }

    void emptyCommandIsEmpty() { QVERIFY(RedisConnection::encode({}).isEmpty()); }

    // The same arguments through a real server come back byte for byte.
    void roundTripsThroughRedis()
    {
        TestRedisServer server;
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        RedisClient client(server.url());
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(10000));
        const QByteArray value = QByteArray("\0\r\n$3\r\n", 8) + QByteArray(100000, 'v');
        std::optional<RedisReply> set, get;
        client.command({ "SET", "enc:key", value }, this, [&](const RedisReply &r) { set = r; });
        client.command({ "GET", "enc:key" }, this, [&](const RedisReply &r) { get = r; });
        QVERIFY(QTest::qWaitFor([&] { return get.has_value(); }, 10000));
        QCOMPARE(set->bytes(), QByteArray("OK"));
        QCOMPARE(get->bytes(), value);
    }
};

QTEST_GUILESS_MAIN(TestRedisEncode)
#include "tst_redisencode.moc"
