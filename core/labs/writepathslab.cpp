// WritePathsLab: write, kill, recover, compare.
#include "writepathslab.h"

#include "backend.h"
#include "cachesim.h"
#include "embeddedredis.h"
#include "labbackend.h"
#include "labserver.h"
#include "productservice.h"
#include "sampleproducts.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <csignal>
#include <sys/types.h>

namespace {

constexpr int Writers = 4;

QString idList(const QSet<qint64> &ids)
{
    QList<qint64> sorted(ids.begin(), ids.end());
    std::sort(sorted.begin(), sorted.end());
    QStringList out;
    for (qint64 id : sorted)
        out << QString::number(id);
    return out.join(QLatin1Char(' '));
}

} // namespace

WritePathsLab::WritePathsLab(QObject *parent)
    : Lab(parent)
{
    addParam({ QStringLiteral("rounds"), tr("Kills per design"), 5, 1, 50, true,
        tr("How often each design's writer is killed.") });
    addParam({ QStringLiteral("products"), tr("Products written"), 40, 4, 1000, true,
        tr("The writers spread their writes over this many products.") });
    addParam({ QStringLiteral("max-ms"), tr("Longest run before the kill (ms)"), 800, 100, 10000, true,
        tr("Each writer is killed after a random time up to this.") });
    addParam({ QStringLiteral("pace-ms"), tr("Pause between a writer's writes (ms)"), 25, 0, 1000, true,
        tr("A steady stream, not a flood: the article's worker keeps up, so its queue is short when it dies.") });
    addParam({ QStringLiteral("db-ms"), tr("SQLite latency (ms)"), 10, 0, 500, true,
        tr("How long each SQLite write takes: the window in which a popped id is in neither store.") });
}

WritePathsLab::~WritePathsLab()
{
    releaseResources();
}

QString WritePathsLab::title() const
{
    return tr("Write paths under a crash: what does a killed writer lose?");
}

QString WritePathsLab::description() const
{
    return tr("A write that was acknowledged must not be lost, whatever happens next. This lab runs a writer "
              "process that saves products as fast as it can and notes every acknowledgement, kills it with "
              "SIGKILL at a random moment, lets a new process pick up where it left off, and then compares "
              "SQLite with what was acknowledged. You will see CacheLab's write-through and write-behind lose "
              "nothing, and the article's write-behind (LPOP an id, read the hash, save it) lose the ids its worker "
              "had taken off the queue and not yet saved: the lab names them before it looks.");
}

QString WritePathsLab::referenceText() const
{
    return tr("Acknowledged means durable: write-through acknowledges after the SQLite commit; CacheLab's "
              "write-behind after one script has put the value and the queue entry in Redis, and its worker "
              "moves entries with LMOVE to a processing list it clears only after the commit (the reliable-queue "
              "pattern in Redis's LMOVE documentation); the article's LPOP removes the entry before the save, so "
              "a crash in between loses it.");
}

QString WritePathsLab::writerProgram()
{
    const QString self = QCoreApplication::applicationFilePath();
    if (QFileInfo(self).fileName() == QLatin1String("cachelab"))
        return self;
    const QString fromEnv = qEnvironmentVariable("CACHELAB_BINARY");
    if (!fromEnv.isEmpty() && QFileInfo(fromEnv).isExecutable())
        return fromEnv;
    const QString beside = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("cachelab"));
    return QFileInfo(beside).isExecutable() ? beside : QString();
}

void WritePathsLab::releaseResources()
{
    if (m_child) {
        m_child->disconnect(this);
        m_child->kill();
        m_child->waitForFinished(1000); // SIGKILLed: gone in a moment
        m_child.reset();
    }
    m_backend.reset();
    LabServer::retire(std::move(m_victim), std::move(m_victimDir));
}

