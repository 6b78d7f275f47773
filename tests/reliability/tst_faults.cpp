// Redis faults under a running ProductService, for every strategy:
//  - SIGKILL in the middle of a mixed workload: no crash, every callback
//    pending at the kill completes (with an error or a degraded SQLite
//    answer) within 1 s, reads keep working from SQLite, writes made during
//    the outage are not lost, and within 2 s of the server's return the
//    client is connected again, the invalidation channel is subscribed
//    again, deferred invalidations are applied and no stale product hash
//    survives (AOF is on, so the pre-crash hashes do come back);
//  - SIGSTOP for 5 s: calls end with a clear timeout error or a degraded
//    answer instead of piling up, the event loop never stalls, and
//    everything recovers on SIGCONT;
//  - the subscriber connection killed by CLIENT KILL TYPE pubsub, or by
//    its output buffer limit: detected and resubscribed.
#include "awaitcallback.h"
#include "cachefixture.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "redissubscriber.h"
#include "testredisserver.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

using TestSupport::await;

namespace {

constexpr int Products = 20;

// The repository, client and service of one test, torn down in that order.
using Harness = CacheTest::Env;

std::unique_ptr<Harness> makeHarness(const TestRedisServer &redis, StrategyKind strategy)
{
    auto h = std::make_unique<Harness>();
    h->repo = std::make_unique<ProductRepository>(h->dir.filePath(QStringLiteral("p.db")));
    h->repo->setChangePollInterval(50);
    auto r = await<StoreResult>([&](QObject *c, StoreCallback cb) { h->repo->open(c, cb); });
    if (!r || !r->ok())
        return nullptr;
    for (int i = 1; i <= Products; ++i) {
        r = await<StoreResult>(
            [&](QObject *c, StoreCallback cb) { h->repo->create(QStringLiteral("p%1 v1").arg(i), i, c, cb); });
        if (!r || !r->ok())
            return nullptr;
    }
    h->client = std::make_unique<RedisClient>(redis.url());
    h->client->setReconnectPolicy(20, 200, 0.1);
    h->client->setCommandTimeout(800);
    h->client->setConnectTimeout(800);
    QSignalSpy up(h->client.get(), &RedisClient::connected);
    h->client->connectToServer();
    if (!up.wait(5000))
        return nullptr;
    h->service = std::make_unique<ProductService>(h->client.get(), h->repo.get());
    h->service->setStrategy(strategy);
    CacheSettings s = h->service->settings();
    s.writeBehindFlushIntervalMs = 50;
    h->service->setSettings(s);
    if (!QTest::qWaitFor([&] { return h->service->isCacheAvailable(); }, 5000))
        return nullptr;
    return h;
}

QByteArray describe(const std::optional<ServiceResult> &r)
{
    if (!r)
        return "no callback";
    return (serviceStatusName(r->status) + QStringLiteral(": ") + r->error).toUtf8();
}

// A mixed workload that keeps `inflight` calls running and remembers when
// each started, so a test can ask how long the oldest has been waiting.
class Workload final : public QObject
{
public:
    Workload(ProductService &service, int inflight)
        : m_service(service)
        , m_inflight(inflight)
    { }
    void start()
    {
        m_running = true;
        while (m_pending.size() < m_inflight)
            issue();
    }
    void stop() { m_running = false; }
    int pending() const { return int(m_pending.size()); }
    /// Calls started before `t` (ms on clock()) and still open.
    int openSince(qint64 t) const
    {
        int n = 0;
        for (const qint64 started : m_pending)
            n += started < t ? 1 : 0;
        return n;
    }
    qint64 now() const { return m_clock.elapsed(); }
    int completed = 0;
    int errors = 0;
    int ok = 0;
    qint64 slowest = 0;

private:
    void issue()
    {
        const quint64 key = ++m_next;
        m_pending.insert(key, m_clock.elapsed());
        const qint64 id = 1 + qint64(m_rng.bounded(Products));
        auto done = [this, key](const ServiceResult &r) {
            slowest = qMax(slowest, m_clock.elapsed() - m_pending.value(key));
            m_pending.remove(key);
            ++completed;
            (r.status == ServiceStatus::Ok || r.status == ServiceStatus::NotFound ? ok : errors) += 1;
            if (m_running)
                QTimer::singleShot(0, this, [this] {
                    if (m_running && m_pending.size() < m_inflight)
                        issue();
                });
        };
        if (m_rng.bounded(3) == 0)
            m_service.update(id, QStringLiteral("w%1").arg(key), qint64(key), 0, this, done);
        else
            m_service.get(id, this, done);
    }

