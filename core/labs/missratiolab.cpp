// MissRatioLab: one trace, every policy, every cache size.
#include "missratiolab.h"

#include "csvwriter.h"
#include "labserver.h"
#include "redisreply.h"

#include <QCryptographicHash>
#include <QLocale>

#include <algorithm>
#include <cmath>

namespace {

constexpr const char *PolicyNames[] = { "allkeys-lru", "allkeys-lfu", "allkeys-random" };
constexpr std::size_t SimSlice = 50000; // requests one simulation step feeds each policy (about 30 ms at 20,000 keys)
constexpr int ReplayBatch = 1000;        // requests in one pipeline to Redis, at most
constexpr int CommandBytes = 100;        // one request as it waits in Redis's query buffer, about

// The client's query buffer counts against maxmemory like the keys do. A
// pipeline of a cache's size would leave a tiny cache no room at all, so the
// batch follows the cache: twice its keys, at least 20.
int replayBatch(int capacity)
{
    return std::clamp(capacity * 2, 20, ReplayBatch);
}

// A cache read with fill on a miss, atomic on the server: STRLEN touches the
// key (LRU clock, LFU counter) like a GET but returns no value.
const QByteArray ReadOrFill = QByteArrayLiteral(
    "if redis.call('STRLEN', KEYS[1]) > 0 then return 1 end "
    "redis.call('SET', KEYS[1], string.rep('x', tonumber(ARGV[1]))) return 0");

QString percent(double f)
{
    return QString::number(f * 100.0, 'g', 3) + QLatin1Char('%');
}

QString ratio(double r)
{
    return QString::number(r, 'f', 3);
}

} // namespace

MissRatioLab::MissRatioLab(QObject *parent)
    : Lab(parent)
{
    // At least 1,000 keys: the 1% cache then holds 10 values of 8 kB, well
    // above the few kB Redis's own buffers move by.
    addParam({ QStringLiteral("keys"), tr("Keys (N)"), 2000, 1000, 20000, true, tr("Distinct keys in the workload.") });
    addParam({ QStringLiteral("alpha"), tr("Zipf alpha"), 0.8, 0.1, 2.0, false,
        tr("Skew: key i is asked for in proportion to 1/i^alpha. Web caches measure 0.6 to 1.0.") });
    addParam({ QStringLiteral("requests"), tr("Requests"), 50000, 1000, 2000000, true,
        tr("Length of the trace; the first fifth warms the cache and is not counted.") });
    addParam({ QStringLiteral("redis"), tr("Replay on Redis"), 1, 0, 1, true,
        tr("1: also play the trace against a real redis-server (most of the run time); 0: the simulations only.") });
}

QString MissRatioLab::title() const
{
    return tr("Miss-ratio curve: how big must the cache be?");
}

QString MissRatioLab::description() const
{
    return tr("A cache's hit ratio depends on its size and on how skewed the requests are. This lab draws one "
              "seeded Zipf trace and plays it against caches from 1% to 50% of the keys: exact LRU, LFU and "
              "random eviction simulated here, Che's formula for LRU, Belady's optimum (which knows the future, so "
              "nothing beats it), and a real redis-server with allkeys-lru, allkeys-lfu and allkeys-random. You "
              "will see the curves rise steeply and then flatten: under skew a small cache already serves most "
              "reads, and Redis's sampled policies land close to the exact ones they approximate.");
}

QString MissRatioLab::referenceText() const
{
    return tr("Che, Tung and Wang (2002), \"Hierarchical Web caching systems: modeling, design and experimental "
              "results\": LRU's hit ratio under independent requests. Exact LRU must follow it within 0.02. "
              "Belady (1966): the offline optimum is never worse than any policy. The trace exports as CSV "
              "(time, obj_id, obj_size) for libCacheSim to check the simulated curves.");
}

const std::vector<double> &MissRatioLab::fractions()
{
    static const std::vector<double> f { 0.01, 0.02, 0.05, 0.10, 0.20, 0.30, 0.50 };
    return f;
}

