// AvalancheLab: fill together, read steadily, count loads; then ask for ids
// that never existed under three defences.
#include "avalanchelab.h"

#include "backend.h"
#include "existencefilter.h"
#include "labbackend.h"
#include "labserver.h"
#include "productservice.h"
#include "sampleproducts.h"

#include <QTimer>

#include <algorithm>
#include <cmath>

namespace {

constexpr int GetsPerStep = 250; // penetration gets issued in one step

} // namespace

AvalancheLab::AvalancheLab(QObject *parent)
    : Lab(parent)
{
    addParam({ QStringLiteral("keys"), tr("Products cached together"), 1000, 100, 5000, true,
        tr("How many keys are filled in one go and so expire together.") });
    addParam({ QStringLiteral("ttl"), tr("TTL (s)"), 3, 2, 30, true, tr("The TTL every fill gets.") });
    addParam({ QStringLiteral("jitter"), tr("Jitter (+-%)"), 20, 1, 50, true,
        tr("The second run spreads each TTL by up to this share either way.") });
    addParam({ QStringLiteral("missing"), tr("Ids that never existed"), 1000, 100, 10000, true,
        tr("Gets of ids no product ever had, per defence.") });
    addParam({ QStringLiteral("repeats"), tr("Gets per missing id"), 3, 2, 10, true,
        tr("How often each missing id is asked for (negative caching helps from the second).") });
    addParam({ QStringLiteral("fp-rate"), tr("Bloom filter target false positives"), 0.05, 0.001, 0.3, false,
        tr("The filter is sized for the products there are at this false-positive rate.") });
}

AvalancheLab::~AvalancheLab() = default;

QString AvalancheLab::title() const
{
    return tr("Avalanche and penetration: when every read reaches the database");
}

QString AvalancheLab::description() const
{
    return tr("Two ways a cache stops protecting its database. Avalanche: keys cached together with one TTL all "
              "expire in the same moment, and the database gets all their reloads at once; spreading the TTLs "
              "(jitter) spreads the reloads. Penetration: ids that never existed are never cached, so every get "
              "of one reaches the database; negative caching stops the repeats, a Bloom filter of the ids that "
              "exist stops nearly all of them. You will see the load peak fall with jitter, and the database "
              "reads for missing ids fall from every get, to one per id, to the filter's few false positives.");
}

QString AvalancheLab::referenceText() const
{
    return tr("Avalanche: with N keys expiring over a window of w seconds the reload rate is about N/w, so a "
              "+-J% jitter on a TTL of T widens the window to about 2JT. Penetration: a Bloom filter of m bits "
              "with k hashes holding n ids lets a missing id through with probability (1 - e^(-kn/m))^k "
              "(Bloom 1970; Broder and Mitzenmacher 2004).");
}

void AvalancheLab::releaseResources()
{
    m_backend.reset();
}

quint64 AvalancheLab::dbReads() const
{
    return m_backend->service(0)->metrics().dbReads;
}

void AvalancheLab::getMany(QList<qint64> ids, std::function<void()> done)
{
    auto left = std::make_shared<qsizetype>(ids.size());
    if (ids.isEmpty()) {
        done();
        return;
    }
    for (qint64 id : std::as_const(ids))
        m_backend->service(0)->get(id, this, [left, done](const ServiceResult &) {
            if (--*left == 0)
                done();
        });
}

void AvalancheLab::plan()
{
    m_clock.start();
    m_backend = std::make_unique<LabBackend>();
    m_avalanche[0] = Avalanche { 0, {}, 0 };
    m_avalanche[1] = Avalanche { int(param(QStringLiteral("jitter"))), {}, 0 };
    addStep(tr("start CacheLab"), [this](StepDone done) {
        m_backend->start(server().url(), 1, [this, done](const QString &error) {
            if (!error.isEmpty())
                return fail(tr("CacheLab's service did not start: %1").arg(error));
            ProductService *s = m_backend->service(0);
            s->setStrategyByName(QStringLiteral("cache-aside"));
            CacheSettings settings = s->settings();
            settings.trackRecent = false;
            s->setSettings(settings);
            done(tr("CacheLab's service on the lab's redis-server and a new SQLite file, strategy cache-aside"));
        });
    });
    addStep(tr("add products"), [this](StepDone done) {
        ProductService *s = m_backend->service(0);
        s->list(this, [this, s, done](const ServiceResult &all) {
            const int want = int(param(QStringLiteral("keys")));
            const int missing = std::max(0, want - int(all.products.size()));
            auto *adder = new SampleProducts(s, missing, this);
            connect(adder, &SampleProducts::finished, this, [this, s, done](int created, const QString &error) {
                if (!error.isEmpty())
                    return fail(tr("adding products failed: %1").arg(error));
                s->list(this, [this, created, done](const ServiceResult &now) {
                    m_ids.clear();
                    for (const Product &p : now.products)
                        m_ids << p.id;
                    done(tr("%1 products in SQLite (%2 added through the service)").arg(m_ids.size()).arg(created));
                });
            });
            adder->start();
        });
    });
    planAvalanche(0);
    planAvalanche(1);
    for (int mode = 0; mode < 3; ++mode)
        planPenetration(mode);
}

