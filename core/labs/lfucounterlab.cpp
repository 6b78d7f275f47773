// LfuCounterLab: hit a key, read OBJECT FREQ, compare with redis.conf.
#include "lfucounterlab.h"

#include "cachesim.h"
#include "labserver.h"
#include "redisreply.h"

#include <QJsonArray>
#include <QLocale>

#include <algorithm>
#include <cmath>

namespace {

constexpr int Factors[] = { 0, 1, 10, 100 };
constexpr int InitialCounter = 5; // LFU_INIT_VAL: a new key's counter
constexpr qint64 HitsPerCall = 50000; // INCRs in one script call: about 20 ms of Redis's time
// A reading is judged against the middle 99.9% of the simulated counters: a
// correct Redis then fails the whole table (about 8 random readings) in
// about one run in a hundred.
constexpr double BandLow = 0.0005, BandHigh = 0.9995;

QString number(qint64 n)
{
    return QLocale(QLocale::English).toString(n);
}

QByteArray counterKey(int factor)
{
    return "lab:lfu:factor-" + QByteArray::number(factor);
}

// INCR the key n times inside one call: the same accesses as redis.conf's
// "redis-benchmark -n 1000000 incr foo", without a round trip for each.
const QByteArray IncrLoop = QByteArrayLiteral(
    "local n = tonumber(ARGV[1]) for i = 1, n do redis.call('INCR', KEYS[1]) end return n");

} // namespace

LfuCounterLab::LfuCounterLab(QObject *parent)
    : Lab(parent)
{
    addParam({ QStringLiteral("max-hits"), tr("Hits per factor"), 1000000, 1000, 10000000, true,
        tr("The key is hit this many times under each factor; readings at 100, 1,000, 100,000, 1,000,000 and "
           "10,000,000 up to it.") });
    addParam({ QStringLiteral("trials"), tr("Model trials"), 10000, 1000, 50000, true,
        tr("Runs of the increment rule simulated in-app to get the range chance allows.") });
}

QString LfuCounterLab::title() const
{
    return tr("LFU counter: how Redis counts hits in 8 bits");
}

QString LfuCounterLab::description() const
{
    return tr("Redis's LFU eviction keeps one 8-bit counter per key, so it cannot count hits one by one. Each hit "
              "raises the counter with a probability that falls as the counter grows, scaled by lfu-log-factor. "
              "This lab hits one key up to a million times under factors 0, 1, 10 and 100 on a private "
              "redis-server and reads the counter with OBJECT FREQ along the way. You will see factor 0 fill up "
              "after about 250 hits while factor 100 still tells a thousand hits from a million, and every "
              "reading land near redis.conf's own table.");
}

QString LfuCounterLab::referenceText() const
{
    return tr("The lfu-log-factor table in redis.conf (Redis 7.0; the same table is in the LRU/LFU eviction "
              "documentation). Readings are judged against the 99.9% range of the same random process simulated "
              "in-app; the table's numbers are single runs of it.");
}

const std::map<int, std::map<qint64, int>> &LfuCounterLab::docsTable()
{
    static const std::map<int, std::map<qint64, int>> table {
        { 0, { { 100, 104 }, { 1000, 255 }, { 100000, 255 }, { 1000000, 255 }, { 10000000, 255 } } },
        { 1, { { 100, 18 }, { 1000, 49 }, { 100000, 255 }, { 1000000, 255 }, { 10000000, 255 } } },
        { 10, { { 100, 10 }, { 1000, 18 }, { 100000, 142 }, { 1000000, 255 }, { 10000000, 255 } } },
        { 100, { { 100, 8 }, { 1000, 11 }, { 100000, 49 }, { 1000000, 143 }, { 10000000, 255 } } },
    };
    return table;
}

std::vector<std::vector<int>> LfuCounterLab::modelCounters(int factor, const std::vector<qint64> &hits, int trials,
    std::uint64_t seed)
{
    std::vector<std::vector<int>> out(hits.size());
    std::uint64_t state = seed;
    for (int t = 0; t < trials; ++t) {
        // The first hit creates the key at 5; each later hit is one try.
        // Rather than one draw per hit, draw how many tries the next rise
        // takes (geometric with the current probability).
        int counter = InitialCounter;
        qint64 tries = 0; // tries used so far
        qint64 nextRiseAt = 0;
        const auto scheduleRise = [&] {
            if (counter >= 255) {
                nextRiseAt = std::numeric_limits<qint64>::max();
                return;
            }
            const double base = std::max(0, counter - InitialCounter);
            const double p = 1.0 / (base * factor + 1.0);
            qint64 wait = 1;
            if (p < 1.0) {
                const double u = 1.0 - CacheSim::nextUniform(state); // (0, 1]
                wait = std::max<qint64>(1, qint64(std::ceil(std::log(u) / std::log1p(-p))));
            }
            nextRiseAt = tries + wait;
        };
        scheduleRise();
        for (std::size_t i = 0; i < hits.size(); ++i) {
            const qint64 available = std::max<qint64>(0, hits[i] - 1);
            while (nextRiseAt <= available) {
                tries = nextRiseAt;
                ++counter;
                scheduleRise();
            }
            out[i].push_back(counter);
        }
    }
    for (auto &v : out)
        std::sort(v.begin(), v.end());
    return out;
}

