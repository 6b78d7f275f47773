// keys-1m and keys-10m: keys into the key browser model (see keys1m.h).
#include "keys1m.h"

#include "benchloop.h"
#include "benchserver.h"
#include "keyscanner.h"
#include "keytablemodel.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QTimer>

#include <hiredis/hiredis.h>

namespace {
constexpr double MiB = 1024.0 * 1024.0;
const QByteArray KeyPrefix = QByteArrayLiteral("bench:key");
} // namespace

QString Keys1mScenario::description() const
{
    return QStringLiteral(
        "KeyScanner + KeyTableModel load all keys (half with TTL) | SCAN COUNT 1000 loop, names only");
}

QStringList Keys1mScenario::serverArgs() const
{
    // DEBUG POPULATE makes a million keys in about a second.
    return { QStringLiteral("--enable-debug-command"), QStringLiteral("yes") };
}

bool Keys1mScenario::setUp(const BenchContext &ctx, QString *error)
{
    m_ctx = ctx;
    if (!m_raw.connect(ctx.server->url(), error))
        return false;
    m_raw.setTimeout(120000);
    return populate(error);
}

bool Keys1mScenario::populate(QString *error)
{
    // DEBUG POPULATE n prefix size -> "prefix:0".."prefix:n-1", string values.
    if (!m_raw.exec({ QByteArrayLiteral("DEBUG"), QByteArrayLiteral("POPULATE"), QByteArray::number(m_ctx.n), KeyPrefix,
            QByteArrayLiteral("10") })) {
        // No DEBUG on this server (an external one): pipelined SETs instead.
        QList<QList<QByteArray>> sets;
        for (qint64 i = 0; i < m_ctx.n; ++i) {
            sets.append(
                { QByteArrayLiteral("SET"), KeyPrefix + ':' + QByteArray::number(i), QByteArrayLiteral("value") });
            if (sets.size() == 10000 || i == m_ctx.n - 1) {
                if (!m_raw.execPipelined(sets)) {
                    *error = QStringLiteral("cannot create keys: %1").arg(m_raw.lastError());
                    return false;
                }
                sets.clear();
            }
        }
    }
    // Every even key gets an hour of TTL: half the keyspace has one, and
    // none expires during the run.
    QList<QList<QByteArray>> expires;
    for (qint64 i = 0; i < m_ctx.n; i += 2) {
        expires.append(
            { QByteArrayLiteral("PEXPIRE"), KeyPrefix + ':' + QByteArray::number(i), QByteArrayLiteral("3600000") });
        if (expires.size() == 10000 || i + 2 >= m_ctx.n) {
            if (!m_raw.execPipelined(expires)) {
                *error = QStringLiteral("cannot set TTLs: %1").arg(m_raw.lastError());
                return false;
            }
            expires.clear();
        }
    }
    qint64 keys = 0;
    m_raw.exec({ QByteArrayLiteral("DBSIZE") }, nullptr, &keys);
    if (keys != m_ctx.n) {
        *error = QStringLiteral("expected %1 keys, the server has %2").arg(m_ctx.n).arg(keys);
        return false;
    }
    return true;
}

Sample Keys1mScenario::runBaseline(int)
{
    QElapsedTimer clock;
    clock.start();
    QByteArray cursor = QByteArrayLiteral("0");
    qint64 names = 0;
    do {
        RawReplyPtr r = m_raw.command(
            { QByteArrayLiteral("SCAN"), cursor, QByteArrayLiteral("COUNT"), QByteArrayLiteral("1000") });
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
            return Sample::failed(QStringLiteral("SCAN failed: %1").arg(m_raw.lastError()));
        cursor = QByteArray(r->element[0]->str, qsizetype(r->element[0]->len));
        names += qint64(r->element[1]->elements);
    } while (cursor != "0");
    Sample s = Sample::throughput(names, double(clock.nsecsElapsed()) / 1e9);
    s.value = s.seconds;
    return s;
}

