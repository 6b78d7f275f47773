// The chaos test: two full CacheLab processes (cachelab --redis --db
// --api-port) on one SQLite file and one redis-server (AOF, appendfsync
// always), under concurrent HTTP clients, while a program edits rows behind
// their back through the sqlite3 C API, both instances switch strategies,
// redis-server is SIGKILLed (restarted from its AOF) and SIGSTOPped, and an
// instance is SIGKILLed and restarted. Then the faults stop, Redis is up,
// the write-behind queue drains, and the invariants are checked, one test
// function each (ChaosChecks says what each promises).
//
// The environment steers a run (scripts/chaos sets it for long runs):
//   CHAOS_SEED=S          the seed (printed at the start; random if unset):
//                         the same seed gives every client, the outside
//                         editor and the fault loop the same sequence
//   CHAOS_SECONDS=N       seconds of load (default 40: the whole test stays
//                         under 90 s on two cores)
//   CHAOS_STRATEGY=X      all (default: both instances switch among all
//                         five) or one strategy for both, never switched
//   CHAOS_CLIENTS=N       HTTP clients (default 6)
//   CHAOS_READ_BOUND_MS=N slowest acceptable GET (default 1500, times
//                         CACHELAB_TEST_TIME_FACTOR in the sanitizer build)
//   CHAOS_KEEP=1          keep the work folder (SQLite file with its
//                         product_changes history, Redis AOF, instance logs)
//
// Loopback only; every wait is bounded; the redis-server and both
// instances die with the test (PR_SET_PDEATHSIG).
#include "chaoschecks.h"
#include "chaosclient.h"
#include "chaoshistory.h"
#include "chaosinstance.h"
#include "faultschedule.h"
#include "outsideeditor.h"
#include "productrepository.h"
#include "redisprobe.h"
#include "strategykind.h"
#include "testredisserver.h"
#include "testtime.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace {

// These waits end as soon as their condition holds; they are stretched in the
// sanitizer build (testtime.h), where both instances run several times slower.
const int ReadyMs = TestTime::scaled(15000); ///< instances report Redis available again
const int DrainMs = TestTime::scaled(20000); ///< the write-behind queue is empty
const int SettleMs = TestTime::scaled(5000); ///< caches and gets agree with SQLite
constexpr int ShownViolations = 25; ///< per invariant; the rest are counted

struct ChaosConfig
{
    quint32 seed = 0;
    int seconds = 40;
    QString strategy = QStringLiteral("all");
    int clients = 6;
    /// The slowest acceptable GET, calibrated on the RelWithDebInfo build;
    /// the sanitizer build's instances get the same bound times its slowdown.
    int readBoundMs = TestTime::scaled(1500);

    bool switching() const { return strategy == QLatin1String("all"); }

    static ChaosConfig fromEnvironment()
    {
        ChaosConfig c;
        bool ok = false;
        const quint32 seed = qEnvironmentVariable("CHAOS_SEED").toUInt(&ok);
        c.seed = ok ? seed : QRandomGenerator::global()->generate();
        if (const int s = qEnvironmentVariableIntValue("CHAOS_SECONDS"); s > 0)
            c.seconds = s;
        if (const QString s = qEnvironmentVariable("CHAOS_STRATEGY").trimmed(); !s.isEmpty())
            c.strategy = s;
        if (const int n = qEnvironmentVariableIntValue("CHAOS_CLIENTS"); n > 0)
            c.clients = qMin(n, 64);
        if (const int ms = qEnvironmentVariableIntValue("CHAOS_READ_BOUND_MS"); ms > 0)
            c.readBoundMs = ms;
        return c;
    }
};

struct InvariantResult
{
    QString name;
    int checked = 0;
    int violated = 0;
    QStringList kinds; ///< "kind xN" per kind of violation
};

/// Sets stop and joins every thread, however the scope is left.
struct ThreadJoiner
{
    std::atomic<bool> &stop;
    std::vector<std::thread> &threads;
    ~ThreadJoiner()
    {
        stop.store(true);
        for (std::thread &t : threads) {
            if (t.joinable())
                t.join();
        }
    }
};

} // namespace

class TestChaos final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void recovered();
    void acknowledgedWritesKept();
    void versionsUnique();
    void cacheAgrees();
    void getsAgree();
    void outsideEditsOwnTheirVersions();
    void answersDuringRun();
    void writesReachTheCache();
    void noInstanceCrashed(); // last: also sees an exit during the checks
    void cleanupTestCase();

