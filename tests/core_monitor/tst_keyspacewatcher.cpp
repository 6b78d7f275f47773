// Tests for KeyspaceWatcher against a real redis-server: typed events for
// set, hset, lpush, del, expire/expired and evicted, in keyspace and
// keyevent mode, the event filter, batching, and enabling notifications.
#include "keyspacewatcher.h"
#include "redisclient.h"
#include "testredisserver.h"

#include <QtTest>

namespace {
constexpr int WaitMs = 10000;

bool hasEvent(const QSignalSpy &spy, const QString &event, const QByteArray &key)
{
    for (const auto &args : spy) {
        const auto e = args.first().value<KeyspaceEvent>();
        if (e.event == event && e.key == key)
            return true;
    }
    return false;
}
} // namespace

class TestKeyspaceWatcher final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<TestRedisServer>();
        QString error;
        QVERIFY2(m_server->start(&error), qPrintable(error));
        // Off at first: enableNotifications() switches it on below.
        QCOMPARE(m_server->syncList({ "CONFIG", "GET", "notify-keyspace-events" }).value(1), QByteArray(""));
        RedisClient client(m_server->url());
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(WaitMs));
        std::optional<bool> ok;
        KeyspaceWatcher::enableNotifications(&client, this, [&](bool success, const QString &) { ok = success; });
        QTRY_VERIFY_WITH_TIMEOUT(ok.has_value(), WaitMs);
        QVERIFY(*ok);
        const QByteArray flags = m_server->syncList({ "CONFIG", "GET", "notify-keyspace-events" }).value(1);
        QVERIFY2(flags.contains('K') && flags.contains('E'), flags.constData());
    }

    void init() { m_server->syncString({ "FLUSHALL" }); }
    void cleanupTestCase() { m_server.reset(); }

    void keyspaceEvents()
    {
        KeyspaceWatcher w(m_server->url());
        w.setKeyPattern("product:*");
        QCOMPARE(w.channelPattern(), QByteArray("__keyspace@0__:product:*"));
        QSignalSpy subscribed(&w, &KeyspaceWatcher::subscribed);
        QSignalSpy events(&w, &KeyspaceWatcher::eventReceived);
        QSignalSpy batches(&w, &KeyspaceWatcher::eventsBatched);
        w.start();
        QVERIFY(subscribed.wait(WaitMs));

        m_server->syncInteger({ "HSET", "product:1", "name", "x" });
        m_server->syncString({ "SET", "product:2", "v" });
        m_server->syncInteger({ "PEXPIRE", "product:1", "50" });
        m_server->syncInteger({ "DEL", "product:2" });
        m_server->syncInteger({ "LPUSH", "recent_products", "1" }); // outside the pattern
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(events, QStringLiteral("expired"), "product:1"), WaitMs);
        QVERIFY(hasEvent(events, QStringLiteral("hset"), "product:1"));
        QVERIFY(hasEvent(events, QStringLiteral("set"), "product:2"));
        QVERIFY(hasEvent(events, QStringLiteral("expire"), "product:1"));
        QVERIFY(hasEvent(events, QStringLiteral("del"), "product:2"));
        QVERIFY(!hasEvent(events, QStringLiteral("lpush"), "recent_products"));
        const auto first = events.first().first().value<KeyspaceEvent>();
        QCOMPARE(first.db, 0);
        QVERIFY(first.timestamp.isValid());
        QCOMPARE(first.timestamp.timeSpec(), Qt::UTC);
        QTRY_VERIFY_WITH_TIMEOUT(!batches.isEmpty(), WaitMs);
        qsizetype batched = 0;
        for (const auto &args : std::as_const(batches))
            batched += args.first().value<QList<KeyspaceEvent>>().size();
        QTRY_COMPARE_WITH_TIMEOUT(
            [&] {
                qsizetype n = 0;
                for (const auto &args : std::as_const(batches))
                    n += args.first().value<QList<KeyspaceEvent>>().size();
                return n;
            }(),
            qsizetype(events.count()), WaitMs);
        QCOMPARE(w.eventsSeen(), quint64(events.count()));
        w.stop();
    }

    // A burst goes out in slices of at most MaxBatchEvents, each in its own
    // event-loop turn, without waiting for the tick (here a minute away).
    void burstIsHandedOverInSlices()
    {
        KeyspaceWatcher w(m_server->url());
        w.setMode(KeyspaceWatcher::Mode::Keyevent);
        w.setEventFilter({ QStringLiteral("set") });
        w.setBatchInterval(60000);
        QSignalSpy subscribed(&w, &KeyspaceWatcher::subscribed);
        QSignalSpy batches(&w, &KeyspaceWatcher::eventsBatched);
        w.start();
        QVERIFY(subscribed.wait(WaitMs));
        const int total = int(KeyspaceWatcher::MaxBatchEvents) * 3 + 100;
        // One blocking call that sets them all: the watcher's socket fills
        // while this thread does not run the event loop, so one turn can read it all.
        m_server->syncString({ "EVAL", "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'burst:' .. i, 'v') end", "0",
            QByteArray::number(total) });
        const auto delivered = [&] {
            qsizetype n = 0;
            for (const auto &args : std::as_const(batches))
                n += args.first().value<QList<KeyspaceEvent>>().size();
            return n;
        };
        QTRY_VERIFY_WITH_TIMEOUT(delivered() >= qsizetype(KeyspaceWatcher::MaxBatchEvents) * 3, WaitMs);
        QVERIFY(batches.count() >= 3);
        for (const auto &args : std::as_const(batches))
            QVERIFY(args.first().value<QList<KeyspaceEvent>>().size() <= KeyspaceWatcher::MaxBatchEvents);
        // The remainder (under a slice) waits for the tick, or for stop().
        w.stop();
        QCOMPARE(delivered(), qsizetype(total));
        QCOMPARE(batches.first().first().value<QList<KeyspaceEvent>>().first().key, QByteArray("burst:1"));
    }

    void keyeventModeAndFilter()
    {
        KeyspaceWatcher w(m_server->url());
        w.setMode(KeyspaceWatcher::Mode::Keyevent);
        w.setEventFilter({ QStringLiteral("lpush"), QStringLiteral("del") });
        w.setBatchInterval(0);
        QCOMPARE(w.channelPattern(), QByteArray("__keyevent@0__:*"));
        QSignalSpy subscribed(&w, &KeyspaceWatcher::subscribed);
        QSignalSpy events(&w, &KeyspaceWatcher::eventReceived);
        w.start();
        QVERIFY(subscribed.wait(WaitMs));
        m_server->syncString({ "SET", "a", "1" });
        m_server->syncInteger({ "LPUSH", "recent_products", "7" });
        m_server->syncInteger({ "DEL", "a" });
        QTRY_COMPARE_WITH_TIMEOUT(events.count(), 2, WaitMs);
        QVERIFY(hasEvent(events, QStringLiteral("lpush"), "recent_products"));
        QVERIFY(hasEvent(events, QStringLiteral("del"), "a"));
    }

    void evictedEvents()
    {
        KeyspaceWatcher w(m_server->url());
        w.setEventFilter({ QStringLiteral("evicted") });
        QSignalSpy subscribed(&w, &KeyspaceWatcher::subscribed);
        QSignalSpy events(&w, &KeyspaceWatcher::eventReceived);
        w.start();
        QVERIFY(subscribed.wait(WaitMs));
        qint64 used = 0;
        for (const QByteArray &line : m_server->syncString({ "INFO", "memory" }).split('\n')) {
            if (line.startsWith("used_memory:"))
                used = line.mid(12).trimmed().toLongLong();
        }
        QVERIFY(used > 0);
        m_server->syncString({ "CONFIG", "SET", "maxmemory-policy", "allkeys-lru" });
        m_server->syncString({ "CONFIG", "SET", "maxmemory", QByteArray::number(used + 512 * 1024) });
        const QByteArray blob(4096, 'x');
        for (int i = 0; i < 400 && events.isEmpty(); ++i)
            m_server->syncString({ "SET", "filler:" + QByteArray::number(i), blob });
        QTRY_VERIFY_WITH_TIMEOUT(!events.isEmpty(), WaitMs);
        QCOMPARE(events.first().first().value<KeyspaceEvent>().event, QStringLiteral("evicted"));
        m_server->syncString({ "CONFIG", "SET", "maxmemory", "0" });
        m_server->syncString({ "CONFIG", "SET", "maxmemory-policy", "noeviction" });
    }
};

QTEST_MAIN(TestKeyspaceWatcher)
#include "tst_keyspacewatcher.moc"
