// write-latency: save latency, write-behind vs write-through (see writelatency.h).
#include "writelatency.h"

#include "benchloop.h"
#include "benchserver.h"
#include "cachekeys.h"
#include "cachescripts.h"
#include "wbscript.h"
#include "productservice.h"
#include "rawredis.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QScopeGuard>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <vector>

QString WriteLatencyScenario::description() const
{
    return QStringLiteral("p50 of update() under write-behind | p50 of update() under write-through, same file DB");
}

bool WriteLatencyScenario::setUp(const BenchContext &ctx, QString *error)
{
    m_ctx = ctx;
    if (!m_fixture.openDatabase(QDir(ctx.workDir).filePath(QStringLiteral("latency.sqlite")), Rows, error))
        return false;
    m_fixture.setSettingsOverride(ctx.settings);
    return m_fixture.startService(ctx.server->url(), StrategyKind::WriteThrough, error);
}

Sample WriteLatencyScenario::runSaves(StrategyKind strategy)
{
    QString error;
    // Start every round from an empty queue so one side's backlog does not
    // slow the other down.
    if (!m_fixture.drainWriteBehind(120000, &error))
        return Sample::failed(error);
    ProductService *service = m_fixture.service();
    service->setStrategy(strategy);

    std::vector<qint64> latencies;
    std::vector<qint64> firstStep;
    std::vector<qint64> traced;
    latencies.reserve(size_t(m_ctx.n));
    QString failure;
    QElapsedTimer total;
    QElapsedTimer call;
    std::function<void(const std::function<void()> &)> next;
    const bool finished = BenchLoop::runLoop(
        [&](const std::function<void()> &quit) {
            total.start();
            next = [&, quit](const std::function<void()> &) {
                const qint64 k = m_counter++;
                call.start();
                service->update(
                    1 + k % Rows, QStringLiteral("save %1").arg(k), k, 0, nullptr, [&, quit](const ServiceResult &r) {
                        latencies.push_back(call.nsecsElapsed() / 1000);
                        // The trace's own clocks: where a save's time went.
                        if (!r.trace.steps.isEmpty())
                            firstStep.push_back(r.trace.steps.first().micros);
                        traced.push_back(r.trace.totalMicros);
                        if (!r.ok()) {
                            failure = QStringLiteral("update: %1 %2").arg(serviceStatusName(r.status), r.error);
                            quit();
                            return;
                        }
                        if (qint64(latencies.size()) == m_ctx.n) {
                            quit();
                            return;
                        }
                        next(quit);
                    });
            };
            next(quit);
        },
        600000);
    const double seconds = double(total.nsecsElapsed()) / 1e9;
    if (!failure.isEmpty())
        return Sample::failed(failure);
    if (!finished)
        return Sample::failed(QStringLiteral("timed out after %1 saves").arg(latencies.size()));
    std::sort(latencies.begin(), latencies.end());
    const auto pct
        = [&](double p) { return latencies.at(std::min(latencies.size() - 1, size_t(p * double(latencies.size())))); };
    Sample s = Sample::throughput(qint64(latencies.size()), seconds);
    s.value = double(pct(0.50));
    s.extra.insert(QStringLiteral("p50_us"), pct(0.50));
    s.extra.insert(QStringLiteral("p95_us"), pct(0.95));
    s.extra.insert(QStringLiteral("p99_us"), pct(0.99));
    s.extra.insert(QStringLiteral("max_us"), latencies.back());
    const auto p50 = [](std::vector<qint64> &v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? qint64(0) : v.at(v.size() / 2);
    };
    // First step: the Redis script under write-behind, the SQL write under
    // write-through; beside the whole operation as its trace timed it.
    s.extra.insert(QStringLiteral("first_step_p50_us"), p50(firstStep));
    s.extra.insert(QStringLiteral("trace_total_p50_us"), p50(traced));
    return s;
}

Sample WriteLatencyScenario::runBaseline(int)
{
    return runSaves(StrategyKind::WriteThrough);
}

double WriteLatencyScenario::scriptRoundTripP50(QString *error)
{
    RawRedis raw;
    if (!raw.connect(m_ctx.server->url(), error))
        return 0;
    const RedisScript &script = CacheScripts::wbWrite();
    if (!raw.exec({ "SCRIPT", "LOAD", script.source() })) {
        *error = QStringLiteral("SCRIPT LOAD wb-write: %1").arg(raw.lastError());
        return 0;
    }
    const CacheKeys keys(QStringLiteral("floor:"));
    // Leave nothing behind, on every way out: the floor's keys (dirty hashes
    // without a TTL, a queue) are not CacheLab's.
    const auto cleanup = qScopeGuard([&] {
        QList<QList<QByteArray>> drops { { "DEL", keys.queue(), keys.queued(), keys.processing(), keys.versions(), keys.nextId() } };
        for (qint64 id = 1; id <= Rows; ++id)
            drops.append({ "DEL", keys.product(id) });
        raw.execPipelined(drops);
    });
    const QByteArray stamp = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
    std::vector<qint64> latencies;
    latencies.reserve(size_t(m_ctx.n));
    QElapsedTimer call;
    for (qint64 k = 0; k < m_ctx.n; ++k) {
        const QByteArray id = QByteArray::number(1 + k % Rows);
        call.start();
        RawReplyPtr r = raw.command(WbScript::update(keys, id.toLongLong(), "save " + QByteArray::number(k), QByteArray::number(k), stamp));
        latencies.push_back(call.nsecsElapsed() / 1000);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            *error = QStringLiteral("raw wb-write failed: %1").arg(raw.lastError());
            return 0;
        }
    }
    std::sort(latencies.begin(), latencies.end());
    return double(latencies.at(latencies.size() / 2));
}

Sample WriteLatencyScenario::runCacheLab(int)
{
    QString error;
    const double floor = scriptRoundTripP50(&error);
    if (floor <= 0)
        return Sample::failed(error);
    Sample s = runSaves(StrategyKind::WriteBehind);
    s.extra.insert(QStringLiteral("script_rtt_p50_us"), floor);
    return s;
}

Evaluation WriteLatencyScenario::evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const
{
    Evaluation e = Scenario::evaluate(baseline, cachelab);
    const QString key = QStringLiteral("script_rtt_p50_us");
    const double bound = addBound(e, baseline, cachelab, key, QStringLiteral("floor_ratio"));
    e.notes << QStringLiteral("one raw wb-write round trip: %1 us = ratio %2 at least")
                   .arg(e.fields.value(key).toDouble(), 0, 'f', 0)
                   .arg(bound, 0, 'f', 2);
    // The idle-box form of the goal: against the round trip it cannot beat.
    const double floorUs = e.fields.value(key).toDouble();
    const double saveUs = median(cachelab);
    const bool nearFloor = floorUs > 0 && saveUs <= FloorFactor * floorUs;
    e.fields.insert(QStringLiteral("p50_over_floor"), floorUs > 0 ? saveUs / floorUs : 0.0);
    e.fields.insert(QStringLiteral("near_floor_met"), nearFloor);
    e.fields.insert(QStringLiteral("ratio_met"), e.met);
    e.met = e.met || nearFloor;
    return e;
}

void WriteLatencyScenario::tearDown()
{
    QString ignored;
    m_fixture.drainWriteBehind(60000, &ignored);
    m_fixture.shutdown();
}