private:
    bool seedDatabase(QString *error);
    bool startInstance(int index, QString *error);
    void runLoad();
    ChaosFault beginRedisFault(const FaultSchedule::RedisFault &planned);
    bool endRedisFault(ChaosFault *fault);
    ChaosFault beginInstanceFault(const FaultSchedule::InstanceFault &planned);
    void endInstanceFault(ChaosFault *fault);
    void switchStrategies(const FaultSchedule::Switch &planned);
    void switchStrategy(int instance, const QString &strategy, ChaosFault *fault);
    void watchInstances();
    bool waitCacheAvailable(int timeoutMs, QString *pending);
    QString pendingWrites() const;
    void quietPeriod();
    QString redisUrl() const { return QStringLiteral("redis://127.0.0.1:%1").arg(m_redis.port()); }
    /// Prints the violations (a bounded number, each with the seed) and
    /// records the figures; true when the invariant held.
    bool report(const QString &name, int checked, const ChaosViolations &violations);

    ChaosConfig m_config;
    ChaosIds m_ids;
    ChaosHistory m_history;
    QTemporaryDir m_dir;
    QString m_db;
    TestRedisServer m_redis;
    std::array<std::unique_ptr<ChaosInstance>, 2> m_instances;
    std::array<QString, 2> m_strategies;
    ChaosPorts m_ports {};
    std::optional<FaultSchedule> m_schedule;
    ChaosViolations m_crashes; ///< unexpected exits and failed restarts, as found
    ChaosViolations m_recovery; ///< what did not recover in the quiet period
    QHash<qint64, SqlRow> m_rows; ///< SQLite after the drain
    std::unique_ptr<ChaosChecks> m_checks;
    QList<InvariantResult> m_results;
    qint64 m_loadStartMs = 0;
    qint64 m_loadEndMs = 0;
    qint64 m_quietMs = 0;
};

bool TestChaos::seedDatabase(QString *error)
{
    // The schema is CacheLab's own (migrations, triggers), so the store makes the file.
    ProductRepository repo(m_db);
    repo.setChangePollInterval(0);
    std::optional<StoreResult> result;
    QObject context;
    const auto done = [&result](const StoreResult &r) { result = r; };
    repo.open(&context, done);
    if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000) || !result->ok()) {
        *error = QStringLiteral("cannot create %1: %2").arg(m_db, result ? result->error : QStringLiteral("timeout"));
        return false;
    }
    for (qint64 id = 1; id <= m_ids.last(); ++id) {
        result.reset();
        repo.create(QStringLiteral("seed-%1").arg(id), id * 100, &context, done);
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000) || !result->ok()) {
            *error = QStringLiteral("cannot create product %1: %2").arg(id).arg(result ? result->error : QString());
            return false;
        }
    }
    const auto rows = OutsideEditor::readRows(m_db, error);
    if (!rows || rows->size() != m_ids.last() || !rows->contains(m_ids.last())) {
        *error = QStringLiteral("expected products 1..%1 in the new database").arg(m_ids.last());
        return false;
    }
    return true;
}

bool TestChaos::startInstance(int index, QString *error)
{
    ChaosInstance &instance = *m_instances[size_t(index)];
    m_ports[size_t(index)].store(0);
    const bool ok = instance.start(redisUrl(), m_db, m_strategies[size_t(index)], error);
    m_ports[size_t(index)].store(ok ? instance.port() : 0);
    return ok;
}

void TestChaos::initTestCase()
{
    m_config = ChaosConfig::fromEnvironment();
    qInfo("chaos: seed %u (CHAOS_SEED=%u repeats this run's operation sequence), %d s of load, strategy %s, "
          "%d clients, 2 instances",
        m_config.seed, m_config.seed, m_config.seconds, qPrintable(m_config.strategy), m_config.clients);
    QVERIFY2(m_config.switching() || strategyNames().contains(m_config.strategy),
        qPrintable(QStringLiteral("CHAOS_STRATEGY must be 'all' or one of: %1")
                       .arg(strategyNames().join(QStringLiteral(", ")))));
    QVERIFY(m_dir.isValid());
    if (qEnvironmentVariableIntValue("CHAOS_KEEP") > 0) {
        m_dir.setAutoRemove(false);
        qInfo("chaos: work folder %s is kept (CHAOS_KEEP)", qPrintable(m_dir.path()));
    }
    m_schedule.emplace(m_config.seed, strategyNames());
    QCryptographicHash sequence(QCryptographicHash::Sha1);
    for (int c = 0; c < m_config.clients; ++c)
        sequence.addData(ChaosClient::fingerprint(m_config.seed, c, m_ids, 1000));
    sequence.addData(FaultSchedule::fingerprint(m_config.seed, strategyNames(), 100));
    qInfo("chaos: operation sequence %s (the first 1000 operations of every client and 100 steps of each fault "
          "schedule; equal for equal seeds)",
        sequence.result().toHex().left(16).constData());

    m_redis.setExtraConfig({ QStringLiteral("appendonly yes"), QStringLiteral("appendfsync always") });
    QString error;
    QVERIFY2(m_redis.start(&error), qPrintable(error));
    m_db = m_dir.filePath(QStringLiteral("chaos.db"));
    QVERIFY2(seedDatabase(&error), qPrintable(error));

    const QString binary = qEnvironmentVariableIsSet("CHAOS_CACHELAB") ? qEnvironmentVariable("CHAOS_CACHELAB")
                                                                       : QStringLiteral(CACHELAB_BINARY);
    for (int i = 0; i < 2; ++i) {
        m_strategies[size_t(i)] = m_config.switching() ? m_schedule->initialStrategy(i) : m_config.strategy;
        m_instances[size_t(i)] = std::make_unique<ChaosInstance>(i, binary, m_dir.path());
        QVERIFY2(startInstance(i, &error), qPrintable(error));
        m_history.setStrategy(i, m_history.now(), m_strategies[size_t(i)]);
        qInfo("chaos: instance %s on port %u, strategy %s, log %s", qPrintable(ChaosHistory::instanceName(i)),
            unsigned(m_instances[size_t(i)]->port()), qPrintable(m_strategies[size_t(i)]),
            qPrintable(m_instances[size_t(i)]->logPath()));
    }
    QString pending;
    QVERIFY2(waitCacheAvailable(ReadyMs, &pending), qPrintable(pending));

    runLoad();
    if (QTest::currentTestFailed())
        return;
    quietPeriod();
    m_checks = std::make_unique<ChaosChecks>(m_history, m_ids, m_rows);
}