Sample Keys1mScenario::runCacheLab(int round)
{
    BenchLoop::trimHeap();
    const qint64 rssBefore = BenchLoop::residentBytes();
    Sample s;
    {
        KeyScanner scanner(m_ctx.server->url());
        KeyTableModel model;
        bool finished = false;
        int detailsInFlight = 0;
        QString failure;

        // The key browser's wiring: names stream into the model; TYPE/PTTL
        // are fetched for the visible rows only (here the first VisibleRows).
        const auto requestVisible = [&] {
            if (detailsInFlight > 2 || !scanner.isConnected())
                return;
            const QList<QByteArray> keys = model.takeKeysNeedingDetails(0, VisibleRows - 1, 200);
            if (keys.isEmpty())
                return;
            ++detailsInFlight;
            scanner.fetchDetails(keys);
        };
        // The probe sees every delay of the thread (including the OS not
        // running us on a busy box); the handler clock sees only the model's
        // own work per batch.
        double longestAddMs = 0;
        QObject::connect(&scanner, &KeyScanner::keysFound, &model, [&](const QList<QByteArray> &keys) {
            QElapsedTimer handler;
            handler.start();
            model.addKeys(keys);
            longestAddMs = std::max(longestAddMs, double(handler.nsecsElapsed()) / 1e6);
            requestVisible();
        });
        QObject::connect(&scanner, &KeyScanner::detailsReady, &model, [&](const QList<KeyDetails> &details) {
            --detailsInFlight;
            model.applyDetails(details);
            requestVisible();
        });
        QObject::connect(
            &scanner, &KeyScanner::detailsFailed, &model, [&](const QList<QByteArray> &, const QString &e) {
                --detailsInFlight;
                failure = e;
            });
        QObject::connect(&scanner, &KeyScanner::scanFinished, &model, [&] { finished = true; });
        QObject::connect(&scanner, &KeyScanner::errorOccurred, &model, [&](const QString &e) { failure = e; });

        scanner.connectToServer();
        if (!BenchLoop::waitUntil([&] { return scanner.isConnected(); }, 10000))
            return Sample::failed(QStringLiteral("the key scanner did not connect"));

        // A user scrolling and selecting while the keys load.
        double longestViewMs = 0;
        QRandomGenerator random(quint32(round) + 1);
        QTimer viewer;
        viewer.setInterval(100);
        QObject::connect(&viewer, &QTimer::timeout, &model, [&] {
            const int rows = model.rowCount();
            if (rows == 0)
                return;
            QElapsedTimer op;
            op.start();
            const int top = int(random.bounded(rows));
            for (int row = top; row < std::min(rows, top + VisibleRows); ++row) {
                for (int column = 0; column < KeyTableModel::ColumnCount; ++column)
                    model.index(row, column).data();
            }
            if (model.rowOfKey(model.keyAt(top)) != top)
                failure = QStringLiteral("row %1 was not found by its key").arg(top);
            longestViewMs = std::max(longestViewMs, double(op.nsecsElapsed()) / 1e6);
        });
        viewer.start();

        StallProbe probe;
        probe.start();
        QElapsedTimer clock;
        clock.start();
        scanner.scan(QByteArrayLiteral("*"));
        const bool ok
            = BenchLoop::waitUntil([&] { return !failure.isEmpty() || (finished && detailsInFlight == 0); }, 600000);
        const double seconds = double(clock.nsecsElapsed()) / 1e9;
        probe.stop();
        viewer.stop();
        if (!failure.isEmpty())
            return Sample::failed(failure);
        if (!ok)
            return Sample::failed(QStringLiteral("the scan did not finish (%1 rows)").arg(model.rowCount()));
        if (model.rowCount() != m_ctx.n)
            return Sample::failed(
                QStringLiteral("the model holds %1 rows, the server %2 keys").arg(model.rowCount()).arg(m_ctx.n));

        int visibleWithDetails = 0;
        for (int row = 0; row < std::min<int>(VisibleRows, model.rowCount()); ++row)
            visibleWithDetails += model.remainingMs(row) != -2 ? 1 : 0;

        const qint64 rssAfter = BenchLoop::residentBytes();
        s = Sample::throughput(model.rowCount(), seconds);
        s.value = seconds;
        s.extra.insert(QStringLiteral("rss_delta_mib"), double(rssAfter - rssBefore) / MiB);
        s.extra.insert(QStringLiteral("model_footprint_mib"), double(model.memoryFootprint()) / MiB);
        s.extra.insert(QStringLiteral("max_stall_ms"), probe.maxStallMs());
        s.extra.insert(QStringLiteral("stalls_over_50ms"), probe.ticksOver50ms());
        s.extra.insert(QStringLiteral("longest_add_keys_ms"), longestAddMs);
        s.extra.insert(QStringLiteral("longest_view_ms"), longestViewMs);
        s.extra.insert(QStringLiteral("visible_rows_with_details"), visibleWithDetails);
        if (round == 0)
            measureFullDetails(scanner, model, &s);
    }
    BenchLoop::trimHeap();
    return s;
}

