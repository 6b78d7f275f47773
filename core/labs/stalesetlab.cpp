// StaleSetLab: reader miss, writer commit + delete, late fill, next read.
#include "stalesetlab.h"

#include "labbackend.h"
#include "labserver.h"
#include "productservice.h"
#include "redisreply.h"

namespace {

QByteArray key()
{
    return "product:" + QByteArray::number(StaleSetLab::ProductId);
}

} // namespace

StaleSetLab::StaleSetLab(QObject *parent)
    : Lab(parent)
{
    addParam({ QStringLiteral("ttl"), tr("TTL (s)"), 60, 5, 3600, true,
        tr("How long a stale copy would be served: until the key expires.") });
}

StaleSetLab::~StaleSetLab() = default;

QString StaleSetLab::title() const
{
    return tr("Stale set: the race that keeps an old value in the cache");
}

QString StaleSetLab::description() const
{
    return tr("Cache-aside reads SQLite on a miss and then writes what it read into Redis. If a writer commits a "
              "new version and deletes the key in between, the reader's late write puts the old version back, "
              "and every read serves it until the TTL runs out. Use Step to play the race one move at a time: "
              "first with no guard, where the last read gets the old version from the cache, then with "
              "CacheLab's guard, where the late write is refused and the last read gets the new version.");
}

QString StaleSetLab::referenceText() const
{
    return tr("The race as Facebook's memcache paper describes it (Nishtala et al., \"Scaling Memcache at "
              "Facebook\", NSDI 2013: stale sets, prevented there with leases). Expected: without a guard the "
              "cache serves the reader's old version after the writer's commit; with the guard it never does.");
}

QString StaleSetLab::oneLine(const OperationTrace &trace)
{
    QStringList parts;
    for (const TraceStep &s : trace.steps) {
        if (s.system == TraceSystem::App)
            continue;
        parts << QStringLiteral("%1 (%2)").arg(s.text.left(70), traceOutcomeName(s.outcome));
    }
    return parts.join(QStringLiteral(" -> "));
}

void StaleSetLab::releaseResources()
{
    m_holdNextFill = m_readerFinished = false;
    m_heldFill = m_fillReached = m_readerDone = nullptr;
    m_backend.reset();
}

void StaleSetLab::plan()
{
    m_races[0] = Race { false };
    m_races[1] = Race { true };
    m_holdNextFill = m_readerFinished = false;
    m_heldFill = m_fillReached = m_readerDone = nullptr;
    m_backend = std::make_unique<LabBackend>();
    addStep(tr("start CacheLab"), [this](StepDone done) {
        m_backend->start(server().url(), 1, [this, done](const QString &error) {
            if (!error.isEmpty())
                return fail(tr("CacheLab's service did not start: %1").arg(error));
            ProductService *s = m_backend->service(0);
            // Every fill goes through here; the lab holds the reader's.
            s->setFillHook([this](qint64, std::function<void()> proceed) {
                if (!m_holdNextFill) {
                    proceed();
                    return;
                }
                m_holdNextFill = false;
                m_heldFill = std::move(proceed);
                if (auto reached = std::exchange(m_fillReached, nullptr))
                    reached();
            });
            done(tr("CacheLab's service on the lab's redis-server and a new SQLite file, strategy cache-aside"));
        });
    });
    planRace(0);
    planRace(1);
}