void MissRatioLab::plan()
{
    m_keys = int(param(QStringLiteral("keys")));
    const double alpha = param(QStringLiteral("alpha"));
    const int requests = int(param(QStringLiteral("requests")));
    m_warmup = requests / 5;
    const CacheSim::Zipf zipf(m_keys, alpha);
    m_trace = CacheSim::zipfTrace(zipf, requests, seed());
    m_nextUse = CacheSim::Opt::nextUses(m_trace, m_keys);
    m_keyNames.clear();
    for (int k = 0; k < m_keys; ++k)
        m_keyNames.push_back("k:" + QByteArray::number(k));
    m_points.clear();
    for (double f : fractions()) {
        Point p;
        p.fraction = f;
        p.capacity = std::max(1, int(std::lround(f * m_keys)));
        p.lru = std::make_unique<CacheSim::Lru>(m_keys, p.capacity, m_warmup);
        p.lfu = std::make_unique<CacheSim::Lfu>(m_keys, p.capacity, m_warmup);
        p.opt = std::make_unique<CacheSim::Opt>(m_trace, m_nextUse, m_keys, p.capacity, m_warmup);
        p.random = std::make_unique<CacheSim::RandomEviction>(m_keys, p.capacity, seed() ^ 0x5EEDull, m_warmup);
        m_points.push_back(std::move(p));
    }

    // 1. The simulations and Che's formula, in slices.
    for (std::size_t i = 0; i < m_points.size(); ++i) {
        addStep(tr("Che's approximation at %1").arg(percent(m_points[i].fraction)), [this, i, alpha](StepDone done) {
            Point &p = m_points[i];
            p.che = CacheSim::cheHitRatio(CacheSim::Zipf(m_keys, alpha).probabilities(), p.capacity);
            done(tr("Che: cache of %1 keys (%2) -> hit ratio %3").arg(p.capacity).arg(percent(p.fraction), ratio(p.che)));
        });
        for (std::size_t from = 0; from < m_trace.size(); from += SimSlice) {
            const std::size_t to = std::min(m_trace.size(), from + SimSlice);
            addStep(tr("simulate %1").arg(percent(m_points[i].fraction)), [this, i, from, to](StepDone done) {
                Point &p = m_points[i];
                p.lru->feed(m_trace, from, to);
                p.lfu->feed(m_trace, from, to);
                p.opt->feed(from, to);
                for (std::size_t r = from; r < to; ++r)
                    p.random->access(m_trace[r]);
                done(tr("simulated requests %1-%2 at %3 keys: LRU %4, LFU %5, random %6, OPT %7 so far")
                         .arg(from + 1)
                         .arg(to)
                         .arg(p.capacity)
                         .arg(ratio(p.lru->count().ratio()), ratio(p.lfu->count().ratio()),
                             ratio(p.random->count().ratio()), ratio(p.opt->count().ratio())));
            });
        }
    }

    if (!usesServer())
        return;
    // 2. How many bytes one key takes in this redis-server.
    // The first script call and the first key allocate things that stay
    // (the script's client, the keyspace's tables): make them before the
    // empty server is measured, or every cache would be short of room.
    constexpr int Probe = 200;
    const auto probeFill = [this] {
        QList<RedisCommand> fill;
        for (int k = 0; k < Probe; ++k)
            fill.append({ "EVALSHA", m_scriptSha, "1", "probe:" + QByteArray::number(k), QByteArray::number(ValueBytes) });
        return fill;
    };
    addStep(tr("prepare the server"), [this, probeFill](StepDone done) {
        m_scriptSha = QCryptographicHash::hash(ReadOrFill, QCryptographicHash::Sha1).toHex();
        QList<RedisCommand> cmds { { "FLUSHALL", "SYNC" }, { "CONFIG", "SET", "maxmemory", "0" }, { "SCRIPT", "LOAD", ReadOrFill } };
        cmds << probeFill() << RedisCommand { "FLUSHALL", "SYNC" };
        server().pipeline(cmds, [this, done](const QList<RedisReply> &r) {
            for (const RedisReply &e : r)
                if (e.isError())
                    return fail(tr("Redis refused the set-up: %1").arg(e.errorMessage()));
            if (r.value(2).bytes() != m_scriptSha)
                return fail(tr("SCRIPT LOAD answered %1, expected %2")
                                .arg(QString::fromLatin1(r.value(2).bytes()), QString::fromLatin1(m_scriptSha)));
            done(tr("FLUSHALL | SCRIPT LOAD (read, or fill on a miss) | %1 probe keys | FLUSHALL").arg(Probe));
        });
    });
    addStep(tr("measure a key's memory"), [this, probeFill](StepDone done) {
        server().infoField("memory", "used_memory", [this, done, probeFill](qint64 base, const QString &err) {
            if (!err.isEmpty())
                return fail(err);
            server().pipeline(probeFill(), [this, base, done](const QList<RedisReply> &) {
                server().infoField("memory", "used_memory", [this, base, done](qint64 after, const QString &err) {
                    if (!err.isEmpty())
                        return fail(err);
                    m_baseMemory = base;
                    m_bytesPerKey = double(after - base) / Probe;
                    server().call({ "FLUSHALL", "SYNC" }, [this, done](const RedisReply &) {
                        done(tr("used_memory %1 bytes empty; %2 keys of %3-byte values add %4 bytes each")
                                 .arg(m_baseMemory)
                                 .arg(Probe)
                                 .arg(ValueBytes)
                                 .arg(qint64(m_bytesPerKey)));
                    });
                });
            });
        });
    });

    // 3. The real thing: each policy at each size.
    for (int policy = 0; policy < 3; ++policy)
        for (std::size_t i = 0; i < m_points.size(); ++i)
            planReplay(policy, i);
}