void TestChaos::runLoad()
{
    std::atomic<bool> stop { false };
    std::vector<std::thread> threads;
    ThreadJoiner joiner { stop, threads };
    std::vector<std::unique_ptr<ChaosClient>> clients;
    m_loadStartMs = m_history.now();
    m_loadEndMs = m_loadStartMs + qint64(m_config.seconds) * 1000;
    for (int c = 0; c < m_config.clients; ++c) {
        clients.push_back(std::make_unique<ChaosClient>(c, m_config.seed, m_ids, m_ports, m_history));
        threads.emplace_back([&stop, client = clients.back().get(), until = m_loadEndMs] { client->run(stop, until); });
    }
    OutsideEditor editor(m_db, m_config.seed, m_ids, m_history);
    threads.emplace_back([&stop, &editor, until = m_loadEndMs] { editor.run(stop, until); });

    // The fault loop: switches, a redis-server fault and an instance fault
    // side by side, each on its own seeded schedule. No new fault starts in
    // the last 1.5 s, and every fault still on at the end is ended.
    const qint64 lastStartMs = m_loadEndMs - 1500;
    FaultSchedule::Switch nextSwitch = m_schedule->nextSwitch();
    FaultSchedule::RedisFault nextRedis = m_schedule->nextRedisFault();
    FaultSchedule::InstanceFault nextInstance = m_schedule->nextInstanceFault();
    qint64 switchAt = m_loadStartMs + nextSwitch.afterMs;
    qint64 redisAt = m_loadStartMs + nextRedis.afterMs;
    qint64 instanceAt = m_loadStartMs + nextInstance.afterMs;
    std::optional<ChaosFault> redisFault;
    std::optional<ChaosFault> instanceFault;
    QString error;
    while (m_history.now() < m_loadEndMs && !QTest::currentTestFailed()) {
        QTest::qWait(10); // pacing; also delivers the instances' exit notifications
        watchInstances();
        qint64 now = m_history.now();
        if (m_config.switching() && now >= switchAt && now < lastStartMs) {
            switchStrategies(nextSwitch);
            nextSwitch = m_schedule->nextSwitch();
            switchAt = m_history.now() + nextSwitch.afterMs;
        }

        now = m_history.now();
        if (redisFault && now >= redisFault->endMs) {
            if (!endRedisFault(&*redisFault))
                break;
            nextRedis = m_schedule->nextRedisFault();
            redisAt = m_history.now() + nextRedis.afterMs;
            redisFault.reset();
        } else if (!redisFault && now >= redisAt && now < lastStartMs) {
            redisFault = beginRedisFault(nextRedis);
        }

        now = m_history.now();
        if (instanceFault && now >= instanceFault->endMs) {
            endInstanceFault(&*instanceFault);
            nextInstance = m_schedule->nextInstanceFault();
            instanceAt = m_history.now() + nextInstance.afterMs;
            instanceFault.reset();
        } else if (!instanceFault && now >= instanceAt && now < lastStartMs) {
            instanceFault = beginInstanceFault(nextInstance);
        }
    }
    if (redisFault)
        endRedisFault(&*redisFault);
    if (instanceFault)
        endInstanceFault(&*instanceFault);
    stop.store(true);
    for (std::thread &t : threads)
        t.join();
}

ChaosFault TestChaos::beginRedisFault(const FaultSchedule::RedisFault &planned)
{
    ChaosFault fault;
    fault.kind = planned.kill ? FaultKind::RedisKill : FaultKind::RedisPause;
    fault.atMs = m_history.now();
    fault.endMs = fault.atMs + planned.lengthMs; // when to end it; the real end is recorded
    fault.detail = planned.kill ? QStringLiteral("down %1 ms").arg(planned.lengthMs)
                                : QStringLiteral("stopped %1 ms").arg(planned.lengthMs);
    if (planned.kill)
        m_redis.kill();
    else
        m_redis.pause();
    return fault;
}