std::vector<qint64> LfuCounterLab::checkpoints() const
{
    std::vector<qint64> out;
    const auto max = qint64(param(QStringLiteral("max-hits")));
    for (qint64 h : { 100LL, 1000LL, 100000LL, 1000000LL, 10000000LL })
        if (h <= max)
            out.push_back(h);
    if (out.empty() || out.back() != max)
        out.push_back(max);
    return out;
}

void LfuCounterLab::plan()
{
    m_readings.clear();
    m_model.clear();
    addStep(tr("configure the server"), [this](StepDone done) {
        // maxmemory must be set: with none, small integers are shared
        // objects, and every key holding one would share one counter.
        server().call({ "CONFIG", "SET", "maxmemory", "64mb", "maxmemory-policy", "allkeys-lfu", "lfu-decay-time", "0" },
            [this, done](const RedisReply &r) {
                if (r.isError())
                    return fail(tr("CONFIG SET failed: %1").arg(r.errorMessage()));
                done(tr("CONFIG SET maxmemory 64mb maxmemory-policy allkeys-lfu lfu-decay-time 0 -> OK (no decay, "
                        "so the counter only rises)"));
            });
    });
    const std::vector<qint64> marks = checkpoints();
    for (int factor : Factors) {
        addStep(tr("factor %1").arg(factor), [this, factor](StepDone done) {
            server().pipeline({ { "CONFIG", "SET", "lfu-log-factor", QByteArray::number(factor) }, { "DEL", counterKey(factor) } },
                [this, factor, done](const QList<RedisReply> &r) {
                    if (r.value(0).isError())
                        return fail(tr("CONFIG SET lfu-log-factor failed: %1").arg(r.value(0).errorMessage()));
                    done(tr("CONFIG SET lfu-log-factor %1 -> OK; a new key %2").arg(factor).arg(QString::fromUtf8(counterKey(factor))));
                });
        });
        qint64 at = 0;
        for (qint64 mark : marks) {
            while (at < mark) {
                const qint64 from = at;
                const qint64 to = std::min(mark, at + HitsPerCall);
                at = to;
                addStep(tr("factor %1: hits %2 to %3").arg(factor).arg(number(from + 1), number(to)),
                    [this, factor, from, to](StepDone done) {
                        const QByteArray key = counterKey(factor);
                        server().pipeline({ { "EVAL", IncrLoop, "1", key, QByteArray::number(to - from) },
                                              { "OBJECT", "FREQ", key } },
                            [this, factor, from, to, key, done](const QList<RedisReply> &r) {
                                for (const RedisReply &e : r)
                                    if (e.isError())
                                        return fail(tr("Redis refused the hits: %1").arg(e.errorMessage()));
                                const int freq = int(r.value(1).toInteger());
                                m_readings[factor][to] = freq;
                                done(tr("INCR %1 x %2 (hits %3-%4) | OBJECT FREQ -> %5")
                                         .arg(QString::fromUtf8(key), number(to - from), number(from + 1), number(to))
                                         .arg(freq));
                            });
                    });
            }
        }
    }
    for (int factor : Factors) {
        addStep(tr("model, factor %1").arg(factor), [this, factor, marks](StepDone done) {
            const int trials = int(param(QStringLiteral("trials")));
            m_model[factor] = modelCounters(factor, marks, trials, seed() * 1000003u + std::uint64_t(factor));
            const auto &last = m_model[factor].back();
            done(tr("model, factor %1: %2 simulated runs; after %3 hits the counter is %4 to %5 in 99.9% of them")
                     .arg(factor)
                     .arg(trials)
                     .arg(number(marks.back()))
                     .arg(last[std::size_t(BandLow * double(last.size()))])
                     .arg(last[std::size_t(std::ceil(BandHigh * double(last.size()))) - 1]));
        });
    }
}