void WritePathsLab::plan()
{
    m_designs.clear();
    struct Plan
    {
        QString name, label, writer;
        int victim;
    };
    const QList<Plan> designs {
        { QStringLiteral("write-through"), tr("CacheLab write-through"), QStringLiteral("write-through"), 0 },
        { QStringLiteral("write-behind"), tr("CacheLab write-behind (reliable queue)"), QStringLiteral("write-behind"), 0 },
        { QStringLiteral("article"), tr("the article's write-behind (LPOP, HGETALL, save)"), QStringLiteral("article"), 0 },
        { QStringLiteral("write-behind, redis killed, no persistence"),
            tr("CacheLab write-behind, redis-server killed, no persistence"), QStringLiteral("write-behind"), 1 },
        { QStringLiteral("write-behind, redis killed, AOF everysec"),
            tr("CacheLab write-behind, redis-server killed, AOF everysec"), QStringLiteral("write-behind"), 2 },
    };
    for (const Plan &p : designs) {
        Design d;
        d.name = p.name;
        d.label = p.label;
        d.writer = p.writer;
        d.victim = p.victim;
        m_designs.push_back(d);
    }
    m_queue.clear();
    m_poppedUnsaved.clear();
    m_roundPredicted.clear();
    m_backend = std::make_unique<LabBackend>();
    addStep(tr("prepare"), [this](StepDone done) {
        if (writerProgram().isEmpty())
            return fail(tr("this lab starts the cachelab program as its writer, and none was found (set CACHELAB_BINARY)"));
        m_backend->start(server().url(), 1, [this, done](const QString &error) {
            if (!error.isEmpty())
                return fail(tr("CacheLab's service did not start: %1").arg(error));
            ProductService *s = m_backend->service(0);
            s->setStrategyByName(QStringLiteral("none")); // the lab reads SQLite itself, through no cache
            s->list(this, [this, s, done](const ServiceResult &all) {
                const int want = int(param(QStringLiteral("products")));
                auto *adder = new SampleProducts(s, std::max(0, want - int(all.products.size())), this);
                connect(adder, &SampleProducts::finished, this, [this, done, want](int, const QString &error) {
                    if (!error.isEmpty())
                        return fail(tr("adding products failed: %1").arg(error));
                    done(tr("%1 products in a fresh SQLite file; the writer is %2").arg(want).arg(writerProgram()));
                });
                adder->start();
            });
        });
    });
    const int rounds = int(param(QStringLiteral("rounds")));
    for (int d = 0; d < int(m_designs.size()); ++d)
        for (int r = 0; r < rounds; ++r)
            planRound(d, r);
}

RedisUrl WritePathsLab::redisFor(int design) const
{
    return m_designs[std::size_t(design)].victim != 0 && m_victim ? m_victim->url() : server().url();
}

void WritePathsLab::startVictim(bool appendOnly, StepDone done)
{
    if (m_victim && m_victim->isRunning() && m_victimAppendOnly == appendOnly)
        return done(tr("redis-server %1 is running").arg(appendOnly ? tr("with AOF everysec") : tr("without persistence")));
    if (!m_victim || m_victimAppendOnly != appendOnly) {
        // A new design: a new server with its own (empty) data.
        LabServer::retire(std::move(m_victim), std::move(m_victimDir));
        m_victimDir = std::make_unique<QTemporaryDir>();
        m_victim = std::make_unique<EmbeddedRedis>(m_victimDir->path());
        m_victimAppendOnly = appendOnly;
        m_victim->setAppendOnly(appendOnly);
        m_victim->setExtraConfig({ QStringLiteral("notify-keyspace-events \"\"") });
    }
    m_victim->disconnect(this);
    connect(m_victim.get(), &EmbeddedRedis::ready, this, [this, appendOnly, done] {
        m_victim->disconnect(this);
        done(tr("redis-server %1 up on port %2 (its data directory kept across kills)")
                 .arg(appendOnly ? tr("with appendonly yes, appendfsync everysec") : tr("with no AOF and no snapshots"))
                 .arg(m_victim->port()));
    });
    connect(m_victim.get(), &EmbeddedRedis::failed, this, [this](const QString &message) {
        fail(tr("the lab's second redis-server did not start: %1").arg(message));
    });
    m_victim->start();
}