bool TestChaos::endRedisFault(ChaosFault *fault)
{
    if (fault->kind == FaultKind::RedisPause) {
        m_redis.resume();
    } else {
        QString error;
        if (!m_redis.restart(&error)) {
            QTest::qFail(qPrintable(QStringLiteral("redis-server did not restart from its AOF (seed %1): %2")
                                        .arg(m_config.seed)
                                        .arg(error)),
                __FILE__, __LINE__);
            return false;
        }
    }
    fault->endMs = m_history.now();
    m_history.addFault(*fault);
    return true;
}

ChaosFault TestChaos::beginInstanceFault(const FaultSchedule::InstanceFault &planned)
{
    ChaosFault fault;
    fault.kind = FaultKind::InstanceKill;
    fault.instance = planned.instance;
    fault.atMs = m_history.now();
    fault.endMs = fault.atMs + planned.downMs;
    fault.detail = QStringLiteral("down %1 ms").arg(planned.downMs);
    m_ports[size_t(planned.instance)].store(0);
    m_instances[size_t(planned.instance)]->kill();
    return fault;
}

void TestChaos::endInstanceFault(ChaosFault *fault)
{
    const int i = fault->instance;
    QString error;
    if (!startInstance(i, &error))
        m_crashes << ChaosViolation { fault->atMs, QStringLiteral("no restart after SIGKILL"),
            QStringLiteral("instance %1 did not start again after its SIGKILL at %2: %3")
                .arg(ChaosHistory::instanceName(i), ChaosHistory::at(fault->atMs), error) };
    fault->detail += QStringLiteral(", restarted with %1").arg(m_strategies[size_t(i)]);
    fault->endMs = m_history.now();
    m_history.addFault(*fault);
}

void TestChaos::switchStrategies(const FaultSchedule::Switch &planned)
{
    ChaosFault fault;
    fault.kind = FaultKind::StrategySwitch;
    fault.atMs = m_history.now();
    if (planned.first)
        switchStrategy(0, planned.strategyA, &fault);
    if (planned.second)
        switchStrategy(1, planned.strategyB, &fault);
    fault.endMs = m_history.now();
    m_history.addFault(fault);
}

void TestChaos::switchStrategy(int instance, const QString &strategy, ChaosFault *fault)
{
    const quint16 port = m_ports[size_t(instance)].load();
    ChaosHttp http;
    const QByteArray body = QJsonDocument(QJsonObject { { QStringLiteral("strategy"), strategy } }).toJson();
    const HttpAnswer a = port == 0 ? HttpAnswer() : http.request(port, "PUT", "/strategy", body, 5000);
    QString &detail = fault->detail;
    if (!detail.isEmpty())
        detail += QStringLiteral(", ");
    if (a.transport == HttpAnswer::Transport::Ok && a.status == 200) {
        m_strategies[size_t(instance)] = strategy;
        m_history.setStrategy(instance, m_history.now(), strategy);
        detail += QStringLiteral("%1 -> %2").arg(ChaosHistory::instanceName(instance), strategy);
    } else {
        detail += QStringLiteral("%1 -> %2 failed (%3 %4)")
                      .arg(ChaosHistory::instanceName(instance), strategy)
                      .arg(a.status)
                      .arg(a.error.isEmpty() ? QString::fromUtf8(a.body.left(120)) : a.error);
    }
}

void TestChaos::watchInstances()
{
    for (int i = 0; i < 2; ++i) {
        ChaosInstance &instance = *m_instances[size_t(i)];
        if (const std::optional<QString> exit = instance.takeUnexpectedExit()) {
            const qint64 at = m_history.now();
            m_crashes << ChaosViolation { at,
                QStringLiteral("instance %1 %2").arg(ChaosHistory::instanceName(i), *exit),
                QStringLiteral("instance %1 %2 at %3 (nobody killed it); end of its log:\n%4")
                    .arg(ChaosHistory::instanceName(i), *exit, ChaosHistory::at(at), instance.logTail()) };
            QString error;
            if (!startInstance(i, &error))
                m_crashes << ChaosViolation { at, QStringLiteral("no restart after an exit"),
                    QStringLiteral("instance %1 did not start again: %2").arg(ChaosHistory::instanceName(i), error) };
            m_history.addFault(ChaosFault { FaultKind::InstanceExit, at, m_history.now(), i, *exit });
        }
    }
}

bool TestChaos::waitCacheAvailable(int timeoutMs, QString *pending)
{
    ChaosHttp http;
    return QTest::qWaitFor(
        [&] {
            pending->clear();
            for (int i = 0; i < 2; ++i) {
                const HttpAnswer a = http.request(m_instances[size_t(i)]->port(), "GET", "/metrics", {}, 2000);
                const bool available = a.transport == HttpAnswer::Transport::Ok && a.status == 200
                    && QJsonDocument::fromJson(a.body).object().value(QLatin1String("cacheAvailable")).toBool();
                if (!available)
                    *pending += QStringLiteral("instance %1 does not report Redis available within %2 ms (%3 %4); ")
                                    .arg(ChaosHistory::instanceName(i))
                                    .arg(timeoutMs)
                                    .arg(a.status)
                                    .arg(a.error);
            }
            return pending->isEmpty();
        },
        timeoutMs);
}