void Keys1mScenario::measureFullDetails(KeyScanner &scanner, KeyTableModel &model, Sample *into)
{
    // A user who scrolls through every row makes the browser fetch TYPE,
    // PTTL and MEMORY USAGE for each: 3 commands per key, pipelined 1000
    // keys per write, a few writes in flight.
    int inFlight = 0;
    int nextRow = 0;
    qint64 applied = 0;
    QString failure;
    const int rows = model.rowCount();
    const auto pump = [&] {
        while (inFlight < 4 && nextRow < rows) {
            const int last = std::min(rows - 1, nextRow + 999);
            const QList<QByteArray> keys = model.takeKeysNeedingDetails(nextRow, last, 1000);
            nextRow = last + 1;
            if (keys.isEmpty())
                continue;
            ++inFlight;
            scanner.fetchDetails(keys);
        }
    };
    const auto c1 = QObject::connect(&scanner, &KeyScanner::detailsReady, &model, [&](const QList<KeyDetails> &d) {
        --inFlight;
        applied += d.size();
        pump();
    });
    const auto c2 = QObject::connect(
        &scanner, &KeyScanner::detailsFailed, &model, [&](const QList<QByteArray> &, const QString &e) {
            --inFlight;
            failure = e;
        });
    StallProbe probe;
    probe.start();
    QElapsedTimer clock;
    clock.start();
    pump();
    const bool ok
        = BenchLoop::waitUntil([&] { return !failure.isEmpty() || (nextRow >= rows && inFlight == 0); }, 600000);
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    probe.stop();
    QObject::disconnect(c1);
    QObject::disconnect(c2);
    QJsonObject full;
    full.insert(QStringLiteral("ok"), ok && failure.isEmpty());
    full.insert(QStringLiteral("seconds"), seconds);
    full.insert(QStringLiteral("keys"), applied);
    full.insert(QStringLiteral("max_stall_ms"), probe.maxStallMs());
    full.insert(QStringLiteral("model_footprint_mib"), double(model.memoryFootprint()) / MiB);
    if (!failure.isEmpty())
        full.insert(QStringLiteral("error"), failure);
    into->extra.insert(QStringLiteral("full_details"), full);
}

Evaluation Keys1mScenario::evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const
{
    Evaluation e = Scenario::evaluate(baseline, cachelab);
    double worstRss = 0;
    double worstFootprint = 0;
    double worstStall = 0;
    double worstAdd = 0;
    double worstView = 0;
    for (const Sample &s : cachelab) {
        if (!s.ok)
            continue;
        worstAdd = std::max(worstAdd, s.extra.value(QStringLiteral("longest_add_keys_ms")).toDouble());
        worstView = std::max(worstView, s.extra.value(QStringLiteral("longest_view_ms")).toDouble());
        worstRss = std::max(worstRss, s.extra.value(QStringLiteral("rss_delta_mib")).toDouble());
        worstFootprint = std::max(worstFootprint, s.extra.value(QStringLiteral("model_footprint_mib")).toDouble());
        worstStall = std::max(worstStall, s.extra.value(QStringLiteral("max_stall_ms")).toDouble());
        if (s.extra.contains(QStringLiteral("full_details")))
            e.fields.insert(QStringLiteral("full_details"), s.extra.value(QStringLiteral("full_details")));
    }
    const bool timeMet = e.met;
    const double memoryGoal = memoryGoalMiB(m_ctx.n);
    const bool memoryMet = worstRss <= memoryGoal;
    const bool stallMet = worstStall <= StallGoalMs;
    e.met = timeMet && memoryMet && stallMet && !cachelab.isEmpty();
    e.fields.insert(QStringLiteral("time_met"), timeMet);
    e.fields.insert(QStringLiteral("memory_mib"), worstRss);
    e.fields.insert(QStringLiteral("memory_source"), QStringLiteral("VmRSS delta of the bench process, worst round"));
    e.fields.insert(QStringLiteral("model_footprint_mib"), worstFootprint);
    e.fields.insert(QStringLiteral("memory_goal_mib"), memoryGoal);
    e.fields.insert(QStringLiteral("bytes_per_key"), m_ctx.n > 0 ? worstRss * MiB / double(m_ctx.n) : 0.0);
    e.fields.insert(QStringLiteral("memory_met"), memoryMet);
    e.fields.insert(QStringLiteral("max_stall_ms"), worstStall);
    e.fields.insert(QStringLiteral("stall_goal_ms"), StallGoalMs);
    e.fields.insert(QStringLiteral("stall_met"), stallMet);
    e.fields.insert(QStringLiteral("longest_add_keys_ms"), worstAdd);
    e.fields.insert(QStringLiteral("longest_view_ms"), worstView);
    e.notes << QStringLiteral("RSS +%1 MiB").arg(worstRss, 0, 'f', 1)
            << QStringLiteral("stall %1 ms").arg(worstStall, 0, 'f', 1);
    return e;
}

double Keys1mScenario::memoryGoalMiB(qint64) const
{
    return MemoryGoalMiB;
}

double Keys10mScenario::memoryGoalMiB(qint64 keys) const
{
    return MemoryGoalBytesPerKey * double(keys) / MiB;
}

void Keys1mScenario::tearDown()
{
    m_raw.close();
}