void AvalancheLab::planAvalanche(int run)
{
    const int ttl = int(param(QStringLiteral("ttl")));
    const int jitter = m_avalanche[run].jitter;
    const QString label = jitter == 0 ? tr("one TTL for all") : tr("TTL +-%1%").arg(jitter);
    addStep(label, [this, run, ttl, label](StepDone done) {
        ProductService *s = m_backend->service(0);
        CacheSettings settings = s->settings();
        settings.ttlSeconds = ttl;
        settings.ttlJitterPercent = m_avalanche[run].jitter;
        settings.negativeTtlSeconds = 10;
        s->setSettings(settings);
        s->invalidateAll(this, [this, s, label, done](const ServiceResult &) {
            s->warmUp(this, [this, label, done](const ServiceResult &w) {
                m_runStartMs = m_clock.elapsed();
                done(tr("%1: Warm Up filled %2 products at once").arg(label).arg(w.count));
            });
        });
    });
    // Long enough for the last key to expire and be read again.
    const int ticks = int(std::ceil((ttl * 1000.0 * (1.0 + jitter / 100.0) + 1500.0) / TickMs));
    const int slices = ReadPeriodMs / TickMs;
    for (int tick = 0; tick < ticks; ++tick) {
        addStep(label, [this, run, tick, slices, label](StepDone done) {
            const quint64 before = dbReads();
            QList<qint64> slice;
            for (qsizetype i = tick % slices; i < m_ids.size(); i += slices)
                slice << m_ids.at(i);
            getMany(slice, [this, run, tick, before, label, done, n = slice.size()] {
                // The tick ends on the clock, so every bucket is TickMs long.
                const qint64 end = m_runStartMs + qint64(tick + 1) * TickMs;
                const auto finish = [this, run, before, tick, label, done, n] {
                    const qint64 loads = qint64(dbReads() - before);
                    m_avalanche[run].total += loads;
                    m_avalanche[run].loadsPerSecond.push_back(double(loads) * 1000.0 / TickMs);
                    done(tr("%1, %2.%3 s: %4 gets, %5 SQLite reads")
                             .arg(label)
                             .arg(tick * TickMs / 1000)
                             .arg(tick * TickMs % 1000 / 100)
                             .arg(n)
                             .arg(loads));
                };
                const qint64 wait = end - m_clock.elapsed();
                if (wait > 0)
                    QTimer::singleShot(int(wait), this, guarded(finish));
                else
                    finish();
            });
        });
    }
}