QString TestChaos::pendingWrites() const
{
    const RedisProbe probe(m_redis.socketPath());
    const auto queue = probe.integer({ "LLEN", "cachelab:wb:queue" });
    const auto processing = probe.integer({ "LLEN", "cachelab:wb:processing" });
    const auto queued = probe.integer({ "SCARD", "cachelab:wb:queued" });
    const auto keys = probe.keys("product:*");
    const auto hashes = keys ? probe.hashes(*keys) : std::nullopt;
    if (!queue || !processing || !queued || !hashes)
        return QStringLiteral("Redis does not answer");
    QStringList dirty;
    for (auto it = hashes->cbegin(); it != hashes->cend(); ++it) {
        if (it->contains("dirty"))
            dirty << QStringLiteral("%1 (version %2)")
                         .arg(QString::fromUtf8(it.key()), QString::fromUtf8(it->value("version")));
    }
    if (*queue == 0 && *processing == 0 && *queued == 0 && dirty.isEmpty())
        return QString();
    return QStringLiteral("cachelab:wb:queue %1, cachelab:wb:processing %2, cachelab:wb:queued %3, dirty hashes: %4")
        .arg(*queue)
        .arg(*processing)
        .arg(*queued)
        .arg(dirty.isEmpty() ? QStringLiteral("none") : dirty.join(QStringLiteral(", ")));
}

void TestChaos::quietPeriod()
{
    const qint64 quietAt = m_history.now();
    QString error;
    if (!m_redis.isRunning() && !m_redis.restart(&error))
        QFAIL(qPrintable(QStringLiteral("redis-server did not restart: %1").arg(error)));
    m_redis.resume();
    watchInstances();
    for (int i = 0; i < 2; ++i) {
        if (!m_instances[size_t(i)]->isRunning() && !startInstance(i, &error))
            QFAIL(qPrintable(error));
    }
    QString pending;
    if (!waitCacheAvailable(ReadyMs, &pending))
        m_recovery << ChaosViolation { m_history.now(), QStringLiteral("Redis not available again"), pending };
    if (!QTest::qWaitFor([&] { return (pending = pendingWrites()).isEmpty(); }, DrainMs))
        m_recovery << ChaosViolation { m_history.now(), QStringLiteral("write-behind queue not drained"),
            QStringLiteral("the write-behind queue did not drain within %1 ms: %2").arg(DrainMs).arg(pending) };
    const auto rows = OutsideEditor::readRows(m_db, &error);
    QVERIFY2(rows, qPrintable(error));
    m_rows = *rows;
    m_quietMs = m_history.now() - quietAt;
    qInfo("chaos: load %s .. %s, quiet period %lld ms, %lld rows in SQLite",
        qPrintable(ChaosHistory::at(m_loadStartMs)), qPrintable(ChaosHistory::at(m_loadEndMs)), qlonglong(m_quietMs),
        qlonglong(m_rows.size()));
}

bool TestChaos::report(const QString &name, int checked, const ChaosViolations &violations)
{
    m_results.append(InvariantResult { name, checked, int(violations.size()), {} });
    if (violations.isEmpty()) {
        qInfo("chaos: %s: held (%d checked)", qPrintable(name), checked);
        return true;
    }
    QMap<QString, int> kinds;
    for (const ChaosViolation &v : violations)
        ++kinds[v.kind];
    QStringList byKind;
    for (auto it = kinds.cbegin(); it != kinds.cend(); ++it)
        byKind << QStringLiteral("%1 x%2").arg(it.key()).arg(it.value());
    m_results.last().kinds = byKind;
    qWarning("chaos: %s: %lld violations (%d checked), seed %u; by kind: %s", qPrintable(name),
        qlonglong(violations.size()), checked, m_config.seed, qPrintable(byKind.join(QStringLiteral("; "))));
    // The first of every kind, then the earliest others, up to ShownViolations.
    QList<qsizetype> shown;
    QSet<QString> seen;
    for (qsizetype i = 0; i < violations.size(); ++i) {
        if (!seen.contains(violations.at(i).kind)) {
            seen.insert(violations.at(i).kind);
            shown << i;
        }
    }
    for (qsizetype i = 0; i < violations.size() && shown.size() < ShownViolations; ++i) {
        if (!shown.contains(i))
            shown << i;
    }
    std::sort(shown.begin(), shown.end());
    for (const qsizetype i : std::as_const(shown))
        qWarning("  [seed %u] %s", m_config.seed, qPrintable(violations.at(i).text));
    if (violations.size() > shown.size())
        qWarning("  ... and %lld more", qlonglong(violations.size() - shown.size()));
    return false;
}

