// ApproxLruLab: fill, touch half, add more, count who survived.
#include "approxlrulab.h"

#include "cachesim.h"
#include "labserver.h"
#include "redisreply.h"

#include <QTimer>

#include <algorithm>
#include <cmath>

namespace {

constexpr int Batch = 500;      // commands in one pipeline
constexpr int TickPollMs = 100; // how often lru_clock is read while waiting
constexpr int TickPolls = 40;   // 4 s: the clock ticks every second

const QByteArray Fill = QByteArrayLiteral("redis.call('SET', KEYS[1], string.rep('x', tonumber(ARGV[1]))) return 1");

QByteArray keyName(int k)
{
    return "lru:" + QByteArray::number(k);
}

} // namespace

ApproxLruLab::ApproxLruLab(QObject *parent)
    : Lab(parent)
{
    addParam({ QStringLiteral("keys"), tr("Keys that fit (K)"), 2000, 100, 20000, true,
        tr("The cache is filled with K keys; K/2 are touched, then K/2 new keys are added.") });
}

QString ApproxLruLab::title() const
{
    return tr("Approximated LRU: which keys does Redis evict?");
}

QString ApproxLruLab::description() const
{
    return tr("Redis does not keep keys in LRU order (that would cost two pointers a key). To evict, it samples a "
              "few keys and evicts the one idle longest. This lab fills a private redis-server to its maxmemory, "
              "reads the first half of the keys again, then adds as many new keys as that half. Exact LRU would "
              "evict precisely the untouched half. You will see how close Redis comes with maxmemory-samples 1, 5 "
              "and 10: each row of the picture is one key per dot, red where the key was evicted.");
}

QString ApproxLruLab::referenceText() const
{
    return tr("Redis documentation, \"Key eviction\" (approximated LRU algorithm) and the LRU test it describes: "
              "10 samples come very close to true LRU, fewer samples drift toward random eviction. Exact LRU and "
              "random eviction are computed in-app on the same access sequence.");
}

const std::vector<int> &ApproxLruLab::sampleSettings()
{
    static const std::vector<int> s { 1, 5, 10 };
    return s;
}

std::vector<int> ApproxLruLab::sequence() const
{
    std::vector<int> seq;
    for (int k = 0; k < m_keys; ++k)
        seq.push_back(k);
    for (int k = 0; k < m_keys / 2; ++k)
        seq.push_back(k);
    for (int k = m_keys; k < m_keys + m_keys / 2; ++k)
        seq.push_back(k);
    return seq;
}

void ApproxLruLab::plan()
{
    m_keys = int(param(QStringLiteral("keys")));
    m_runs.clear();
    for (int s : sampleSettings())
        m_runs.push_back(Run { s, {}, 0 });
    addStep(tr("load the fill script"), [this](StepDone done) {
        server().call({ "SCRIPT", "LOAD", Fill }, [this, done](const RedisReply &r) {
            if (r.isError())
                return fail(tr("SCRIPT LOAD failed: %1").arg(r.errorMessage()));
            m_scriptSha = r.bytes();
            done(tr("SCRIPT LOAD (SET key to %1 bytes) -> %2").arg(ValueBytes).arg(QString::fromLatin1(m_scriptSha)));
        });
    });
    for (std::size_t i = 0; i < m_runs.size(); ++i)
        planRun(i);
}

void ApproxLruLab::waitForTick(StepDone done, qint64 since, int polls)
{
    server().infoField("server", "lru_clock", [this, done, since, polls](qint64 now, const QString &err) {
        if (!err.isEmpty())
            return fail(err);
        if (now != since) {
            m_clock = now;
            return done(tr("INFO server: lru_clock %1 -> %2, so what follows is newer to Redis than what came before")
                            .arg(since)
                            .arg(now));
        }
        if (polls <= 0)
            return fail(tr("Redis's LRU clock did not move in %1 s").arg(TickPolls * TickPollMs / 1000));
        QTimer::singleShot(TickPollMs, this, guarded([this, done, since, polls] { waitForTick(done, since, polls - 1); }));
    });
}