void WritePathsLab::readLines(int design)
{
    m_pending += m_child->readAllStandardOutput();
    qsizetype nl;
    while ((nl = m_pending.indexOf('\n')) >= 0) {
        const QList<QByteArray> f = m_pending.left(nl).split(' ');
        m_pending.remove(0, nl + 1);
        Design &d = m_designs[std::size_t(design)];
        if (f.value(0) == "ACK" && f.size() == 3) {
            const qint64 id = f.at(1).toLongLong(), price = f.at(2).toLongLong();
            ++d.acknowledged;
            d.lastAck[id] = price;
            m_roundLast[id] = price;
            m_nextPrice = std::max(m_nextPrice, price + 1);
            if (d.writer == QLatin1String("article"))
                m_queue.push_back(id); // the same transaction RPUSHed it
        } else if (f.value(0) == "POP" && f.size() == 2) {
            m_poppedUnsaved.insert(f.at(1).toLongLong());
            if (!m_queue.empty())
                m_queue.pop_front();
        } else if (f.value(0) == "SAVED" && f.size() == 3) {
            m_poppedUnsaved.remove(f.at(1).toLongLong());
        }
    }
}

void WritePathsLab::runChild(int design, bool drain, int killAfterMs, StepDone done)
{
    const Design &d = m_designs[std::size_t(design)];
    m_child = std::make_unique<QProcess>();
    m_pending.clear();
    // The server's password goes in the environment, never on a command line
    // (where every user of the machine could read it).
    const RedisUrl url = redisFor(design);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CACHELAB_LAB_REDIS_URL"),
        QStringLiteral("redis://:%1@%2:%3/%4")
            .arg(QString::fromLatin1(QUrl::toPercentEncoding(url.password)), url.host)
            .arg(url.port)
            .arg(url.db));
    m_child->setProcessEnvironment(env);
    QStringList args { QStringLiteral("lab-writer"), QStringLiteral("--db"), m_backend->backend(0)->databasePath(), QStringLiteral("--design"), d.writer,
        QStringLiteral("--ids"), QString::number(int(param(QStringLiteral("products")))), QStringLiteral("--inflight"),
        QString::number(Writers), QStringLiteral("--first-price"), QString::number(m_nextPrice),
        QStringLiteral("--pace-ms"), QString::number(int(param(QStringLiteral("pace-ms")))), QStringLiteral("--db-ms"),
        QString::number(int(param(QStringLiteral("db-ms")))) };
    // Killing Redis is about what was not flushed yet: the worker waits longer.
    if (d.victim != 0)
        args << QStringLiteral("--flush-ms") << QStringLiteral("2000");
    if (drain)
        args << QStringLiteral("--drain");
    // The kill clock starts when the writer first speaks (READY: it is writing).
    auto armed = std::make_shared<bool>(false);
    connect(m_child.get(), &QProcess::readyReadStandardOutput, this, [this, design, drain, killAfterMs, armed] {
        readLines(design);
        if (drain || *armed)
            return;
        *armed = true;
        QTimer::singleShot(killAfterMs, m_child.get(), [this, design] {
            // The crash: redis-server first when that is the design, then the writer.
            if (m_designs[std::size_t(design)].victim != 0 && m_victim && m_victim->pid() > 0)
                ::kill(pid_t(m_victim->pid()), SIGKILL);
            m_child->kill();
        });
    });
    connect(m_child.get(), &QProcess::finished, this, [this, design, drain, done](int code, QProcess::ExitStatus status) {
        readLines(design);
        const QByteArray err = m_child->readAllStandardError().trimmed();
        m_child.release()->deleteLater();
        if (drain && (status != QProcess::NormalExit || code != 0))
            return fail(tr("the recovering writer failed (%1): %2").arg(code).arg(QString::fromUtf8(err)));
        if (!drain && status == QProcess::NormalExit)
            return fail(tr("the writer ended before it was killed (%1): %2").arg(code).arg(QString::fromUtf8(err)));
        done({});
    });
    m_child->start(writerProgram(), args);
}