void AvalancheLab::planPenetration(int mode)
{
    const int missing = int(param(QStringLiteral("missing")));
    const int repeats = mode == 2 ? 1 : int(param(QStringLiteral("repeats")));
    const QString names[] = { tr("no negative caching"), tr("negative caching"), tr("Bloom filter") };
    const QString label = names[mode];
    m_penetration[mode] = Penetration { label, qint64(missing) * repeats, 0, 0 };
    addStep(label, [this, mode, label](StepDone done) {
        ProductService *s = m_backend->service(0);
        CacheSettings settings = s->settings();
        settings.negativeTtlSeconds = mode == 1 ? 60 : 0;
        s->setSettings(settings);
        ExistenceFilter *filter = m_backend->backend(0)->existenceFilter();
        ExistenceFilter::Settings fs = filter->settings();
        fs.enabled = mode == 2;
        fs.expectedItems = m_ids.size(); // sized for what exists: its false positives can be counted
        fs.falsePositiveRate = param(QStringLiteral("fp-rate"));
        if (mode != 2) {
            filter->setSettings(fs);
            return done(tr("%1: negative entries %2, Bloom filter off").arg(label, mode == 1 ? tr("for 60 s") : tr("off")));
        }
        // Wait for a build with these sizes before the filter is consulted.
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection = connect(filter, &ExistenceFilter::buildFinished, this,
            [this, filter, label, done, connection](bool ok, const QString &error) {
                disconnect(*connection);
                if (!ok)
                    return fail(tr("the Bloom filter could not be built: %1").arg(error));
                const ExistenceFilter::Stats st = filter->stats();
                m_bits = st.bits;
                m_hashes = st.hashes;
                m_items = st.items;
                m_fpFormula = ExistenceFilter::estimatedRate(st.bits, st.hashes, st.items);
                done(tr("%1: built from SQLite, %2 bits, %3 hashes, %4 ids: (1 - e^(-kn/m))^k = %5; negative entries off")
                         .arg(label)
                         .arg(st.bits)
                         .arg(st.hashes)
                         .arg(st.items)
                         .arg(m_fpFormula, 0, 'f', 4));
            });
        filter->setSettings(fs);
        filter->rebuild();
    });
    // The gets: each missing id `repeats` times, the ids in turn.
    const qint64 first = MissingBase + qint64(mode) * missing;
    const qint64 total = qint64(missing) * repeats;
    for (qint64 from = 0; from < total; from += GetsPerStep) {
        const qint64 to = std::min(total, from + GetsPerStep);
        addStep(label, [this, mode, first, missing, from, to, label](StepDone done) {
            QList<qint64> ids;
            for (qint64 i = from; i < to; ++i)
                ids << first + i % missing;
            const quint64 before = dbReads();
            getMany(ids, [this, mode, from, to, before, label, done] {
                const qint64 reads = qint64(dbReads() - before);
                m_penetration[mode].dbReads += reads;
                done(tr("%1: gets %2-%3 of missing ids -> %4 SQLite reads").arg(label).arg(from + 1).arg(to).arg(reads));
            });
        });
    }
}

