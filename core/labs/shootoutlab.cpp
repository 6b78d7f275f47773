// ShootOutLab: the same workload, five strategies, one table.
#include "shootoutlab.h"

#include "labbackend.h"
#include "labserver.h"
#include "productservice.h"
#include "sampleproducts.h"
#include "strategykind.h"

#include <algorithm>
#include <cmath>

namespace {

constexpr int ProbeTimeoutMs = 3000;
constexpr int ProbePollMs = 5;
constexpr int RiskSampleMs = 100;
constexpr qint64 ProbePriceBase = 900000; // probe writes use prices from here: never a workload price

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto at = std::size_t(std::ceil(p * double(v.size()))) - 1;
    return v[std::min(at, v.size() - 1)];
}

} // namespace

ShootOutLab::ShootOutLab(QObject *parent)
    : Lab(parent)
{
    addParam({ QStringLiteral("reads"), tr("Reads (% of calls)"), 80, 0, 100, true,
        tr("The rest are writes (a new price for the product).") });
    addParam({ QStringLiteral("seconds"), tr("Seconds per strategy"), 5, 2, 60, true,
        tr("How long the workload runs under each strategy.") });
    addParam({ QStringLiteral("products"), tr("Products"), 200, 20, 2000, true, tr("How many products the calls go to.") });
    addParam({ QStringLiteral("alpha"), tr("Zipf alpha"), 1.0, 0.1, 2.0, false,
        tr("How skewed the popularity of the products is.") });
    addParam({ QStringLiteral("in-flight"), tr("Calls in flight"), 8, 1, 64, true,
        tr("Calls outstanding at any moment, spread over the two instances.") });
    m_riskSampler.setInterval(RiskSampleMs);
}

ShootOutLab::~ShootOutLab() = default;

QString ShootOutLab::title() const
{
    return tr("Strategy shoot-out: one workload, five strategies");
}

QString ShootOutLab::description() const
{
    return tr("The same mix of reads and writes, from two CacheLab instances, under each strategy in turn: no "
              "cache, cache-aside, read-through, write-through and write-behind. The table is the one a class "
              "fills in by hand: hit ratio, read and write latency, SQLite reads and writes per second, how long "
              "the other instance still sees the old value after a write, and how many acknowledged writes are at "
              "risk (only in Redis) at any moment. You will see the caches take the reads off SQLite, "
              "write-through pay for its safety in write latency, and write-behind be fastest to write while "
              "holding writes that are not yet in SQLite.");
}

QString ShootOutLab::referenceText() const
{
    return tr("What the patterns promise (the textbook table): no cache reads SQLite on every read and never hits; "
              "the caching strategies hit; only write-behind acknowledges writes before SQLite has them (writes at "
              "risk above zero) and writes SQLite less often than it is written to (coalescing); every other "
              "strategy has none at risk.");
}

void ShootOutLab::releaseResources()
{
    m_riskSampler.stop();
    m_probeDone = nullptr;
    m_loadDone = nullptr;
    m_backend.reset();
}

ShootOutLab::Totals ShootOutLab::totals() const
{
    Totals t;
    for (int i = 0; i < m_backend->instances(); ++i) {
        const MetricsSnapshot m = m_backend->service(i)->metrics();
        t.hits += m.hits + m.negativeHits;
        t.misses += m.misses;
        t.sqlReads += m.dbReads;
        t.sqlWrites += m.dbWrites;
    }
    return t;
}

void ShootOutLab::plan()
{
    m_clock.start();
    m_figures.clear();
    m_backend = std::make_unique<LabBackend>();
    m_zipf.emplace(int(param(QStringLiteral("products"))), param(QStringLiteral("alpha")));
    addStep(tr("start two CacheLab instances"), [this](StepDone done) {
        m_backend->start(server().url(), 2, [this, done](const QString &error) {
            if (!error.isEmpty())
                return fail(tr("CacheLab's service did not start: %1").arg(error));
            done(tr("two ProductService instances on the lab's redis-server and one SQLite file"));
        });
    });
    addStep(tr("add products"), [this](StepDone done) {
        ProductService *s = m_backend->service(0);
        s->list(this, [this, s, done](const ServiceResult &all) {
            const int want = int(param(QStringLiteral("products"))) + 1; // +1: the probe's own product
            auto *adder = new SampleProducts(s, std::max(0, want - int(all.products.size())), this);
            connect(adder, &SampleProducts::finished, this, [this, s, done](int, const QString &error) {
                if (!error.isEmpty())
                    return fail(tr("adding products failed: %1").arg(error));
                s->list(this, [this, done](const ServiceResult &now) {
                    m_ids.clear();
                    for (const Product &p : now.products)
                        m_ids.push_back(p.id);
                    done(tr("%1 products; calls pick them by Zipf(%2) popularity, the last one is the probe's")
                             .arg(m_ids.size() - 1)
                             .arg(param(QStringLiteral("alpha"))));
                });
            });
            adder->start();
        });
    });
    const QStringList strategies = strategyNames();
    for (int i = 0; i < strategies.size(); ++i) {
        Figures f;
        f.strategy = strategies.at(i);
        m_figures.push_back(f);
        planStrategy(i);
    }
}