void MissRatioLab::planReplay(int policy, std::size_t point)
{
    const QByteArray policyName = PolicyNames[policy];
    const QString where = tr("%1 at %2").arg(QString::fromLatin1(policyName), percent(m_points[point].fraction));
    addStep(where, [this, policyName, point](StepDone done) {
        Point &p = m_points[point];
        m_replayClock.start();
        // Room for the keys and for one batch in the query buffer; the
        // warm-up corrects it from what Redis really holds.
        m_maxmemory = m_baseMemory + qint64(std::ceil(p.capacity * m_bytesPerKey))
            + qint64(replayBatch(p.capacity)) * CommandBytes;
        server().pipeline({ { "FLUSHALL", "SYNC" },
                              { "CONFIG", "SET", "maxmemory-policy", policyName, "maxmemory", QByteArray::number(m_maxmemory) } },
            [this, policyName, done, capacity = p.capacity](const QList<RedisReply> &r) {
                for (const RedisReply &e : r)
                    if (e.isError())
                        return fail(tr("Redis refused the set-up: %1").arg(e.errorMessage()));
                done(tr("FLUSHALL | CONFIG SET maxmemory-policy %1 maxmemory %2 (room for about %3 keys)")
                         .arg(QString::fromLatin1(policyName))
                         .arg(m_maxmemory)
                         .arg(capacity));
            });
    });
    // Calibration points: half-way through the warm-up and at its end.
    const std::int64_t checks[] = { m_warmup / 2, m_warmup };
    const auto batch = std::size_t(replayBatch(m_points[point].capacity));
    for (std::size_t from = 0; from < m_trace.size(); from += batch) {
        const std::size_t to = std::min(m_trace.size(), from + batch);
        bool calibrate = false;
        for (std::int64_t c : checks)
            calibrate |= std::int64_t(from) < c && c <= std::int64_t(to);
        const bool last = to == m_trace.size();
        addStep(where, [this, policy, point, from, to, calibrate, last, where](StepDone done) {
            QList<RedisCommand> batch;
            batch.reserve(qsizetype(to - from) + 1);
            const QByteArray size = QByteArray::number(ValueBytes);
            for (std::size_t r = from; r < to; ++r)
                batch.append({ "EVALSHA", m_scriptSha, "1", m_keyNames[std::size_t(m_trace[r])], size });
            if (calibrate || last)
                batch.append({ "DBSIZE" });
            server().pipeline(batch, [this, policy, point, from, to, calibrate, last, where, done](const QList<RedisReply> &r) {
                Point &p = m_points[point];
                qint64 hits = 0, refused = 0;
                for (std::size_t i = 0; i < to - from; ++i) {
                    const RedisReply &e = r.value(qsizetype(i));
                    // Over maxmemory with nothing left to evict, Redis refuses
                    // the fill: a miss that leaves nothing behind. Counted and
                    // reported; anything else ends the run.
                    if (e.isError() && e.errorMessage().startsWith(QLatin1String("OOM"))) {
                        ++refused;
                        if (std::int64_t(from + i) >= m_warmup)
                            ++p.counted[policy]; // a miss
                        continue;
                    }
                    if (e.isError())
                        return fail(tr("Redis refused request %1: %2").arg(from + i + 1).arg(e.errorMessage()));
                    if (std::int64_t(from + i) >= m_warmup) {
                        ++p.counted[policy];
                        hits += e.toInteger();
                    }
                }
                p.hits[policy] += hits;
                p.refused[policy] += refused;
                QString line = tr("%1: requests %2-%3 -> %4 hits").arg(where).arg(from + 1).arg(to).arg(hits);
                if (refused > 0)
                    line += tr(", %1 fills refused (OOM)").arg(refused);
                if (!calibrate && !last)
                    return done(line);
                const qint64 held = r.last().toInteger();
                p.held[policy] = held;
                if (last)
                    p.replayMs[policy] = m_replayClock.elapsed();
                if (last)
                    return done(line + tr("; DBSIZE %1 (target %2)").arg(held).arg(p.capacity));
                // Client buffers count against maxmemory too: move the limit
                // by the keys it is off, before the counted part begins.
                m_maxmemory += qint64(std::lround((p.capacity - held) * m_bytesPerKey));
                server().call({ "CONFIG", "SET", "maxmemory", QByteArray::number(m_maxmemory) },
                    [this, line, held, capacity = p.capacity, done](const RedisReply &) {
                        done(line + tr("; DBSIZE %1, target %2: CONFIG SET maxmemory %3").arg(held).arg(capacity).arg(m_maxmemory));
                    });
            });
        });
    }
}