void ApproxLruLab::planRun(std::size_t run)
{
    const int samples = m_runs[run].samples;
    const QString label = tr("samples %1").arg(samples);
    addStep(label, [this, samples](StepDone done) {
        server().pipeline({ { "FLUSHALL", "SYNC" },
                              { "CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "allkeys-lru", "maxmemory-samples",
                                  QByteArray::number(samples) } },
            [this, samples, done](const QList<RedisReply> &r) {
                for (const RedisReply &e : r)
                    if (e.isError())
                        return fail(tr("Redis refused the set-up: %1").arg(e.errorMessage()));
                done(tr("FLUSHALL | CONFIG SET maxmemory-policy allkeys-lru maxmemory-samples %1").arg(samples));
            });
    });
    const auto batches = [this, label](int first, int last, const QString &what, bool touch) {
        for (int from = first; from < last; from += Batch) {
            const int to = std::min(last, from + Batch);
            addStep(label, [this, from, to, what, touch](StepDone done) {
                QList<RedisCommand> cmds;
                const QByteArray size = QByteArray::number(ValueBytes);
                for (int k = from; k < to; ++k)
                    cmds.append(touch ? RedisCommand { "STRLEN", keyName(k) }
                                      : RedisCommand { "EVALSHA", m_scriptSha, "1", keyName(k), size });
                server().pipeline(cmds, [this, from, to, what, done](const QList<RedisReply> &r) {
                    for (const RedisReply &e : r)
                        if (e.isError())
                            return fail(tr("Redis refused a command: %1").arg(e.errorMessage()));
                    done(tr("%1 keys %2-%3").arg(what).arg(from).arg(to - 1));
                });
            });
        }
    };
    // 1. Fill with K keys, then cap maxmemory at what they take: now the
    //    cache is exactly full.
    batches(0, m_keys, tr("SET (fill)"), false);
    addStep(label, [this, run](StepDone done) {
        server().infoField("memory", "used_memory", [this, run, done](qint64 used, const QString &err) {
            if (!err.isEmpty())
                return fail(err);
            m_runs[run].maxmemory = used;
            server().call({ "CONFIG", "SET", "maxmemory", QByteArray::number(used) }, [this, used, done](const RedisReply &r) {
                if (r.isError())
                    return fail(r.errorMessage());
                server().infoField("server", "lru_clock", [this, used, done](qint64 clock, const QString &err) {
                    if (!err.isEmpty() || clock == 0)
                        return fail(tr("INFO server gave no lru_clock: %1").arg(err));
                    m_clock = clock;
                    done(tr("CONFIG SET maxmemory %1 (what %2 keys take: the cache is full)").arg(used).arg(m_keys));
                });
            });
        });
    });
    // 2. A clock tick, then touch the first half; another tick.
    addStep(label, [this](StepDone done) { waitForTick(done, m_clock, TickPolls); });
    batches(0, m_keys / 2, tr("STRLEN (touch)"), true);
    addStep(label, [this](StepDone done) {
        server().infoField("server", "lru_clock", [this, done](qint64 clock, const QString &err) {
            if (!err.isEmpty() || clock == 0)
                return fail(tr("INFO server gave no lru_clock: %1").arg(err));
            waitForTick(done, clock, TickPolls);
        });
    });
    // 3. K/2 new keys: each one makes Redis evict.
    batches(m_keys, m_keys + m_keys / 2, tr("SET (new)"), false);
    // 4. Who is left? EXISTS does not touch a key.
    const int total = m_keys + m_keys / 2;
    for (int from = 0; from < total; from += Batch) {
        const int to = std::min(total, from + Batch);
        addStep(label, [this, run, from, to, total](StepDone done) {
            QList<RedisCommand> cmds;
            for (int k = from; k < to; ++k)
                cmds.append({ "EXISTS", keyName(k) });
            server().pipeline(cmds, [this, run, from, to, total, done](const QList<RedisReply> &r) {
                Run &runData = m_runs[run];
                runData.kept.resize(std::size_t(total), 0);
                int kept = 0;
                for (int k = from; k < to; ++k) {
                    const RedisReply &e = r.value(k - from);
                    if (!e.isInteger())
                        return fail(tr("EXISTS %1 failed: %2").arg(QString::fromUtf8(keyName(k)), e.errorMessage()));
                    kept += (runData.kept[std::size_t(k)] = e.toInteger() == 1 ? 1 : 0);
                }
                done(tr("EXISTS keys %1-%2 -> %3 of %4 still there").arg(from).arg(to - 1).arg(kept).arg(to - from));
            });
        });
    }
}

