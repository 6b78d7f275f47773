// StampedeLab: fill, read while alive, burst at expiry, count the loads.
#include "stampedelab.h"

#include "labbackend.h"
#include "labserver.h"
#include "productservice.h"
#include "redisreply.h"

#include <QJsonArray>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace {

constexpr int ReadEveryMs = 100;

const StampedeMode Modes[] = { StampedeMode::Off, StampedeMode::SingleFlight, StampedeMode::RedisLock,
    StampedeMode::EarlyRefresh };

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto at = std::size_t(std::ceil(p * double(v.size()))) - 1;
    return v[std::min(at, v.size() - 1)];
}

} // namespace

StampedeLab::StampedeLab(QObject *parent)
    : Lab(parent)
{
    addParam({ QStringLiteral("clients"), tr("Readers at expiry (C)"), 50, 2, 500, true,
        tr("Gets sent at once when the hot key expires.") });
    addParam({ QStringLiteral("db-ms"), tr("Database latency (ms)"), 200, 10, 2000, true,
        tr("How long each SQLite read takes: the longer, the more readers pile up.") });
    addParam({ QStringLiteral("ttl"), tr("TTL (s)"), 2, 1, 30, true, tr("Life of the hot key between fills.") });
    addParam({ QStringLiteral("beta"), tr("XFetch beta"), 1.0, 0.1, 10.0, false,
        tr("Above 1 refreshes earlier, below 1 later.") });
}

StampedeLab::~StampedeLab() = default;

QString StampedeLab::title() const
{
    return tr("Cache stampede: many readers, one expiring key");
}

QString StampedeLab::description() const
{
    return tr("When a popular key expires, every reader that arrives before it is filled again misses, and with a "
              "slow database each of them loads the same row. This lab sends C gets of one product at the moment "
              "its key expires, under each of CacheLab's protections, with one CacheLab instance and with two on "
              "the same Redis, and counts the SQLite reads. You will see no protection load C times, single-flight "
              "once per instance, the Redis lock once in all, and XFetch usually not at all: a reader shortly "
              "before the expiry refreshed the key in the background.");
}

QString StampedeLab::referenceText() const
{
    return tr("What each protection promises: single-flight coalesces the loads of one process, a lock "
              "(SET NX PX) those of every process, and XFetch (Vattani, Chierichetti, Lowenstein, \"Optimal "
              "Probabilistic Cache Stampede Prevention\", VLDB 2015) refreshes early with a probability that rises "
              "as the expiry nears, so the key rarely expires under load.");
}

void StampedeLab::releaseResources()
{
    m_backend.reset();
}

quint64 StampedeLab::dbReads() const
{
    quint64 n = 0;
    for (int i = 0; i < m_backend->instances(); ++i)
        n += m_backend->service(i)->metrics().dbReads;
    return n;
}

void StampedeLab::plan()
{
    m_runs.clear();
    for (int instances : { 1, 2 })
        for (StampedeMode mode : Modes)
            m_runs.push_back(Run { mode, instances, 0, 0, {}, 0 });
    m_clock.start();
    m_backend = std::make_unique<LabBackend>();
    addStep(tr("start two CacheLab instances"), [this](StepDone done) {
        m_backend->start(server().url(), 2, [this, done](const QString &error) {
            if (!error.isEmpty())
                return fail(tr("CacheLab's service did not start: %1").arg(error));
            done(tr("two ProductService instances on the lab's redis-server and one SQLite file (cache-aside)"));
        });
    });
    for (std::size_t i = 0; i < m_runs.size(); ++i)
        planRun(i);
}