void MissRatioLab::conclude()
{
    const double alpha = param(QStringLiteral("alpha"));
    LabTable points;
    points.id = QStringLiteral("points");
    points.title = tr("Hit ratio by cache size");
    points.columns = { QStringLiteral("alpha"), QStringLiteral("cache_fraction"), QStringLiteral("cache_keys"),
        QStringLiteral("lru_sim"), QStringLiteral("che"), QStringLiteral("lfu_sim"), QStringLiteral("random_sim"),
        QStringLiteral("opt"), QStringLiteral("redis_lru"), QStringLiteral("redis_lfu"), QStringLiteral("redis_random"),
        QStringLiteral("redis_lru_keys"), QStringLiteral("redis_lfu_keys"), QStringLiteral("redis_random_keys") };
    const bool replayed = usesServer();
    double worstChe = 0;
    bool optFloor = true;
    double gapLru = 0, gapLfu = 0, gapRandom = 0;
    const auto redis = [](const Point &p, int policy) {
        return p.counted[policy] > 0 ? double(p.hits[policy]) / double(p.counted[policy]) : 0.0;
    };
    for (const Point &p : m_points) {
        const double lru = p.lru->count().ratio(), lfu = p.lfu->count().ratio(), rnd = p.random->count().ratio();
        const double opt = p.opt->count().ratio();
        worstChe = std::max(worstChe, std::abs(lru - p.che));
        for (double other : { lru, lfu, rnd, redis(p, 0), redis(p, 1), redis(p, 2) })
            optFloor &= opt + 1e-12 >= other;
        gapLru += redis(p, 0) - lru;
        gapLfu += redis(p, 1) - lfu;
        gapRandom += redis(p, 2) - rnd;
        if (replayed)
            points.rows.append({ alpha, p.fraction, p.capacity, lru, p.che, lfu, rnd, opt, redis(p, 0), redis(p, 1),
                redis(p, 2), p.held[0], p.held[1], p.held[2] });
        else // not measured: empty, never a made-up zero
            points.rows.append({ alpha, p.fraction, p.capacity, lru, p.che, lfu, rnd, opt, {}, {}, {}, {}, {}, {} });
    }
    const double n = std::max<double>(1, double(m_points.size()));
    double replaySeconds = 0, lruToExact = 0, lruToRandom = 0;
    qint64 refused = 0;
    for (const Point &p : m_points) {
        refused += p.refused[0] + p.refused[1] + p.refused[2];
        replaySeconds += double(p.replayMs[0]) / 1000.0 / n;
        lruToExact += std::abs(redis(p, 0) - p.lru->count().ratio());
        lruToRandom += std::abs(redis(p, 0) - p.random->count().ratio());
    }
    gapLru /= n;
    gapLfu /= n;
    gapRandom /= n;

    LabTable trace;
    trace.id = QStringLiteral("trace");
    trace.title = tr("The request trace (libCacheSim csv: time-col=1, obj-id-col=2, obj-size-col=3, has-header=true)");
    trace.columns = { QStringLiteral("time"), QStringLiteral("obj_id"), QStringLiteral("obj_size") };
    trace.bulk = true;
    trace.csvText = [columns = trace.columns, requests = std::make_shared<std::vector<int>>(m_trace)] {
        CsvWriter csv(columns);
        const QString one = QStringLiteral("1");
        for (std::size_t i = 0; i < requests->size(); ++i)
            csv.addRow({ QString::number(i + 1), QString::number((*requests)[i]), one });
        return csv.text();
    };
    m_tables = { points, trace };

    m_results.insert(QStringLiteral("keys"), m_keys);
    m_results.insert(QStringLiteral("requests"), qint64(m_trace.size()));
    m_results.insert(QStringLiteral("warmup_requests"), qint64(m_warmup));
    m_results.insert(QStringLiteral("points"), points.toJson());
    m_results.insert(QStringLiteral("lru_che_max_gap"), worstChe);
    m_results.insert(QStringLiteral("opt_never_worse"), optFloor);
    m_results.insert(QStringLiteral("redis_lru_minus_lru_sim"), gapLru);
    m_results.insert(QStringLiteral("redis_lfu_minus_lfu_sim"), gapLfu);
    m_results.insert(QStringLiteral("redis_random_minus_random_sim"), gapRandom);
    m_results.insert(QStringLiteral("bytes_per_key"), m_bytesPerKey);
    m_results.insert(QStringLiteral("redis_replay_seconds"), replaySeconds);
    m_results.insert(QStringLiteral("redis_refused_fills"), refused);
    m_results.insert(QStringLiteral("redis_replayed"), usesServer());
    m_results.insert(QStringLiteral("redis_lru_nearer_random_than_lru"), lruToRandom < lruToExact);
    m_reference.insert(QStringLiteral("lru_clock_resolution_ms"), 1000);
    m_reference.insert(QStringLiteral("che_tolerance"), 0.02);
    m_reference.insert(QStringLiteral("che"), QStringLiteral("Che, Tung, Wang 2002; IRM LRU approximation"));
    m_reference.insert(QStringLiteral("opt"), QStringLiteral("Belady 1966: no policy has fewer misses"));
    m_matches = !m_points.empty() && worstChe <= 0.02 && optFloor;

    LabChart chart;
    chart.id = QStringLiteral("curve");
    chart.title = tr("Hit ratio against cache size (Zipf %1, %2 keys)").arg(alpha).arg(m_keys);
    chart.xTitle = tr("cache size, share of the keys (log scale)");
    chart.yTitle = tr("hit ratio");
    chart.logX = true;
    const QStringList names { tr("OPT (Belady)"), tr("LFU, exact"), tr("LRU, exact"), tr("Che (LRU formula)"),
        tr("random, exact"), tr("Redis allkeys-lfu"), tr("Redis allkeys-lru"), tr("Redis allkeys-random") };
    const int columnOf[] = { 7, 5, 3, 4, 6, 9, 8, 10 };
    for (int s = 0; s < (replayed ? names.size() : 5); ++s) {
        LabSeries series { names.at(s), {}, s >= 5 ? LabSeries::Look::Dashed : LabSeries::Look::Line, {} };
        for (const QVariantList &row : std::as_const(points.rows))
            series.points.append(QPointF(row.at(1).toDouble(), row.at(columnOf[s]).toDouble()));
        chart.series.append(series);
    }
    const auto signedGap = [](double g) -> QString { return (g >= 0 ? QStringLiteral("+") : QString()) + QString::number(g, 'f', 3); };
    const Point *mid = m_points.size() > 3 ? &m_points[3] : (m_points.empty() ? nullptr : &m_points.back());
    QString caption = tr("Exact LRU stayed within %1 of Che's formula (allowed 0.02); OPT was %2.")
                          .arg(QString::number(worstChe, 'f', 3),
                              optFloor ? tr("never beaten, at any size") : tr("BEATEN somewhere - a bug"));
    if (replayed)
        caption += QLatin1Char(' ')
        + tr("On average Redis's sampled allkeys-lru came %1 from exact LRU, allkeys-lfu %2 from exact LFU and "
             "allkeys-random %3 from random eviction.")
              .arg(signedGap(gapLru), signedGap(gapLfu), signedGap(gapRandom));
    if (replayed && lruToRandom < lruToExact)
        caption += QLatin1Char(' ')
            + tr("allkeys-lru landed nearer random eviction than exact LRU: each replay took about %1 s, and "
                 "Redis's LRU clock ticks once a second, so keys touched within the same second look equally old "
                 "to it and it picks among its samples as if at random. A cache that turns over more slowly than "
                 "that (the approx-lru lab waits for the clock between phases) sees allkeys-lru follow exact LRU.")
                  .arg(QString::number(replaySeconds, 'f', 1));
    if (mid)
        caption += QLatin1Char(' ')
            + tr("A cache of %1 of the keys served %2 of the reads under LRU; the optimum would serve %3.")
                  .arg(percent(mid->fraction), QString::number(100 * mid->lru->count().ratio(), 'f', 0) + QLatin1Char('%'),
                      QString::number(100 * mid->opt->count().ratio(), 'f', 0) + QLatin1Char('%'));
    chart.caption = caption;
    m_charts = { chart };
}