void ApproxLruLab::conclude()
{
    const std::vector<int> seq = sequence();
    const int total = m_keys + m_keys / 2;
    LabTable table;
    table.id = QStringLiteral("runs");
    table.title = tr("Evictions against exact LRU");
    table.columns = { QStringLiteral("policy"), QStringLiteral("samples"), QStringLiteral("kept"),
        QStringLiteral("evicted"), QStringLiteral("evicted_touched"), QStringLiteral("evicted_new"),
        QStringLiteral("error") };
    // The picture: one block per run, one cell per key, keys in the order
    // they were written, `width` to a line (like the pictures of Redis's
    // own LRU test).
    const int width = std::max(20, int(std::lround(std::sqrt(double(total) * 6.0))));
    const int lines = (total + width - 1) / width;
    LabChart chart;
    chart.id = QStringLiteral("survivors");
    chart.title = tr("Which keys survived: one square a key, red = evicted");
    chart.xTitle = tr("keys in the order written, %1 a line: touched again | not touched | new").arg(width);
    chart.kind = LabChart::Kind::Scatter;
    chart.hideXLabels = true;
    LabSeries keptSeries { tr("kept"), {}, LabSeries::Look::Dots, QStringLiteral("#9aa5b1") };
    LabSeries evictedSeries { tr("evicted"), {}, LabSeries::Look::Dots, QStringLiteral("#d62728") };
    const auto cell = [width, lines](int key, double block) {
        return QPointF(key % width, -(block * (lines + 2) + key / width));
    };
    QJsonObject errors;

    const auto score = [&](const QString &policy, int samples, const std::vector<char> &kept,
                           const std::vector<char> &exactKept, double row) {
        int keptCount = 0, evicted = 0, wrong = 0, touched = 0, fresh = 0;
        for (int k = 0; k < total; ++k) {
            if (kept[std::size_t(k)]) {
                ++keptCount;
                keptSeries.points.append(cell(k, row));
                continue;
            }
            ++evicted;
            evictedSeries.points.append(cell(k, row));
            wrong += exactKept[std::size_t(k)] ? 1 : 0;
            touched += k < m_keys / 2;
            fresh += k >= m_keys;
        }
        const double error = evicted > 0 ? double(wrong) / evicted : 0.0;
        table.rows.append({ policy, samples, keptCount, evicted, touched, fresh, error });
        return error;
    };

    // Each run is held against exact LRU (and random eviction) at the size it really had.
    double errorBySamples[11] = {};
    double randomError = 0;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        const Run &run = m_runs[i];
        const int capacity = int(std::count(run.kept.begin(), run.kept.end(), 1));
        CacheSim::Lru lru(total, capacity);
        CacheSim::RandomEviction random(total, capacity, seed() + i);
        for (int k : seq) {
            lru.access(k);
            random.access(k);
        }
        std::vector<char> exactKept(static_cast<std::size_t>(total)), randomKept(static_cast<std::size_t>(total));
        for (int k = 0; k < total; ++k) {
            exactKept[std::size_t(k)] = lru.contains(k);
            randomKept[std::size_t(k)] = random.contains(k);
        }
        if (i == 0) {
            score(tr("exact LRU (in-app)"), 0, exactKept, exactKept, 0);
            randomError = score(tr("random eviction (in-app)"), 0, randomKept, exactKept, -1);
            chart.yLabels.append({ cell(0, 0).y() - lines / 2.0, tr("exact LRU") });
        }
        const double row = double(m_runs.size() - i); // samples 10 in block 1, 1 in the last
        chart.yLabels.append({ cell(0, row).y() - lines / 2.0, tr("samples %1").arg(run.samples) });
        errorBySamples[std::min(run.samples, 10)] = score(tr("Redis allkeys-lru"), run.samples, run.kept, exactKept, row);
        errors.insert(QString::number(run.samples), errorBySamples[std::min(run.samples, 10)]);
    }
    // Random eviction's row is not drawn: it is in the table for comparison.
    // (its block is the one above zero)
    for (LabSeries *series : { &keptSeries, &evictedSeries })
        series->points.erase(std::remove_if(series->points.begin(), series->points.end(),
                                 [](const QPointF &p) { return p.y() > 0; }),
            series->points.end());
    chart.series = { keptSeries, evictedSeries };

    const double e1 = errorBySamples[1], e5 = errorBySamples[5], e10 = errorBySamples[10];
    m_tables = { table };
    m_results.insert(QStringLiteral("keys"), m_keys);
    m_results.insert(QStringLiteral("runs"), table.toJson());
    m_results.insert(QStringLiteral("error_by_samples"), errors);
    m_results.insert(QStringLiteral("random_error"), randomError);
    m_reference.insert(QStringLiteral("exact_lru_error"), 0);
    m_reference.insert(QStringLiteral("random_error"), randomError);
    m_reference.insert(QStringLiteral("expect"),
        QStringLiteral("error falls as samples rise; 10 samples well below random eviction"));
    // Tolerance 0.05 between neighbours: runs differ by chance (the sampling
    // is random), but more samples must not be clearly worse.
    m_matches = !m_runs.empty() && e10 <= e5 + 0.05 && e5 <= e1 + 0.05 && e10 < randomError / 2;

    const QVariantList &exactRow = table.rows.first();
    const int exactTouched = exactRow.at(4).toInt();
    chart.caption = (exactTouched == 0
                            ? tr("Exact LRU evicted %1 keys, every one an old key nobody touched. ").arg(exactRow.at(3).toInt())
                            : tr("Exact LRU evicted %1 keys: the untouched old ones, and %2 touched ones because "
                                 "Redis ended up holding a few keys fewer than it was filled with. ")
                                  .arg(exactRow.at(3).toInt())
                                  .arg(exactTouched))
        + tr("Of the keys Redis evicted, %1% with 1 sample, %2% "
                       "with 5 and %3% with 10 were keys exact LRU would have kept (random eviction: %4%). More "
                       "samples cost a little CPU per eviction and buy a much closer LRU.")
                        .arg(QString::number(100 * e1, 'f', 1), QString::number(100 * e5, 'f', 1),
                            QString::number(100 * e10, 'f', 1), QString::number(100 * randomError, 'f', 1));
    m_charts = { chart };
}