void ShootOutLab::planStrategy(int index)
{
    const QString name = m_figures[std::size_t(index)].strategy;
    addStep(name, [this, index, name](StepDone done) {
        // The same start for each: this strategy on both, an empty cache, zeroed counters.
        for (int i = 0; i < m_backend->instances(); ++i) {
            ProductService *s = m_backend->service(i);
            s->setStrategyByName(name);
            CacheSettings settings = s->settings();
            settings.trackRecent = false;
            settings.ttlJitterPercent = 0;
            s->setSettings(settings);
        }
        m_backend->service(0)->invalidateAll(this, [this, index, name, done](const ServiceResult &) {
            m_before = totals();
            Q_UNUSED(index);
            done(tr("%1 on both instances, cache emptied").arg(name));
        });
    });
    const int seconds = int(param(QStringLiteral("seconds")));
    for (int s = 0; s < seconds; ++s) {
        addStep(name, [this, index, s, name](StepDone done) {
            // A staleness probe, then a second of the workload.
            probe(index, [this, index, s, name, done](double ms) {
                Figures &f = m_figures[std::size_t(index)];
                if (ms >= 0)
                    f.staleMs.push_back(ms);
                runLoad(index, [this, index, s, name, ms, done](const QString &) {
                    const Figures &f = m_figures[std::size_t(index)];
                    done(tr("%1, second %2: %3 reads, %4 writes so far; the other instance saw a write after %5")
                             .arg(name)
                             .arg(s + 1)
                             .arg(f.reads)
                             .arg(f.writes)
                             .arg(ms >= 0 ? tr("%1 ms").arg(ms, 0, 'f', 1) : tr("more than %1 s").arg(ProbeTimeoutMs / 1000)));
                });
            });
        });
    }
    addStep(name, [this, index, name](StepDone done) {
        Figures &f = m_figures[std::size_t(index)];
        const Totals now = totals();
        f.hits = now.hits - m_before.hits;
        f.misses = now.misses - m_before.misses;
        f.sqlReads = now.sqlReads - m_before.sqlReads;
        f.sqlWrites = now.sqlWrites - m_before.sqlWrites;
        // What is queued goes to SQLite before the next strategy starts.
        m_backend->service(0)->drainWriteBehind(this, [this, index, name, done](const ServiceResult &) {
            const Figures &f = m_figures[std::size_t(index)];
            done(tr("%1: hit ratio %2, %3 SQLite reads and %4 writes; write-behind queue drained")
                     .arg(name)
                     .arg(f.hits + f.misses > 0 ? double(f.hits) / double(f.hits + f.misses) : 0.0, 0, 'f', 3)
                     .arg(f.sqlReads)
                     .arg(f.sqlWrites));
        });
    });
}

void ShootOutLab::probe(int index, std::function<void(double)> done)
{
    Q_UNUSED(index);
    // Write a price no workload call writes on instance 0; read on instance
    // 1 until it shows. The time from the write's acknowledgement to then.
    m_probeId = m_ids.back();
    m_probePrice = ProbePriceBase + (++m_probeSeq % 90000);
    m_probeDone = std::move(done);
    m_backend->service(0)->update(m_probeId, QStringLiteral("Probe"), m_probePrice, 0, this, [this](const ServiceResult &w) {
        if (w.status != ServiceStatus::Ok) {
            if (auto then = std::exchange(m_probeDone, nullptr))
                then(-1);
            return;
        }
        m_probeSince.start();
        pollProbe();
    });
}