void StampedeLab::planRun(std::size_t run)
{
    const Run &r = m_runs[run];
    const QString label = tr("%1, %2 instance(s)").arg(stampedeModeName(r.mode)).arg(r.instances);
    // 1. Settings on every instance, an empty cache, one fill.
    addStep(label, [this, run](StepDone done) {
        const Run &r = m_runs[run];
        for (int i = 0; i < m_backend->instances(); ++i) {
            ProductService *s = m_backend->service(i);
            s->setStrategyByName(QStringLiteral("cache-aside"));
            CacheSettings settings = s->settings();
            settings.stampede = r.mode;
            settings.ttlSeconds = int(param(QStringLiteral("ttl")));
            settings.ttlJitterPercent = 0;
            settings.xfetchBeta = param(QStringLiteral("beta"));
            settings.trackRecent = false;
            settings.lockWaitMs = 60000;
            s->setSettings(settings);
            s->setArtificialDbLatency(int(param(QStringLiteral("db-ms"))));
        }
        ProductService *first = m_backend->service(0);
        first->invalidate(HotId, this, [this, first, done, run](const ServiceResult &) {
            first->get(HotId, this, [this, done, run](const ServiceResult &g) {
                if (g.status != ServiceStatus::Ok)
                    return fail(tr("the first get of product %1 failed: %2").arg(HotId).arg(g.error));
                m_filledAtMs = m_clock.elapsed();
                done(tr("%1: product %2 cached with a %3 s TTL (one SQLite read)")
                         .arg(stampedeModeName(m_runs[run].mode))
                         .arg(HotId)
                         .arg(param(QStringLiteral("ttl"))));
            });
        });
    });
    // 2. Readers while it lives, until its expiry.
    addStep(label, [this, run](StepDone done) {
        const quint64 before = dbReads();
        const qint64 deadline = m_filledAtMs + qint64(param(QStringLiteral("ttl")) * 1000);
        m_expiryPolls = 0;
        readWhileAlive(run, [this, run, before, done](const QString &line) {
            m_runs[run].earlyLoads = qint64(dbReads() - before);
            done(line + tr("; SQLite reads meanwhile: %1").arg(m_runs[run].earlyLoads));
        }, deadline, 0);
    });
    // 3. The burst.
    addStep(label, [this, run](StepDone done) {
        Run &r = m_runs[run];
        const int clients = int(param(QStringLiteral("clients")));
        const quint64 before = dbReads();
        auto left = std::make_shared<int>(clients);
        r.latenciesMs.clear();
        r.errors = 0;
        for (int c = 0; c < clients; ++c) {
            ProductService *s = m_backend->service(c % r.instances);
            QElapsedTimer t;
            t.start();
            s->get(HotId, this, [this, run, t, left, before, clients, done](const ServiceResult &g) {
                Run &r = m_runs[run];
                r.latenciesMs.push_back(double(t.nsecsElapsed()) / 1e6);
                r.errors += g.status != ServiceStatus::Ok;
                if (--*left > 0)
                    return;
                r.burstLoads = qint64(dbReads() - before);
                done(tr("%1 gets at expiry on %2 instance(s) -> %3 SQLite read(s); p99 %4 ms")
                         .arg(clients)
                         .arg(r.instances)
                         .arg(r.burstLoads)
                         .arg(percentile(r.latenciesMs, 0.99), 0, 'f', 0));
            });
        }
    });
}

void StampedeLab::readWhileAlive(std::size_t run, StepDone done, qint64 deadlineMs, int tick)
{
    const qint64 now = m_clock.elapsed();
    // The burst goes at the original expiry: for XFetch the key may have
    // been refreshed by then, which is the point.
    if (now >= deadlineMs) {
        // Past the expiry the key must be gone (or, for XFetch, refreshed):
        // wait until Redis agrees before the burst, never guess.
        server().call({ "PTTL", "product:" + QByteArray::number(HotId) }, [this, run, done, tick](const RedisReply &r) {
            if (!r.isInteger())
                return fail(tr("PTTL failed: %1").arg(r.errorMessage()));
            const qint64 pttl = r.toInteger();
            const bool xfetch = m_runs[run].mode == StampedeMode::EarlyRefresh;
            if (pttl == -1)
                return fail(tr("product:%1 has no TTL: the lab cannot wait for its expiry").arg(HotId));
            if (pttl == -2 || xfetch)
                return done(tr("%1 reads while the key lived; at its expiry the key is %2")
                                .arg(tick)
                                .arg(pttl == -2 ? tr("gone") : tr("still there (refreshed early, %1 ms left)").arg(pttl)));
            // Redis expires a key within its TTL's resolution: a few ms more
            // at most. A key still there after seconds is an error.
            if (++m_expiryPolls > 500)
                return fail(tr("product:%1 did not expire (PTTL %2 ms, 5 s after its TTL)").arg(HotId).arg(pttl));
            QTimer::singleShot(10, this, guarded([this, run, done, tick] { readWhileAlive(run, done, 0, tick); }));
        });
        return;
    }
    ProductService *s = m_backend->service(tick % m_runs[run].instances);
    s->get(HotId, this, [this, run, done, deadlineMs, tick](const ServiceResult &) {
        const qint64 wait = std::min<qint64>(ReadEveryMs, std::max<qint64>(0, deadlineMs - m_clock.elapsed()));
        QTimer::singleShot(int(wait), this, guarded([this, run, done, deadlineMs, tick] {
            readWhileAlive(run, done, deadlineMs, tick + 1);
        }));
    });
}