void TestChaos::recovered()
{
    QVERIFY(m_checks);
    QVERIFY2(report(QStringLiteral("(0) recovery after the faults stop"), 2, m_recovery),
        qPrintable(QStringLiteral("seed %1: %2").arg(m_config.seed).arg(m_recovery.value(0).text)));
}

void TestChaos::acknowledgedWritesKept()
{
    QVERIFY(m_checks);
    int checked = 0;
    const ChaosViolations v = m_checks->acknowledgedWritesKept(&checked);
    QVERIFY2(report(QStringLiteral("(1) acknowledged writes are in SQLite"), checked, v),
        qPrintable(QStringLiteral("seed %1: %2 violations").arg(m_config.seed).arg(v.size())));
}

void TestChaos::versionsUnique()
{
    QVERIFY(m_checks);
    int checked = 0;
    const ChaosViolations v = m_checks->versionsUnique(&checked);
    QVERIFY2(report(QStringLiteral("(2) no two acknowledged writes share an id and version"), checked, v),
        qPrintable(QStringLiteral("seed %1: %2 violations").arg(m_config.seed).arg(v.size())));
}

void TestChaos::cacheAgrees()
{
    QVERIFY(m_checks);
    // Invalidations of the last outside edits may still be on their way: the
    // cache has SettleMs to agree.
    const RedisProbe probe(m_redis.socketPath());
    ChaosViolations v;
    int checked = 0;
    (void)QTest::qWaitFor(
        [&] {
            const auto keys = probe.keys("product:*");
            const auto hashes = keys ? probe.hashes(*keys) : std::nullopt;
            v = hashes ? m_checks->cacheAgrees(*hashes, &checked)
                       : ChaosViolations { { 0, QStringLiteral("Redis does not answer"),
                           QStringLiteral("Redis does not answer") } };
            return v.isEmpty();
        },
        SettleMs);
    QString error;
    const auto now = OutsideEditor::readRows(m_db, &error);
    for (auto it = m_rows.cbegin(); now && it != m_rows.cend(); ++it) {
        const SqlRow row = now->value(it.key());
        if (row.version != it->version || row.name != it->name || row.price != it->price)
            v << ChaosViolation { it.key(), QStringLiteral("SQLite changed after the drain"),
                QStringLiteral("SQLite changed after the queue drained: id %1 went from version %2 '%3' to %4 '%5'")
                    .arg(it.key())
                    .arg(it->version)
                    .arg(it->name)
                    .arg(row.version)
                    .arg(row.name) };
    }
    QVERIFY2(report(QStringLiteral("(3) cached product hashes equal SQLite"), checked, v),
        qPrintable(QStringLiteral("seed %1: %2 stale or wrong hashes").arg(m_config.seed).arg(v.size())));
}

void TestChaos::getsAgree()
{
    QVERIFY(m_checks);
    QList<qint64> ids;
    for (qint64 id = 1; id <= m_ids.last(); ++id)
        ids << id;
    QList<qint64> created;
    for (auto it = m_rows.cbegin(); it != m_rows.cend(); ++it) {
        if (it.key() > m_ids.last())
            created << it.key();
    }
    std::sort(created.begin(), created.end());
    ids << created.mid(0, 40);

    ChaosHttp http;
    ChaosViolations v;
    (void)QTest::qWaitFor(
        [&] {
            v.clear();
            for (int i = 0; i < 2; ++i) {
                for (const qint64 id : std::as_const(ids)) {
                    const HttpAnswer a = http.request(
                        m_instances[size_t(i)]->port(), "GET", "/product/" + QByteArray::number(id), {}, 5000);
                    const std::optional<ChaosViolation> problem = a.transport == HttpAnswer::Transport::Ok
                        ? m_checks->getAgrees(i, id, a.status, a.body)
                        : ChaosViolation { id, QStringLiteral("no answer"),
                              QStringLiteral("GET /product/%1 through instance %2: no answer (%3)")
                                  .arg(id)
                                  .arg(ChaosHistory::instanceName(i), a.error) };
                    if (problem)
                        v << *problem;
                }
            }
            return v.isEmpty();
        },
        SettleMs);
    QVERIFY2(report(QStringLiteral("(4) a GET through each instance returns SQLite's row"), int(ids.size()) * 2, v),
        qPrintable(QStringLiteral("seed %1: %2 wrong answers").arg(m_config.seed).arg(v.size())));
}

void TestChaos::noInstanceCrashed()
{
    QVERIFY(m_checks);
    watchInstances();
    ChaosViolations v = m_crashes;
    for (int i = 0; i < 2; ++i) {
        if (!m_instances[size_t(i)]->isRunning())
            v << ChaosViolation { m_history.now(), QStringLiteral("not running at the end"),
                QStringLiteral("instance %1 is not running at the end").arg(ChaosHistory::instanceName(i)) };
    }
    QVERIFY2(report(QStringLiteral("(5) no instance crashed"), 2, v),
        qPrintable(QStringLiteral("seed %1: %2").arg(m_config.seed).arg(v.value(0).text.left(300))));
}