void StaleSetLab::planRace(int race)
{
    const QString label = race == 0 ? tr("no guard") : tr("with CacheLab's guard");
    addStep(label, [this, race, label](StepDone done) {
        ProductService *s = m_backend->service(0);
        CacheSettings settings = s->settings();
        settings.staleSetGuard = m_races[race].guard;
        settings.ttlSeconds = int(param(QStringLiteral("ttl")));
        settings.ttlJitterPercent = 0;
        settings.stampede = StampedeMode::Off;
        settings.trackRecent = false;
        s->setSettings(settings);
        s->setStrategyByName(QStringLiteral("cache-aside"));
        // The row as SQLite has it now (the writer starts from it; the
        // cache may still hold the last race's stale copy, so it goes
        // first), then an empty cache.
        s->invalidate(ProductId, this, [this, s, race, label, done](const ServiceResult &) {
            s->get(ProductId, this, [this, s, race, label, done](const ServiceResult &now) {
                if (!now.product)
                    return fail(tr("product %1 is missing: %2").arg(ProductId).arg(now.error));
                m_product = now.product;
                s->invalidate(ProductId, this, [this, race, label, done](const ServiceResult &) {
                    done(tr("%1: the stale-set guard is %2; product %3 is at version %4 and not cached")
                             .arg(label, m_races[race].guard ? tr("on") : tr("off"))
                             .arg(ProductId)
                             .arg(m_product->version));
                });
            });
        });
    });
    // 1. The reader misses and reads SQLite; its write into Redis is held.
    addStep(label, [this](StepDone done) {
        m_holdNextFill = true;
        m_readerFinished = false;
        m_fillReached = [done] {
            done(tr("READER: get product %1 -> cache miss -> SELECT from SQLite; it now holds the row and is about "
                    "to write it into Redis (held here)")
                     .arg(ProductId));
        };
        m_backend->service(0)->get(ProductId, this, [this](const ServiceResult &r) {
            m_readerLine = oneLine(r.trace);
            m_readerFinished = true;
            if (m_fillReached) { // it finished without ever reaching its fill
                m_fillReached = nullptr;
                m_holdNextFill = false;
                return fail(tr("the reader's get did not fill the cache (%1), so the race cannot be staged: %2")
                                .arg(serviceStatusName(r.status), m_readerLine));
            }
            if (r.product)
                m_readerVersionSeen = r.product->version;
            if (auto then = std::exchange(m_readerDone, nullptr))
                then();
        });
    });
    // 2. The writer commits a new version and deletes the key.
    addStep(label, [this, race](StepDone done) {
        Product p = *m_product;
        p.price += 100;
        m_backend->service(0)->save(p, this, [this, race, done](const ServiceResult &w) {
            if (w.status != ServiceStatus::Ok || !w.product)
                return fail(tr("the writer's save failed: %1").arg(w.error));
            m_races[race].writerVersion = w.product->version;
            done(tr("WRITER: save product %1 -> %2 -> version %3 is in SQLite and the key is deleted")
                     .arg(ProductId)
                     .arg(oneLine(w.trace))
                     .arg(w.product->version));
        });
    });
    // 3. The reader goes on: it writes what it read, the older version.
    addStep(label, [this, race](StepDone done) {
        m_readerDone = [this, race, done] {
            Race &r = m_races[race];
            r.readerVersion = m_readerVersionSeen;
            server().call({ "HGET", key(), "version" }, [this, race, done](const RedisReply &v) {
                Race &r = m_races[race];
                const qint64 cached = v.isNil() ? 0 : v.bytes().toLongLong();
                r.fillWritten = cached == r.readerVersion;
                done(tr("READER: resumes and writes version %1 into Redis -> %2. %3")
                         .arg(r.readerVersion)
                         .arg(r.fillWritten ? tr("written: Redis now holds version %1 while SQLite has %2").arg(cached).arg(r.writerVersion)
                                            : tr("refused: the guard knew a newer version had been committed"))
                         .arg(tr("(its trace: %1)").arg(m_readerLine)));
            });
        };
        auto proceed = std::exchange(m_heldFill, nullptr);
        if (proceed)
            proceed();
        if (m_readerFinished) // (it had finished without a fill)
            if (auto then = std::exchange(m_readerDone, nullptr))
                then();
    });
    // 4. Anyone reads the product.
    addStep(label, [this, race](StepDone done) {
        m_backend->service(0)->get(ProductId, this, [this, race, done](const ServiceResult &g) {
            Race &r = m_races[race];
            if (!g.product)
                return fail(tr("the last get of product %1 failed: %2").arg(ProductId).arg(g.error));
            r.servedVersion = g.product->version;
            r.servedFromCache = g.fromCache;
            server().call({ "PTTL", key() }, [this, race, done](const RedisReply &ttl) {
                Race &r = m_races[race];
                const bool stale = r.servedVersion < r.writerVersion;
                r.staleForMs = stale ? ttl.toInteger() : 0;
                done(stale ? tr("ANYONE: get product %1 -> version %2 from the cache, but SQLite has %3: STALE, and it "
                                "stays so for %4 s more (the key's TTL)")
                                 .arg(ProductId)
                                 .arg(r.servedVersion)
                                 .arg(r.writerVersion)
                                 .arg(r.staleForMs / 1000)
                           : tr("ANYONE: get product %1 -> version %2 (%3): the new version, as in SQLite")
                                 .arg(ProductId)
                                 .arg(r.servedVersion)
                                 .arg(r.servedFromCache ? tr("from the cache") : tr("a miss, filled from SQLite")));
            });
        });
    });
}