void ShootOutLab::pollProbe()
{
    m_backend->service(1)->get(m_probeId, this, [this](const ServiceResult &r) {
        const double ms = double(m_probeSince.nsecsElapsed()) / 1e6;
        const bool seen = r.product && r.product->price == m_probePrice;
        if (seen || ms > ProbeTimeoutMs) {
            if (auto then = std::exchange(m_probeDone, nullptr))
                then(seen ? ms : -1);
            return;
        }
        QTimer::singleShot(ProbePollMs, this, guarded([this] { pollProbe(); }));
    });
}

void ShootOutLab::runLoad(int index, StepDone done)
{
    m_loadEndsAt = m_clock.elapsed() + 1000;
    m_loadDone = std::move(done);
    const int workers = int(param(QStringLiteral("in-flight")));
    m_workersLeft = workers;
    m_riskSampler.disconnect();
    connect(&m_riskSampler, &QTimer::timeout, this, [this, index] {
        if (!m_backend || m_backend->instances() < 2)
            return;
        Figures &f = m_figures[std::size_t(index)];
        const int depth = std::max(m_backend->service(0)->queueDepth(), m_backend->service(1)->queueDepth());
        f.atRiskMax = std::max(f.atRiskMax, depth);
        f.atRiskSum += depth;
        ++f.atRiskSamples;
    });
    m_riskSampler.start();
    for (int w = 0; w < workers; ++w)
        issue(index, w);
}

void ShootOutLab::issue(int index, int worker)
{
    if (m_clock.elapsed() >= m_loadEndsAt) {
        if (--m_workersLeft == 0) {
            m_riskSampler.stop();
            m_figures[std::size_t(index)].seconds += 1;
            if (auto then = std::exchange(m_loadDone, nullptr))
                then({});
        }
        return;
    }
    ProductService *s = m_backend->service(worker % m_backend->instances());
    const auto rank = std::size_t(m_zipf->keyFor(CacheSim::nextUniform(rng())));
    const qint64 id = m_ids[std::min(rank, m_ids.size() - 2)];
    const bool read = CacheSim::nextUniform(rng()) * 100.0 < param(QStringLiteral("reads"));
    QElapsedTimer t;
    t.start();
    const auto finished = [this, index, worker, t, read](const ServiceResult &r) {
        Figures &f = m_figures[std::size_t(index)];
        const double ms = double(t.nsecsElapsed()) / 1e6;
        if (r.status != ServiceStatus::Ok && r.status != ServiceStatus::NotFound)
            ++f.errors;
        (read ? f.readMs : f.writeMs).push_back(ms);
        ++(read ? f.reads : f.writes);
        issue(index, worker);
    };
    if (read)
        s->get(id, this, finished);
    else
        s->update(id, QStringLiteral("Product %1").arg(id), 100 + qint64(CacheSim::nextRandom(rng()) % 90000), 0, this,
            finished);
}