void StampedeLab::conclude()
{
    const int clients = int(param(QStringLiteral("clients")));
    LabTable table;
    table.id = QStringLiteral("modes");
    table.title = tr("SQLite reads when the hot key expires");
    table.columns = { QStringLiteral("mode"), QStringLiteral("instances"), QStringLiteral("clients"),
        QStringLiteral("db_loads"), QStringLiteral("expected"), QStringLiteral("early_refreshes"),
        QStringLiteral("p50_ms"), QStringLiteral("p99_ms"), QStringLiteral("errors") };
    bool ok = true;
    QString xfetchSummary;
    LabChart chart;
    chart.id = QStringLiteral("loads");
    chart.title = tr("SQLite reads caused by %1 readers at expiry").arg(clients);
    chart.yTitle = tr("SQLite reads");
    chart.kind = LabChart::Kind::Bars;
    for (StampedeMode mode : Modes)
        chart.categories << stampedeModeName(mode);
    LabSeries one { tr("one instance"), {}, LabSeries::Look::Line, {} };
    LabSeries two { tr("two instances"), {}, LabSeries::Look::Line, {} };
    int modeIndex = 0;
    for (const Run &r : m_runs) {
        QString expected;
        bool met = true;
        switch (r.mode) {
        case StampedeMode::Off:
            expected = QString::number(clients);
            met = r.burstLoads == clients;
            break;
        case StampedeMode::SingleFlight:
            expected = QString::number(r.instances);
            met = r.burstLoads == r.instances;
            break;
        case StampedeMode::RedisLock:
            expected = QStringLiteral("1");
            met = r.burstLoads == 1;
            break;
        case StampedeMode::EarlyRefresh:
            // 0 when a reader before the expiry refreshed the key (the usual
            // case under steady reads); when none happened to, the key
            // expires and XFetch alone protects nothing: every reader loads.
            expected = r.earlyLoads > 0 ? QStringLiteral("0 (refreshed early)")
                                        : QStringLiteral("%1 (no early refresh this time)").arg(clients);
            met = r.earlyLoads > 0 ? r.burstLoads == 0 : r.burstLoads == clients;
            break;
        }
        ok &= met && r.errors == 0;
        table.rows.append({ stampedeModeName(r.mode), r.instances, clients, r.burstLoads, expected, r.earlyLoads,
            percentile(r.latenciesMs, 0.5), percentile(r.latenciesMs, 0.99), r.errors });
        (r.instances == 1 ? one : two).points.append(QPointF(modeIndex % 4, double(r.burstLoads)));
        ++modeIndex;
        if (r.mode == StampedeMode::EarlyRefresh)
            xfetchSummary += (r.earlyLoads > 0
                                     ? tr("with %1 instance(s) a reader refreshed the key early (%2 load) and the burst "
                                          "made %3")
                                           .arg(r.instances)
                                           .arg(r.earlyLoads)
                                           .arg(r.burstLoads)
                                     : tr("with %1 instance(s) no reader happened to refresh early, the key expired and "
                                          "all %2 readers loaded (XFetch guards the expiry, not the miss)")
                                           .arg(r.instances)
                                           .arg(r.burstLoads))
                + QStringLiteral("; ");
    }
    chart.series = { one, two };
    m_tables = { table };
    m_results.insert(QStringLiteral("modes"), table.toJson());
    m_results.insert(QStringLiteral("clients"), clients);
    m_results.insert(QStringLiteral("db_ms"), param(QStringLiteral("db-ms")));
    QJsonObject expected;
    expected.insert(QStringLiteral("off"), clients);
    expected.insert(QStringLiteral("single-flight"), QStringLiteral("one per instance"));
    expected.insert(QStringLiteral("lock"), 1);
    expected.insert(QStringLiteral("xfetch"),
        QStringLiteral("0 when a reader refreshed early (usual); all readers when none did"));
    m_reference.insert(QStringLiteral("db_loads"), expected);
    m_matches = ok;
    const auto loads = [this](StampedeMode mode, int instances) {
        for (const Run &r : m_runs)
            if (r.mode == mode && r.instances == instances)
                return r.burstLoads;
        return qint64(-1);
    };
    if (xfetchSummary.endsWith(QLatin1String("; ")))
        xfetchSummary.chop(2);
    const Run &off = m_runs.front();
    chart.caption = tr("Without protection %1 readers made %2 SQLite reads of the same row, and the slowest waited "
                       "%3 ms (the database answers them one after another). Single-flight made %4 with one instance "
                       "and %5 with two (it coalesces inside a process); the Redis lock %6 and %7 (one in all). "
                       "XFetch: %8.")
                        .arg(clients)
                        .arg(off.burstLoads)
                        .arg(percentile(off.latenciesMs, 0.99), 0, 'f', 0)
                        .arg(loads(StampedeMode::SingleFlight, 1))
                        .arg(loads(StampedeMode::SingleFlight, 2))
                        .arg(loads(StampedeMode::RedisLock, 1))
                        .arg(loads(StampedeMode::RedisLock, 2))
                        .arg(xfetchSummary);
    m_charts = { chart };
}