void WritePathsLab::planRound(int design, int round)
{
    const QString label = m_designs[std::size_t(design)].label;
    const int victim = m_designs[std::size_t(design)].victim;
    if (victim != 0)
        addStep(label, [this, victim](StepDone done) { startVictim(victim == 2, done); });
    // 1. Write until killed.
    addStep(label, [this, design, round, label](StepDone done) {
        m_poppedUnsaved.clear();
        m_roundLast.clear();
        // The last round's drain emptied the real queue. (Carrying the
        // picture over would carry its errors: a transaction the killed
        // writer ran but never reported is in Redis and not in m_queue.)
        m_queue.clear();
        const int maxMs = int(param(QStringLiteral("max-ms")));
        const int killAfter = 50 + int(CacheSim::nextRandom(rng()) % std::uint64_t(maxMs));
        const qint64 before = m_designs[std::size_t(design)].acknowledged;
        runChild(design, false, killAfter, [this, design, round, label, before, killAfter, done](const QString &) {
            Design &d = m_designs[std::size_t(design)];
            // What the article's worker held when it died is gone from the
            // queue and not in SQLite: lost, unless another entry for the
            // same id is still queued (then the next worker saves it).
            m_roundPredicted = m_poppedUnsaved;
            for (qint64 queued : m_queue)
                m_roundPredicted.remove(queued);
            d.predictedEver.unite(m_roundPredicted);
            m_poppedUnsaved = m_roundPredicted; // for the trace line
            done(tr("%1, kill %2: the writer ran %3 ms, %4 writes acknowledged, then SIGKILL%5")
                     .arg(label)
                     .arg(round + 1)
                     .arg(killAfter)
                     .arg(d.acknowledged - before)
                     .arg(d.writer == QLatin1String("article")
                             ? tr("; its worker held [%1]: taken off the queue, not saved, not queued again: "
                                  "predicted lost")
                                   .arg(idList(m_roundPredicted))
                             : QString()));
        });
    });
    // 2. A new process recovers what the dead one left (on a restarted
    //    redis-server, when that was killed: what its data kept).
    if (victim != 0)
        addStep(label, [this, victim](StepDone done) {
            const auto restart = [this, victim, done] { startVictim(victim == 2, done); };
            if (!m_victim->isRunning())
                return restart();
            connect(m_victim.get(), &EmbeddedRedis::crashed, this, [this, restart](const QString &) {
                m_victim->disconnect(this);
                restart();
            });
        });
    addStep(label, [this, design, label](StepDone done) {
        runChild(design, true, 0, [label, done](const QString &) {
            done(tr("%1: a new process drained what was queued").arg(label));
        });
    });
    // 3. SQLite against the acknowledgements.
    addStep(label, [this, design, label](StepDone done) {
        m_backend->service(0)->list(this, [this, design, label, done](const ServiceResult &rows) {
            Design &d = m_designs[std::size_t(design)];
            ++d.rounds;
            QMap<qint64, qint64> inSql;
            for (const Product &p : rows.products)
                inSql[p.id] = p.price;
            d.lost.clear();
            for (auto it = d.lastAck.cbegin(); it != d.lastAck.cend(); ++it)
                if (inSql.value(it.key(), -1) < it.value()) // an unacknowledged later write may be there: not a loss
                    d.lost.insert(it.key());
            // This round's losses: ids whose last write acknowledged in this round is missing.
            QSet<qint64> fresh;
            for (auto it = m_roundLast.cbegin(); it != m_roundLast.cend(); ++it)
                if (inSql.value(it.key(), -1) < it.value())
                    fresh.insert(it.key());
            d.lostTotal += fresh.size();
            d.lostEver.unite(fresh);
            // The article: every loss must be one the worker's lines named.
            // A named id may still survive: the kill can land after its
            // commit but before its SAVED line, or after a newer write was
            // queued but before its ACK line - messages the lab never saw.
            d.exact &= d.writer == QLatin1String("article") ? (fresh - m_roundPredicted).isEmpty() : fresh.isEmpty();
            if (d.writer == QLatin1String("article"))
                d.predictedSurvived += (m_roundPredicted - fresh).size();
            m_roundPredicted.clear();
            done(tr("%1: SQLite checked against %2 acknowledged writes: %3 id(s) lost%4")
                     .arg(label)
                     .arg(d.acknowledged)
                     .arg(d.lost.size())
                     .arg(d.lost.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(idList(d.lost))));
        });
    });
}

