// wb-accept: write-behind acknowledgements per second (see wbaccept.h).
#include "wbaccept.h"

#include "benchloop.h"
#include "benchserver.h"
#include "cachekeys.h"
#include "productservice.h"
#include "writebehindqueue.h"
#include "wbscript.h"

#include <algorithm>
#include <QDir>
#include <QElapsedTimer>
#include <vector>

QString WbAcceptScenario::description() const
{
    return QStringLiteral("N write-behind update() calls, 64 in flight, until all acknowledged | one raw wb-write "
                          "call per write, 64 in flight");
}

bool WbAcceptScenario::setUp(const BenchContext &ctx, QString *error)
{
    m_ctx = ctx;
    if (!m_fixture.openDatabase(QDir(ctx.workDir).filePath(QStringLiteral("wbaccept.sqlite")), ids(), error))
        return false;
    m_fixture.setSettingsOverride(ctx.settings);
    if (!m_fixture.startService(ctx.server->url(), StrategyKind::WriteBehind, error))
        return false;
    m_fixture.applySettings([](CacheSettings &s) {
        s.ttlSeconds = 3600;
        s.writeBehindBatchSize = 1000;
        s.writeBehindFlushIntervalMs = 10;
    });
    // Every id cached, so a write takes its version from the hash (the
    // ceiling passes SQLite's version instead): the same script work.
    for (qint64 id = 1; id <= ids(); ++id) {
        if (!m_fixture.getOnce(id, nullptr, error))
            return false;
    }
    return true;
}

Evaluation WbAcceptScenario::evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const
{
    Evaluation e = Scenario::evaluate(baseline, cachelab);
    for (const QString &key : { QStringLiteral("save_p50_us"), QStringLiteral("save_p99_us") }) {
        QList<double> values;
        for (const Sample &s : cachelab) {
            if (s.ok && s.extra.contains(key))
                values << s.extra.value(key).toDouble();
        }
        e.fields.insert(key, medianOf(values));
    }
    e.notes << QStringLiteral("save p50 %1 us with %2 in flight")
                   .arg(e.fields.value(QStringLiteral("save_p50_us")).toDouble(), 0, 'f', 0)
                   .arg(Window);
    return e;
}

void WbAcceptScenario::tearDown()
{
    m_fixture.shutdown();
}

Sample WbAcceptScenario::runBaseline(int)
{
    QString error;
    const double rate = WbScript::rawCeiling(
        m_ctx.server, CacheKeys(QStringLiteral("ceiling:")), m_ctx.n, ids(), Window, &error);
    if (rate <= 0)
        return Sample::failed(error);
    Sample s;
    s.ok = true;
    s.ops = m_ctx.n;
    s.value = rate;
    s.seconds = double(m_ctx.n) / rate;
    return s;
}

Sample WbAcceptScenario::runCacheLab(int)
{
    ProductService *service = m_fixture.service();
    const qint64 round = ++m_round;
    const qint64 n = m_ctx.n;
    const qint64 idCount = ids();
    service->writeBehindQueue()->setPaused(true);
    qint64 issued = 0;
    qint64 acknowledged = 0;
    QString failure;
    QElapsedTimer since;
    since.start();
    std::vector<qint64> latencyNs;
    latencyNs.reserve(size_t(n));
    std::function<void()> issue = [&] {
        const qint64 k = issued++;
        const qint64 sentNs = since.nsecsElapsed();
        service->update(1 + k % idCount, QStringLiteral("r%1-%2").arg(round).arg(k), k, 0, nullptr,
            [&, sentNs](const ServiceResult &r) {
                if (!r.ok() && failure.isEmpty())
                    failure = QStringLiteral("update: %1 %2").arg(serviceStatusName(r.status), r.error);
                latencyNs.push_back(since.nsecsElapsed() - sentNs);
                ++acknowledged;
                if (issued < n && failure.isEmpty())
                    issue();
            });
    };
    const MetricsSnapshot before = service->metrics();
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < Window && issued < n; ++i)
        issue();
    const bool done = BenchLoop::waitUntil([&] { return !failure.isEmpty() || acknowledged == issued; }, 600000);
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    service->writeBehindQueue()->setPaused(false);
    if (!failure.isEmpty())
        return Sample::failed(failure);
    if (!done)
        return Sample::failed(QStringLiteral("%1 of %2 writes acknowledged after %3 s")
                                  .arg(acknowledged)
                                  .arg(issued)
                                  .arg(seconds, 0, 'f', 1));
    const MetricsSnapshot after = service->metrics();
    Sample s = Sample::throughput(n, seconds);
    s.extra.insert(QStringLiteral("redis_commands"), qint64(after.redisCommands - before.redisCommands));
    s.extra.insert(QStringLiteral("writes_per_script_call"),
        double(n) / double(std::max<quint64>(1, after.redisCommands - before.redisCommands)));
    std::sort(latencyNs.begin(), latencyNs.end());
    if (!latencyNs.empty()) {
        s.extra.insert(QStringLiteral("save_p50_us"), double(latencyNs[latencyNs.size() / 2]) / 1000.0);
        s.extra.insert(QStringLiteral("save_p99_us"), double(latencyNs[latencyNs.size() * 99 / 100]) / 1000.0);
    }
    // Drained between rounds, untimed: the next round starts from an empty queue.
    QString error;
    if (!m_fixture.drainWriteBehind(600000, &error))
        return Sample::failed(error);
    return s;
}