void TestChaos::outsideEditsOwnTheirVersions()
{
    QVERIFY(m_checks);
    int checked = 0;
    const ChaosViolations v = m_checks->outsideEditsOwnTheirVersions(&checked);
    // A figure, not a promise: an outside writer (the sqlite3 shell) numbers
    // its edit from SQLite's row and cannot see a write-behind write still
    // queued in Redis, so the two can carry the same number. What is
    // promised is who wins: the flush keeps the later of the two, at a fresh
    // version, and (1) fails when it does not.
    qInfo("chaos: (6) %d outside edit(s) shared a version with a write made within %lld ms, %lld further from a "
          "write-behind write queued at the time; (1) checks that the later write won",
        m_checks->concurrentOutsideCollisions(), qint64(ChaosChecks::OutsideWindowMs), qint64(v.size()));
    report(QStringLiteral("(6) outside SQL edits sharing a version with an acknowledged write (a figure)"), checked, v);
}

void TestChaos::answersDuringRun()
{
    QVERIFY(m_checks);
    int checked = 0;
    const ChaosViolations v = m_checks->answersDuringRun(m_config.readBoundMs, &checked);
    QVERIFY2(
        report(QStringLiteral("(7) answers during faults: reads within %1 ms, no 500, no 404 for a product that exists")
                   .arg(m_config.readBoundMs),
            checked, v),
        qPrintable(QStringLiteral("seed %1: %2 bad answers").arg(m_config.seed).arg(v.size())));
}

void TestChaos::writesReachTheCache()
{
    QVERIFY(m_checks);
    // Now that nobody else writes, each write path is tried once per
    // instance: under write-through and write-behind the product hash must
    // hold an acknowledged write the moment it is answered (write-through
    // sets it after the commit; write-behind writes it first).
    const RedisProbe probe(m_redis.socketPath());
    ChaosHttp http;
    ChaosViolations v;
    int checked = 0;
    // Counting down from far above every id, so no create without an id
    // (which takes the highest id + 1) can take one of these first.
    qint64 freshId = 900000;
    for (const QString &strategy : { QStringLiteral("write-through"), QStringLiteral("write-behind") }) {
        for (int i = 0; i < 2; ++i) {
            const quint16 port = m_instances[size_t(i)]->port();
            const QString where = QStringLiteral("instance %1 [%2]").arg(ChaosHistory::instanceName(i), strategy);
            const HttpAnswer switched = http.request(port, "PUT", "/strategy",
                QJsonDocument(QJsonObject { { QStringLiteral("strategy"), strategy } }).toJson(), 5000);
            if (switched.status != 200) {
                v << ChaosViolation { m_history.now(), QStringLiteral("strategy switch refused"),
                    QStringLiteral("%1: PUT /strategy answered %2 %3")
                        .arg(where)
                        .arg(switched.status)
                        .arg(QString::fromUtf8(switched.body.left(200)), switched.error) };
                continue;
            }
            m_history.setStrategy(i, m_history.now(), strategy);
            const qint64 existing = m_ids.fixedFirst + i;
            struct Probe
            {
                QString what;
                QByteArray method;
                QByteArray path;
                qint64 id; // 0: a create, the answer says which
            };
            const QList<Probe> probes {
                { QStringLiteral("update (PUT)"), "PUT", "/product/" + QByteArray::number(existing), existing },
                { QStringLiteral("create-with-id of an existing id (POST)"), "POST", "/product", existing },
                { QStringLiteral("create-with-id of a new id (POST)"), "POST", "/product", freshId-- },
                { QStringLiteral("create (POST)"), "POST", "/product", 0 },
            };
            for (const Probe &p : probes) {
                ++checked;
                const QString name
                    = QStringLiteral("probe-%1-%2-%3").arg(ChaosHistory::instanceName(i)).arg(strategy).arg(checked);
                QJsonObject body { { QStringLiteral("name"), name }, { QStringLiteral("price"), checked } };
                if (p.method == "POST" && p.id > 0)
                    body.insert(QStringLiteral("id"), p.id);
                const HttpAnswer a = http.request(port, p.method, p.path, QJsonDocument(body).toJson(), 10000);
                const QJsonObject product
                    = QJsonDocument::fromJson(a.body).object().value(QLatin1String("product")).toObject();
                const qint64 id = product.value(QLatin1String("id")).toInteger();
                const qint64 version = product.value(QLatin1String("version")).toInteger();
                const QString said = QStringLiteral("%1: %2 '%3' answered %4 (id %5 version %6)")
                                         .arg(where, p.what, name)
                                         .arg(a.status)
                                         .arg(id)
                                         .arg(version);
                if (a.status != 200 && a.status != 201) {
                    v << ChaosViolation { m_history.now(),
                        QStringLiteral("write refused after the chaos (%1)").arg(strategy),
                        said + QStringLiteral(": ") + QString::fromUtf8(a.body.left(200)) + a.error };
                    continue;
                }
                const QByteArray key = "product:" + QByteArray::number(id);
                const auto hashes = probe.hashes({ key });
                const QHash<QByteArray, QByteArray> fields
                    = hashes ? hashes->value(key) : QHash<QByteArray, QByteArray>();
                if (fields.value("version").toLongLong() == version && QString::fromUtf8(fields.value("name")) == name)
                    continue;
                QStringList held;
                for (auto it = fields.cbegin(); it != fields.cend(); ++it)
                    held << QString::fromUtf8(it.key() + '=' + it.value());
                held.sort();
                v << ChaosViolation { m_history.now(), QStringLiteral("%1 %2 not in the cache").arg(strategy, p.what),
                    QStringLiteral("%1; right after the answer %2 holds %3")
                        .arg(said, QString::fromUtf8(key),
                            held.isEmpty() ? QStringLiteral("nothing") : held.join(QStringLiteral(" "))) };
            }
        }
    }
    QString pending;
    if (!QTest::qWaitFor([&] { return (pending = pendingWrites()).isEmpty(); }, DrainMs))
        v << ChaosViolation { m_history.now(), QStringLiteral("write-behind queue not drained"),
            QStringLiteral("the probes' write-behind queue did not drain within %1 ms: %2").arg(DrainMs).arg(pending) };
    QVERIFY2(
        report(QStringLiteral("(8) write-through and write-behind writes are in the cache when answered"), checked, v),
        qPrintable(QStringLiteral("seed %1: %2").arg(m_config.seed).arg(v.value(0).text.left(300))));
}