void AvalancheLab::conclude()
{
    const int missing = int(param(QStringLiteral("missing")));
    const int repeats = int(param(QStringLiteral("repeats")));
    const int ttl = int(param(QStringLiteral("ttl")));

    LabTable avalanche;
    avalanche.id = QStringLiteral("avalanche");
    avalanche.title = tr("Reload peak with one TTL and with jitter");
    avalanche.columns = { QStringLiteral("jitter_percent"), QStringLiteral("peak_db_loads_per_s"),
        QStringLiteral("db_loads"), QStringLiteral("keys") };
    LabChart loads;
    loads.id = QStringLiteral("avalanche");
    loads.title = tr("SQLite reads per second while %1 cached products expire").arg(m_ids.size());
    loads.xTitle = tr("seconds since the products were cached (TTL %1 s)").arg(ttl);
    loads.yTitle = tr("SQLite reads per second");
    double peaks[2] = { 0, 0 };
    for (int run = 0; run < 2; ++run) {
        const Avalanche &a = m_avalanche[run];
        LabSeries series { a.jitter == 0 ? tr("one TTL for all") : tr("TTL +-%1%").arg(a.jitter), {},
            LabSeries::Look::Line, {} };
        for (std::size_t t = 0; t < a.loadsPerSecond.size(); ++t)
            series.points.append(QPointF(double(t + 1) * TickMs / 1000.0, a.loadsPerSecond[t]));
        peaks[run] = a.loadsPerSecond.empty() ? 0 : *std::max_element(a.loadsPerSecond.begin(), a.loadsPerSecond.end());
        loads.series.append(series);
        avalanche.rows.append({ a.jitter, peaks[run], a.total, qint64(m_ids.size()) });
    }

    LabTable penetration;
    penetration.id = QStringLiteral("penetration");
    penetration.title = tr("SQLite reads for ids that never existed");
    penetration.columns = { QStringLiteral("mode"), QStringLiteral("gets"), QStringLiteral("db_reads"),
        QStringLiteral("expected") };
    m_penetration[0].expected = qint64(missing) * repeats;
    m_penetration[1].expected = missing;
    m_penetration[2].expected = qint64(std::llround(m_fpFormula * missing));
    LabChart bars;
    bars.id = QStringLiteral("penetration");
    bars.title = tr("SQLite reads for %1 ids that never existed").arg(missing);
    bars.yTitle = tr("SQLite reads");
    bars.kind = LabChart::Kind::Bars;
    LabSeries measured { tr("measured"), {}, LabSeries::Look::Line, {} };
    LabSeries expected { tr("expected"), {}, LabSeries::Look::Line, {} };
    for (int mode = 0; mode < 3; ++mode) {
        const Penetration &p = m_penetration[mode];
        bars.categories << p.mode;
        measured.points.append(QPointF(mode, double(p.dbReads)));
        expected.points.append(QPointF(mode, double(p.expected)));
        penetration.rows.append({ p.mode, p.gets, p.dbReads, p.expected });
    }
    bars.series = { measured, expected };
    m_fpMeasured = missing > 0 ? double(m_penetration[2].dbReads) / missing : 0;
    // A false positive is a coin with probability p per id: allow three
    // standard deviations of the count, and one id.
    const double sigma = std::sqrt(m_fpFormula * (1 - m_fpFormula) / std::max(1, missing));
    const bool fpClose = std::abs(m_fpMeasured - m_fpFormula) <= 3 * sigma + 1.0 / std::max(1, missing);

    m_tables = { avalanche, penetration };
    QJsonObject peak;
    peak.insert(QStringLiteral("no_jitter"), peaks[0]);
    peak.insert(QStringLiteral("jitter"), peaks[1]);
    m_results.insert(QStringLiteral("peak_db_loads_per_s"), peak);
    m_results.insert(QStringLiteral("avalanche"), avalanche.toJson());
    m_results.insert(QStringLiteral("penetration"), penetration.toJson());
    QJsonObject fp;
    fp.insert(QStringLiteral("measured"), m_fpMeasured);
    fp.insert(QStringLiteral("formula"), m_fpFormula);
    fp.insert(QStringLiteral("bits"), m_bits);
    fp.insert(QStringLiteral("hashes"), m_hashes);
    fp.insert(QStringLiteral("items"), m_items);
    m_results.insert(QStringLiteral("bloom_false_positive_rate"), fp);
    const int jitter = m_avalanche[1].jitter;
    m_reference.insert(QStringLiteral("jitter_window_s"), 2.0 * jitter / 100.0 * ttl);
    m_reference.insert(QStringLiteral("penetration"),
        QStringLiteral("no negative caching: every get; negative caching: one per id; Bloom filter: its false positives"));
    m_reference.insert(QStringLiteral("bloom_formula"), QStringLiteral("(1 - e^(-kn/m))^k"));
    m_matches = peaks[1] < 0.75 * peaks[0] && m_penetration[0].dbReads == m_penetration[0].expected
        && m_penetration[1].dbReads == m_penetration[1].expected && fpClose;

    loads.caption = tr("With one TTL the %1 products came back from SQLite at up to %2 reads a second; with the TTL "
                       "spread by +-%3% (a window of about %4 s) the peak was %5 a second, %6 of it.")
                        .arg(m_ids.size())
                        .arg(peaks[0], 0, 'f', 0)
                        .arg(jitter)
                        .arg(2.0 * jitter / 100.0 * ttl, 0, 'f', 1)
                        .arg(peaks[1], 0, 'f', 0)
                        .arg(peaks[0] > 0 ? QString::number(100 * peaks[1] / peaks[0], 'f', 0) + QLatin1Char('%') : QStringLiteral("-"));
    bars.caption = tr("%1 gets of %2 missing ids: without negative caching %3 reached SQLite, with it %4 (one per id); "
                      "with the Bloom filter %5 got through, a false-positive rate of %6 against %7 from the formula "
                      "for m = %8 bits, k = %9.")
                       .arg(qint64(missing) * repeats)
                       .arg(missing)
                       .arg(m_penetration[0].dbReads)
                       .arg(m_penetration[1].dbReads)
                       .arg(m_penetration[2].dbReads)
                       .arg(m_fpMeasured, 0, 'f', 4)
                       .arg(m_fpFormula, 0, 'f', 4)
                       .arg(m_bits)
                       .arg(m_hashes);
    m_charts = { loads, bars };
}