    ProductService &m_service;
    int m_inflight;
    bool m_running = false;
    quint64 m_next = 0;
    QHash<quint64, qint64> m_pending;
    QElapsedTimer m_clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    QRandomGenerator m_rng { 1234 };
};

// Largest gap between 10 ms ticks: how long the event loop was blocked.
class StallMeter final : public QObject
{
public:
    StallMeter()
    {
        m_clock.start();
        connect(&m_timer, &QTimer::timeout, this, [this] { m_worst = qMax(m_worst, m_clock.restart()); });
        m_timer.start(10);
    }
    qint64 worst() const { return m_worst; }
    /// Forget gaps caused by the test's own blocking helpers (kill, restart).
    void reset()
    {
        m_worst = 0;
        m_clock.restart();
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_worst = 0;
};

} // namespace

class TestFaults final : public QObject
{
    Q_OBJECT

private slots:
    void sigkillUnderWorkload_data()
    {
        QTest::addColumn<StrategyKind>("strategy");
        for (StrategyKind k : { StrategyKind::None, StrategyKind::CacheAside, StrategyKind::ReadThrough,
                 StrategyKind::WriteThrough, StrategyKind::WriteBehind })
            QTest::newRow(qPrintable(strategyName(k))) << k;
    }

    void sigkillUnderWorkload()
    {
        QFETCH(StrategyKind, strategy);
        TestRedisServer redis;
        redis.setExtraConfig({ QStringLiteral("appendonly yes"), QStringLiteral("appendfsync always") });
        QString error;
        QVERIFY2(redis.start(&error), qPrintable(error));
        auto h = makeHarness(redis, strategy);
        QVERIFY(h);
        ProductService &service = *h->service;

        // Warm product 1 into the cache (a hash that AOF brings back).
        auto r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(1, c, cb); });
        QVERIFY2(r && r->ok(), describe(r).constData());
        r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(1, c, cb); });
        QVERIFY2(r && r->ok(), describe(r).constData());
        const bool caches = strategy != StrategyKind::None;
        if (caches)
            QTRY_VERIFY_WITH_TIMEOUT(redis.syncInteger({ "EXISTS", "product:1" }) == 1, 3000);
        if (strategy == StrategyKind::WriteBehind) {
            r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) {
                service.update(2, QStringLiteral("acked before kill"), 7, 0, c, cb);
            });
            QVERIFY2(r && r->ok(), describe(r).constData());
        }

        Workload work(service, 8);
        StallMeter stall;
        work.start();
        QTRY_VERIFY_WITH_TIMEOUT(work.completed >= 100, 10000);

        const qint64 killedAt = work.now();
        redis.kill();
        stall.reset();
        // Every call pending at the kill is answered within 1 s.
        QTRY_VERIFY_WITH_TIMEOUT(work.openSince(killedAt + 1) == 0, 1000);
        QTRY_VERIFY_WITH_TIMEOUT(!service.isCacheAvailable(), 1000);
        work.stop();
        QTRY_COMPARE_WITH_TIMEOUT(work.pending(), 0, 2000);

        // Degraded: reads come from SQLite.
        r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(3, c, cb); }, 2000);
        QVERIFY2(r && r->ok() && !r->fromCache, describe(r).constData());
        // Writes during the outage: committed (and invalidation deferred),
        // or, under write-behind, refused with Unavailable and not applied.
        r = await<ServiceResult>(
            [&](QObject *c, ServiceCallback cb) {
                service.update(1, QStringLiteral("changed during outage"), 99, 0, c, cb);
            },
            2000);
        QVERIFY(r);
        if (strategy == StrategyKind::WriteBehind) {
            QCOMPARE(r->status, ServiceStatus::Unavailable);
            QVERIFY(r->error.contains(QLatin1String("Redis is unreachable")));
        } else {
            QVERIFY2(r->ok(), describe(r).constData());
        }

        // Redis returns (AOF: the old product:1 hash returns with it).
        QElapsedTimer back;
        QVERIFY2(redis.restart(&error), qPrintable(error));
        back.start();
        stall.reset();
        QTRY_VERIFY_WITH_TIMEOUT(h->client->isConnected() && service.isCacheAvailable(), 2000);
        QTRY_VERIFY_WITH_TIMEOUT(service.pendingInvalidations().isEmpty(), 2000);
        QTRY_VERIFY_WITH_TIMEOUT(redis.syncList({ "PUBSUB", "NUMSUB", "cachelab:invalidate" }).value(1) == "1", 2000);
        QVERIFY2(back.elapsed() <= 2500, qPrintable(QString::number(back.elapsed())));

        // No stale entry: the cache never answers the pre-outage name.
        if (strategy != StrategyKind::WriteBehind) {
            const QByteArray cached = redis.syncString({ "HGET", "product:1", "name" });
            QVERIFY2(cached.isEmpty() || cached == "changed during outage", cached.constData());
            r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(1, c, cb); });
            QVERIFY2(r && r->ok(), describe(r).constData());
            QCOMPARE(r->product->name, QStringLiteral("changed during outage"));
        } else {
            // The write acknowledged before the kill reaches SQLite.
            QTRY_VERIFY_WITH_TIMEOUT(service.queueDepth() == 0, 5000);
            const auto row = await<StoreResult>([&](QObject *c, StoreCallback cb) { h->repo->get(2, c, cb); });
            QVERIFY(row && row->product);
            // The workload may have written product 2 again after the ack.
            QVERIFY(row->product->version >= 2);
        }
        r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(4, c, cb); });
        QVERIFY2(r && r->ok(), describe(r).constData());
        QVERIFY2(stall.worst() < 200, qPrintable(QStringLiteral("event loop stalled %1 ms").arg(stall.worst())));
        qInfo("%s: %d calls (%d ok, %d failed), slowest %lld ms, worst stall %lld ms, back in %lld ms",
            qPrintable(strategyName(strategy)), work.completed, work.ok, work.errors, work.slowest, stall.worst(),
            back.elapsed());
    }

    void sigstopFiveSeconds()
    {
        TestRedisServer redis;
        QString error;
        QVERIFY2(redis.start(&error), qPrintable(error));
        auto h = makeHarness(redis, StrategyKind::CacheAside);
        QVERIFY(h);
        ProductService &service = *h->service;
        Workload work(service, 8);
        StallMeter stall;
        work.start();
        QTRY_VERIFY_WITH_TIMEOUT(work.completed >= 50, 10000);

        redis.pause();
        stall.reset();
        const qint64 pausedAt = work.now();
        // Nothing piles up: a command can only stay pending until the command
        // timeout ends the connection, so at any moment of the pause the
        // pending commands are at most those pending when it began plus those
        // sent within the first timeout (and a margin for the timer). Were the
        // timeout not enforced, reads would keep answering from SQLite at the
        // read deadline, keep sending, and the count would pass that by far.
        const int pendingAtPause = h->client->pendingCount();
        const quint64 sentAtPause = h->client->commandsSent();
        const int window = h->client->commandTimeout() + 400;
        qint64 sentInWindow = -1;
        int maxRedisPending = 0;
        int maxPendingAfterWindow = 0;
        QElapsedTimer paused;
        paused.start();
        bool reportedTimeout = false;
        connect(h->client.get(), &RedisClient::errorOccurred, this,
            [&](const QString &m) { reportedTimeout = reportedTimeout || m.contains(QLatin1String("timed out")); });
        // Five seconds stopped; meanwhile nothing waits longer than the
        // command timeout plus a margin.
        while (paused.elapsed() < 5000) {
            QTest::qWait(50);
            const int pending = h->client->pendingCount();
            maxRedisPending = qMax(maxRedisPending, pending);
            if (paused.elapsed() >= window) {
                if (sentInWindow < 0)
                    sentInWindow = qint64(h->client->commandsSent() - sentAtPause);
                else
                    maxPendingAfterWindow = qMax(maxPendingAfterWindow, pending);
            }
            QVERIFY2(work.openSince(work.now() - 2000) == 0, "a call waited more than 2 s");
        }
        QVERIFY(reportedTimeout);
        QVERIFY(sentInWindow >= 0);
        const qint64 bound = pendingAtPause + sentInWindow;
        QVERIFY2(maxPendingAfterWindow <= bound,
            qPrintable(QStringLiteral("%1 pending after the first %2 ms, bound %3 (%4 pending at the pause + %5 sent "
                                      "in that time)")
                           .arg(maxPendingAfterWindow)
                           .arg(window)
                           .arg(bound)
                           .arg(pendingAtPause)
                           .arg(sentInWindow)));
        QVERIFY(work.completed > 100); // degraded answers kept flowing
        redis.resume();
        QTRY_VERIFY_WITH_TIMEOUT(h->client->isConnected() && service.isCacheAvailable(), 3000);
        const int before = work.completed;
        QTRY_VERIFY_WITH_TIMEOUT(work.completed > before + 50, 5000);
        work.stop();
        QTRY_COMPARE_WITH_TIMEOUT(work.pending(), 0, 3000);
        auto r = await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(5, c, cb); });
        QVERIFY(r && r->ok());
        QVERIFY2(stall.worst() < 200, qPrintable(QStringLiteral("event loop stalled %1 ms").arg(stall.worst())));
        qInfo("SIGSTOP 5 s: %d calls, slowest %lld ms, at most %d Redis commands pending (%d after the first %d ms, "
              "bound %lld), worst stall %lld ms (paused at %lld)",
            work.completed, work.slowest, maxRedisPending, maxPendingAfterWindow, window, bound, stall.worst(),
            pausedAt);
    }

    void subscriberKilledAndResubscribed()
    {
        TestRedisServer redis;
        redis.setExtraConfig({ QStringLiteral("client-output-buffer-limit pubsub 64kb 32kb 60") });
        QString error;
        QVERIFY2(redis.start(&error), qPrintable(error));
        RedisSubscriber subscriber(redis.url());
        subscriber.setReconnectPolicy(20, 200, 0.1);
        QSignalSpy up(&subscriber, &RedisSubscriber::connected);
        QSignalSpy down(&subscriber, &RedisSubscriber::disconnected);
        QSignalSpy resubscribed(&subscriber, &RedisSubscriber::resubscribed);
        QSignalSpy messages(&subscriber, &RedisSubscriber::message);
        QSignalSpy subscribed(&subscriber, &RedisSubscriber::subscribed);
        subscriber.subscribe("chan");
        subscriber.psubscribe("pat:*");
        subscriber.connectToServer();
        QVERIFY(up.wait(5000));
        QTRY_COMPARE_WITH_TIMEOUT(subscribed.size(), 2, 3000);

        // 1. CLIENT KILL TYPE pubsub.
        QVERIFY(redis.syncInteger({ "CLIENT", "KILL", "TYPE", "pubsub" }) >= 1);
        QTRY_VERIFY_WITH_TIMEOUT(down.size() == 1, 2000);
        QTRY_VERIFY_WITH_TIMEOUT(resubscribed.size() == 1, 2000);
        QTRY_VERIFY_WITH_TIMEOUT(redis.syncInteger({ "PUBLISH", "chan", "after-kill" }) == 1, 2000);
        QTRY_VERIFY_WITH_TIMEOUT(!messages.isEmpty() && messages.last().at(1).toByteArray() == "after-kill", 2000);

        // 2. Output buffer limit: one message larger than the hard limit.
        redis.syncInteger({ "PUBLISH", "chan", QByteArray(256 * 1024, 'x') });
        QTRY_VERIFY_WITH_TIMEOUT(down.size() == 2, 3000);
        QTRY_VERIFY_WITH_TIMEOUT(resubscribed.size() == 2, 3000);
        QTRY_VERIFY_WITH_TIMEOUT(redis.syncInteger({ "PUBLISH", "pat:1", "after-limit" }) == 1, 2000);
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