void LfuCounterLab::conclude()
{
    const std::vector<qint64> marks = checkpoints();
    LabTable table;
    table.id = QStringLiteral("table");
    table.title = tr("OBJECT FREQ after N hits");
    table.columns = { QStringLiteral("factor"), QStringLiteral("hits"), QStringLiteral("freq"), QStringLiteral("docs"),
        QStringLiteral("model_median"), QStringLiteral("model_low"), QStringLiteral("model_high"),
        QStringLiteral("within_model") };
    int inside = 0, rows = 0, docsInside = 0, docsRows = 0;
    QJsonArray docsJson;
    for (int factor : Factors) {
        for (std::size_t i = 0; i < marks.size(); ++i) {
            const qint64 hits = marks[i];
            const auto &sorted = m_model[factor][i];
            const int low = sorted[std::size_t(BandLow * double(sorted.size()))];
            const int high = sorted[std::size_t(std::ceil(BandHigh * double(sorted.size()))) - 1];
            const int median = sorted[sorted.size() / 2];
            const int freq = m_readings[factor][hits];
            const auto docsRow = docsTable().at(factor);
            const auto docs = docsRow.find(hits);
            const bool within = freq >= low && freq <= high;
            inside += within;
            ++rows;
            QVariant docsValue;
            if (docs != docsRow.end()) {
                docsValue = docs->second;
                ++docsRows;
                docsInside += docs->second >= low && docs->second <= high;
                QJsonObject d;
                d.insert(QStringLiteral("factor"), factor);
                d.insert(QStringLiteral("hits"), hits);
                d.insert(QStringLiteral("freq"), docs->second);
                docsJson.append(d);
            }
            table.rows.append({ factor, hits, freq, docsValue, median, low, high, within });
        }
    }
    m_tables = { table };
    m_results.insert(QStringLiteral("table"), table.toJson());
    m_results.insert(QStringLiteral("readings_within_model"), inside);
    m_results.insert(QStringLiteral("readings"), rows);
    m_reference.insert(QStringLiteral("source"), QStringLiteral("redis.conf, lfu-log-factor table (Redis 7.0)"));
    m_reference.insert(QStringLiteral("table"), docsJson);
    m_reference.insert(QStringLiteral("docs_within_model"), docsInside);
    m_reference.insert(QStringLiteral("docs_rows"), docsRows);
    m_reference.insert(QStringLiteral("rule"),
        QStringLiteral("counter starts at 5; each later hit adds 1 with probability 1/((counter-5)*factor+1); max 255"));
    m_matches = rows > 0 && inside == rows;

    LabChart chart;
    chart.id = QStringLiteral("counter");
    chart.title = tr("OBJECT FREQ against hits");
    chart.xTitle = tr("hits (log scale)");
    chart.yTitle = tr("OBJECT FREQ");
    chart.logX = true;
    for (int factor : Factors) {
        LabSeries measured { tr("factor %1, this run").arg(factor), {}, LabSeries::Look::Dashed, {} };
        for (const auto &[hits, freq] : m_readings[factor])
            measured.points.append(QPointF(double(hits), freq));
        chart.series.append(measured);
    }
    for (int factor : Factors) {
        LabSeries docs { tr("factor %1, redis.conf").arg(factor), {}, LabSeries::Look::Dots, {} };
        for (const auto &[hits, freq] : docsTable().at(factor))
            if (hits <= marks.back())
                docs.points.append(QPointF(double(hits), freq));
        chart.series.append(docs);
    }
    // The caption quotes this run's own numbers.
    const auto reading = [this](int factor, qint64 hits) { return m_readings[factor].count(hits) ? m_readings[factor][hits] : -1; };
    QString caption = tr("%1 of %2 readings fell inside the range the increment rule allows by chance (99.9% "
                         "of simulated runs).")
                          .arg(inside)
                          .arg(rows);
    if (reading(10, 1000) >= 0 && reading(10, 100000) >= 0)
        caption += QLatin1Char(' ')
            + tr("At factor 10 a hundred times the hits (1,000 to 100,000) moved the counter only from %1 to %2: it "
                 "grows like a logarithm, so 8 bits still tell a warm key from a hot one.")
                  .arg(reading(10, 1000))
                  .arg(reading(10, 100000));
    if (reading(0, 1000) >= 0)
        caption += QLatin1Char(' ')
            + tr("Factor 0 counts every hit and was at %1 after 1,000 hits, so it cannot rank busy keys.")
                  .arg(reading(0, 1000));
    chart.caption = caption;
    m_charts = { chart };
}