void WritePathsLab::conclude()
{
    LabTable table;
    table.id = QStringLiteral("designs");
    table.title = tr("Acknowledged writes lost to a killed writer");
    table.columns = { QStringLiteral("design"), QStringLiteral("kills"), QStringLiteral("acknowledged"),
        QStringLiteral("lost"), QStringLiteral("lost_ids"), QStringLiteral("predicted_ids"),
        QStringLiteral("predicted_but_kept") };
    LabChart chart;
    chart.id = QStringLiteral("lost");
    chart.title = tr("Products whose acknowledged write was lost");
    chart.yTitle = tr("products");
    chart.kind = LabChart::Kind::Bars;
    LabSeries lost { tr("lost"), {}, LabSeries::Look::Line, {} };
    bool ok = true;
    for (int i = 0; i < int(m_designs.size()); ++i) {
        const Design &d = m_designs[std::size_t(i)];
        // lost: ids whose acknowledged write was found missing, over all
        // rounds; beside them the ones the worker's own lines named first.
        table.rows.append({ d.name, d.rounds, d.acknowledged, d.lostTotal, idList(d.lostEver), idList(d.predictedEver),
            d.predictedSurvived });
        chart.categories << d.name;
        lost.points.append(QPointF(i, double(d.lostTotal)));
        if (d.victim == 1)
            ok &= d.acknowledged > 0; // loses what was not flushed: measured, not predicted
        else
            ok &= d.exact; // none lost, or (the article) only predicted ones, round by round
        ok &= d.acknowledged > 0;
    }
    chart.series = { lost };
    m_tables = { table };
    m_results.insert(QStringLiteral("designs"), table.toJson());
    QJsonObject expected;
    expected.insert(QStringLiteral("write-through"), 0);
    expected.insert(QStringLiteral("write-behind"), 0);
    expected.insert(QStringLiteral("article"), QStringLiteral("the ids popped and not saved when killed"));
    expected.insert(QStringLiteral("write-behind, redis killed, no persistence"), QStringLiteral("what was not flushed"));
    expected.insert(QStringLiteral("write-behind, redis killed, AOF everysec"),
        QStringLiteral("0 when only the process dies (the kernel holds what was written); up to about 1 s of writes on a machine crash"));
    m_reference.insert(QStringLiteral("lost"), expected);
    m_matches = ok && !m_designs.empty();
    const Design &art = m_designs.at(2);
    chart.caption = tr("Over %1 kills each: CacheLab's write-through lost %2 and its write-behind %3 of the %4 and %5 "
                       "writes they acknowledged. The article's write-behind lost the last acknowledged write of %6 "
                       "product(s) [%7]; from the worker's own lines (taken off the queue, not saved, not queued again) "
                       "the lab had predicted [%8] before it looked (%9 of those survived: the kill came after the "
                       "save's commit or after a newer write was queued, before the line that would have said so).")
                        .arg(art.rounds)
                        .arg(m_designs[0].lostTotal)
                        .arg(m_designs[1].lostTotal)
                        .arg(m_designs[0].acknowledged)
                        .arg(m_designs[1].acknowledged)
                        .arg(art.lostTotal)
                        .arg(idList(art.lostEver), idList(art.predictedEver))
                        .arg(art.predictedSurvived);
    const auto byVictim = [this](int victim) -> const Design * {
        for (const Design &d : m_designs)
            if (d.victim == victim)
                return &d;
        return nullptr;
    };
    if (const Design *none = byVictim(1), *aof = byVictim(2); none && aof)
        chart.caption += QLatin1Char(' ')
            + tr("When redis-server itself was killed, write-behind without persistence lost the last acknowledged write "
                 "of %1 product(s) (whatever waited for the worker), and with AOF everysec %2: the killed process had "
                 "already written its AOF into the kernel, so only a machine crash (up to about a second not yet "
                 "fsynced) could lose writes there.")
                  .arg(none->lostTotal)
                  .arg(aof->lostTotal);
}