void StaleSetLab::conclude()
{
    LabTable table;
    table.id = QStringLiteral("races");
    table.title = tr("The same four steps, without and with the guard");
    table.columns = { QStringLiteral("guard"), QStringLiteral("reader_version"), QStringLiteral("writer_version"),
        QStringLiteral("late_fill"), QStringLiteral("served_version"), QStringLiteral("served_from"),
        QStringLiteral("stale"), QStringLiteral("stale_for_s") };
    LabChart chart;
    chart.id = QStringLiteral("versions");
    chart.title = tr("Version served after the writer's commit");
    chart.yTitle = tr("version");
    chart.kind = LabChart::Kind::Bars;
    chart.categories = { tr("no guard"), tr("CacheLab's guard") };
    LabSeries inSql { tr("in SQLite"), {}, LabSeries::Look::Line, {} };
    LabSeries served { tr("served to the last read"), {}, LabSeries::Look::Line, {} };
    for (int i = 0; i < 2; ++i) {
        const Race &r = m_races[i];
        const bool stale = r.servedVersion < r.writerVersion;
        table.rows.append({ r.guard ? QStringLiteral("on") : QStringLiteral("off"), r.readerVersion, r.writerVersion,
            r.fillWritten ? QStringLiteral("written") : QStringLiteral("refused"), r.servedVersion,
            r.servedFromCache ? QStringLiteral("cache") : QStringLiteral("SQLite"), stale, double(r.staleForMs) / 1000.0 });
        inSql.points.append(QPointF(i, double(r.writerVersion)));
        served.points.append(QPointF(i, double(r.servedVersion)));
    }
    chart.series = { inSql, served };
    const Race &off = m_races[0], &on = m_races[1];
    const bool offStale = off.servedVersion < off.writerVersion;
    const bool onStale = on.servedVersion < on.writerVersion;
    m_tables = { table };
    m_results.insert(QStringLiteral("races"), table.toJson());
    m_results.insert(QStringLiteral("stale_without_guard"), offStale);
    m_results.insert(QStringLiteral("stale_with_guard"), onStale);
    m_reference.insert(QStringLiteral("stale_without_guard"), true);
    m_reference.insert(QStringLiteral("stale_with_guard"), false);
    m_matches = offStale && !onStale && !on.fillWritten;
    chart.caption = offStale
        ? tr("Without a guard the reader's late write put version %1 back after version %2 was committed: the cache "
             "served %1 and would for %3 s more. With the guard the same late write was %4, and the last read got "
             "version %5.")
              .arg(off.readerVersion)
              .arg(off.writerVersion)
              .arg(off.staleForMs / 1000)
              .arg(on.fillWritten ? tr("written (the guard failed)") : tr("refused"))
              .arg(on.servedVersion)
        : tr("This time even without a guard no stale version was served (version %1 after %2's commit): the race "
             "did not happen as staged.")
              .arg(off.servedVersion)
              .arg(off.writerVersion);
    m_charts = { chart };
}