void ShootOutLab::conclude()
{
    LabTable table;
    table.id = QStringLiteral("strategies");
    table.title = tr("One workload under each strategy");
    table.columns = { QStringLiteral("strategy"), QStringLiteral("hit_ratio"), QStringLiteral("read_p50_ms"),
        QStringLiteral("read_p99_ms"), QStringLiteral("write_p50_ms"), QStringLiteral("write_p99_ms"),
        QStringLiteral("sql_reads_per_s"), QStringLiteral("sql_writes_per_s"), QStringLiteral("writes_per_s"),
        QStringLiteral("staleness_ms"), QStringLiteral("staleness_max_ms"), QStringLiteral("writes_at_risk_max"),
        QStringLiteral("writes_at_risk_mean"), QStringLiteral("errors") };
    struct Figure
    {
        const char *id;
        QString title;
        QString unit;
        int column;
    };
    const QList<Figure> figures {
        { "hit-ratio", tr("Hit ratio"), tr("share of reads"), 1 },
        { "read-latency", tr("Read latency, p99"), tr("ms"), 3 },
        { "write-latency", tr("Write latency, p99"), tr("ms"), 5 },
        { "sql-reads", tr("SQLite reads per second"), tr("per second"), 6 },
        { "sql-writes", tr("SQLite writes per second"), tr("per second"), 7 },
        { "staleness", tr("Other instance sees a write after"), tr("ms (median)"), 9 },
        { "at-risk", tr("Acknowledged writes only in Redis, at most"), tr("writes"), 11 },
    };
    bool ok = true;
    for (const Figures &f : m_figures) {
        const double seconds = std::max(1.0, f.seconds);
        const double hitRatio = f.hits + f.misses > 0 ? double(f.hits) / double(f.hits + f.misses) : 0.0;
        table.rows.append({ f.strategy, hitRatio, percentile(f.readMs, 0.5), percentile(f.readMs, 0.99),
            percentile(f.writeMs, 0.5), percentile(f.writeMs, 0.99), double(f.sqlReads) / seconds,
            double(f.sqlWrites) / seconds, double(f.writes) / seconds, percentile(f.staleMs, 0.5),
            percentile(f.staleMs, 1.0), f.atRiskMax, f.atRiskSamples > 0 ? f.atRiskSum / f.atRiskSamples : 0.0,
            f.errors });
        // The textbook's claims, as far as they are facts of the design.
        ok &= f.errors == 0;
        if (f.strategy == QLatin1String("none"))
            ok &= f.hits == 0;
        else if (f.reads > 50)
            ok &= hitRatio > 0;
        if (f.strategy == QLatin1String("write-behind"))
            ok &= f.writes == 0 || f.atRiskMax > 0;
        else
            ok &= f.atRiskMax == 0;
    }
    m_tables = { table };
    m_results.insert(QStringLiteral("strategies"), table.toJson());
    m_reference.insert(QStringLiteral("none_hit_ratio"), 0);
    m_reference.insert(QStringLiteral("writes_at_risk"), QStringLiteral("0 for every strategy but write-behind"));
    m_matches = ok && !m_figures.empty();

    m_charts.clear();
    for (const Figure &fig : figures) {
        LabChart chart;
        chart.id = QLatin1String(fig.id);
        chart.title = fig.title;
        chart.yTitle = fig.unit;
        chart.kind = LabChart::Kind::Bars;
        LabSeries series { fig.title, {}, LabSeries::Look::Line, {} };
        for (int i = 0; i < table.rows.size(); ++i) {
            chart.categories << table.rows.at(i).at(0).toString();
            series.points.append(QPointF(i, table.rows.at(i).at(fig.column).toDouble()));
        }
        chart.series = { series };
        // Its caption: where the strategies stand on this figure, this run.
        int lo = 0, hi = 0;
        for (int i = 1; i < series.points.size(); ++i) {
            lo = series.points.at(i).y() < series.points.at(lo).y() ? i : lo;
            hi = series.points.at(i).y() > series.points.at(hi).y() ? i : hi;
        }
        if (!series.points.isEmpty())
            chart.caption = tr("Lowest: %1 (%2); highest: %3 (%4).")
                                .arg(chart.categories.at(lo))
                                .arg(series.points.at(lo).y(), 0, 'g', 3)
                                .arg(chart.categories.at(hi))
                                .arg(series.points.at(hi).y(), 0, 'g', 3);
        m_charts.append(chart);
    }
    // One caption, on the first chart, from the measured rows.
    const auto row = [&table](const QString &strategy) -> QVariantList {
        for (const QVariantList &r : std::as_const(table.rows))
            if (r.at(0).toString() == strategy)
                return r;
        return {};
    };
    const QVariantList none = row(QStringLiteral("none")), aside = row(QStringLiteral("cache-aside")),
                       through = row(QStringLiteral("write-through")), behind = row(QStringLiteral("write-behind"));
    if (!none.isEmpty() && !aside.isEmpty() && !through.isEmpty() && !behind.isEmpty())
        m_charts.first().caption
            += QLatin1Char(' ') + tr("Cache-aside hit %1% of the reads and cut SQLite reads from %2 to %3 a second. Write-through's "
                 "writes took %4 ms at p99 against write-behind's %5 ms, and write-behind wrote SQLite %6 times a "
                 "second for %7 writes a second, holding up to %8 acknowledged writes that SQLite did not have yet.")
                  .arg(100 * aside.at(1).toDouble(), 0, 'f', 0)
                  .arg(none.at(6).toDouble(), 0, 'f', 0)
                  .arg(aside.at(6).toDouble(), 0, 'f', 0)
                  .arg(through.at(5).toDouble(), 0, 'f', 1)
                  .arg(behind.at(5).toDouble(), 0, 'f', 1)
                  .arg(behind.at(7).toDouble(), 0, 'f', 0)
                  .arg(behind.at(8).toDouble(), 0, 'f', 0)
                  .arg(behind.at(11).toInt());
}