void TestChaos::cleanupTestCase()
{
    for (auto &instance : m_instances) {
        if (instance)
            instance->kill();
    }
    if (!m_dir.autoRemove() && !m_redis.dir().isEmpty()) {
        // The server's folder goes with it: keep a copy of its AOF.
        m_redis.kill();
        QDir aof(m_redis.dir() + QStringLiteral("/appendonlydir"));
        QDir().mkpath(m_dir.filePath(QStringLiteral("redis-aof")));
        for (const QString &file : aof.entryList(QDir::Files))
            QFile::copy(aof.filePath(file), m_dir.filePath(QStringLiteral("redis-aof/") + file));
        qInfo("chaos: kept %s (chaos.db, redis-aof/, instance-*.log)", qPrintable(m_dir.path()));
    }
    QStringList lines;
    lines << QStringLiteral("chaos figures: seed %1, strategy %2, %3 s of load, %4 clients, 2 instances, test ran %5 s")
                 .arg(m_config.seed)
                 .arg(m_config.strategy)
                 .arg(m_config.seconds)
                 .arg(m_config.clients)
                 .arg(double(m_history.now()) / 1000.0, 0, 'f', 1);
    for (const QString &line : m_history.opFigures())
        lines << QStringLiteral("  ") + line;
    lines << QStringLiteral("  acknowledged writes: %1").arg(m_history.acknowledgedWrites());
    lines << QStringLiteral("  outside SQL edits: %1 (%2 failed%3)")
                 .arg(m_history.outsideEditCount())
                 .arg(m_history.outsideFailureCount())
                 .arg(m_history.outsideFailureCount() > 0
                         ? QStringLiteral(", first: ") + m_history.firstOutsideFailure()
                         : QString());
    lines << QStringLiteral("  faults: ") + m_history.faultFigures().join(QStringLiteral(", "));
    lines << QStringLiteral("  slowest GET: %1 ms (sent %2); quiet period until checked: %3 ms")
                 .arg(m_history.slowestGetMs())
                 .arg(ChaosHistory::at(m_history.slowestGetAtMs()))
                 .arg(m_quietMs);
    int held = 0;
    int invariants = 0;
    for (const InvariantResult &r : std::as_const(m_results)) {
        const bool figure = r.name.endsWith(QStringLiteral("(a figure)"));
        invariants += figure ? 0 : 1;
        held += !figure && r.violated == 0 ? 1 : 0;
        lines << QStringLiteral("  %1: %2 (%3 checked)")
                     .arg(r.name,
                         r.violated == 0 ? (figure ? QStringLiteral("none") : QStringLiteral("held"))
                                         : (figure ? QStringLiteral("%1") : QStringLiteral("%1 violations")).arg(r.violated))
                     .arg(r.checked);
        for (const QString &kind : r.kinds)
            lines << QStringLiteral("      ") + kind;
    }
    lines << QStringLiteral("  invariants held: %1 of %2").arg(held).arg(invariants);
    for (const QString &line : std::as_const(lines))
        qInfo("%s", qPrintable(line));
}

QTEST_GUILESS_MAIN(TestChaos)
#include "tst_chaos.moc"
