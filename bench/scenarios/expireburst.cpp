// expire-burst: a wave of expiries through the event path (see expireburst.h).
#include "expireburst.h"

#include "benchloop.h"
#include "benchserver.h"
#include "keyspacewatcher.h"
#include "keytablemodel.h"
#include "rawredis.h"

#include <QElapsedTimer>
#include <QHash>

#include <atomic>
#include <thread>

#include <hiredis/hiredis.h>

namespace {
const QByteArray Pattern = QByteArrayLiteral("__keyspace@0__:*");
const QByteArray OutputLimitLine = QByteArrayLiteral("overcoming of output buffer limits");
} // namespace

// Sets the keys from its own thread with its own connection, so the event
// loop (or the raw subscriber) keeps reading while the keys are written:
// otherwise the server would buffer every notification for a reader that
// cannot read, which is the very limit this scenario watches.
class ExpireBurstScenario::Setter final
{
public:
    Setter(const RedisUrl &url, qint64 n, int leadMs, int spreadMs)
    {
        m_thread = std::thread([this, url, n, leadMs, spreadMs] {
            RawRedis raw;
            QString error;
            if (!raw.connect(url, &error)) {
                m_error = error;
                m_done = true;
                return;
            }
            QElapsedTimer clock;
            clock.start();
            QList<QList<QByteArray>> batch;
            for (qint64 i = 0; i < n; ++i) {
                // Expiry time is absolute (PXAT would need 7.0; PX from "now"
                // minus time already spent keeps the schedule).
                const qint64 due = leadMs + (n > 1 ? i * spreadMs / (n - 1) : 0) - clock.elapsed();
                batch.append({ QByteArrayLiteral("SET"), QByteArrayLiteral("burst:") + QByteArray::number(i),
                    QByteArrayLiteral("1"), QByteArrayLiteral("PX"), QByteArray::number(std::max<qint64>(1, due)) });
                if (batch.size() == 1000 || i == n - 1) {
                    if (!raw.execPipelined(batch)) {
                        m_error = raw.lastError();
                        break;
                    }
                    batch.clear();
                }
            }
            m_setMs = clock.elapsed();
            m_done = true;
        });
    }
    ~Setter() { m_thread.join(); }
    bool done() const { return m_done; }
    QString error() const { return m_done ? m_error : QString(); }
    qint64 setMs() const { return m_setMs; }

private:
    std::thread m_thread;
    std::atomic_bool m_done { false };
    QString m_error;
    qint64 m_setMs = 0;
};

QString ExpireBurstScenario::description() const
{
    return QStringLiteral(
        "N keys expire in a few s: KeyspaceWatcher batches -> counter + KeyTableModel | keys set, raw PSUBSCRIBE");
}

QStringList ExpireBurstScenario::serverArgs() const
{
    // The embedded server's setting: every keyspace event on.
    return { QStringLiteral("--notify-keyspace-events"), QStringLiteral("KEA") };
}

int ExpireBurstScenario::leadMs() const
{
    return int(std::clamp<qint64>(m_ctx.n / 100, 200, 1500));
}

int ExpireBurstScenario::spreadMs() const
{
    return int(std::clamp<qint64>(m_ctx.n / 50, 100, 2000));
}

bool ExpireBurstScenario::setUp(const BenchContext &ctx, QString *error)
{
    m_ctx = ctx;
    if (!ctx.server->isChild() && !ctx.server->configSet("notify-keyspace-events", "KEA", error))
        return false;
    return true;
}

Sample ExpireBurstScenario::runBaseline(int)
{
    QString error;
    if (!m_ctx.server->flush(&error))
        return Sample::failed(error);
    RawRedis sub;
    RawRedis probe;
    if (!sub.connect(m_ctx.server->url(), &error) || !probe.connect(m_ctx.server->url(), &error))
        return Sample::failed(error);
    RawReplyPtr ok = sub.command({ QByteArrayLiteral("PSUBSCRIBE"), Pattern });
    if (!ok)
        return Sample::failed(QStringLiteral("PSUBSCRIBE failed: %1").arg(sub.lastError()));
    sub.setTimeout(100);

    QElapsedTimer clock;
    clock.start();
    qint64 expired = 0;
    qint64 lastEventMs = 0;
    bool cutOff = false;
    {
        Setter setter(m_ctx.server->url(), m_ctx.n, leadMs(), spreadMs());
        qint64 quietSince = -1;
        while (expired < m_ctx.n && clock.elapsed() < 60000) {
            RawReplyPtr msg = sub.read();
            if (!msg) {
                if (!sub.timedOut()) {
                    cutOff = true; // the server closed us
                    break;
                }
                // A read timeout: check whether anything is left to expire.
                if (setter.done()) {
                    qint64 keys = 0;
                    probe.exec({ QByteArrayLiteral("DBSIZE") }, nullptr, &keys);
                    if (keys == 0) {
                        if (quietSince < 0)
                            quietSince = clock.elapsed();
                        else if (clock.elapsed() - quietSince > 2000)
                            break; // nothing left, nothing arriving
                    }
                }
                continue;
            }
            if (msg->type == REDIS_REPLY_ARRAY && msg->elements == 4 && msg->element[3]->len == 7
                && qstrncmp(msg->element[3]->str, "expired", 7) == 0) {
                ++expired;
                lastEventMs = clock.elapsed();
            }
        }
        if (!setter.error().isEmpty())
            return Sample::failed(QStringLiteral("setting keys failed: %1").arg(setter.error()));
    }
    Sample s = Sample::throughput(expired, double(std::max<qint64>(lastEventMs, 1)) / 1000.0);
    s.value = double(expired) / double(m_ctx.n);
    s.extra.insert(QStringLiteral("keys_set"), m_ctx.n);
    s.extra.insert(QStringLiteral("expired_events"), expired);
    s.extra.insert(QStringLiteral("disconnected"), cutOff);
    return s;
}

Sample ExpireBurstScenario::runCacheLab(int)
{
    QString error;
    if (!m_ctx.server->flush(&error))
        return Sample::failed(error);
    RawRedis probe;
    if (!probe.connect(m_ctx.server->url(), &error))
        return Sample::failed(error);
    const qsizetype logBefore = m_ctx.server->logText().count(OutputLimitLine);

    KeyspaceWatcher watcher(m_ctx.server->url());
    watcher.setMode(KeyspaceWatcher::Mode::Keyspace);
    watcher.setKeyPattern(QByteArrayLiteral("*"));
    watcher.setBatchInterval(100);
    KeyTableModel model;
    QHash<QString, qint64> perKind; // what the events panel counts
    int subscriptions = 0;
    QStringList errors;
    qint64 batches = 0;
    qint64 largestBatch = 0;
    qint64 lastEventMs = 0;
    QElapsedTimer clock;
    QObject::connect(&watcher, &KeyspaceWatcher::subscribed, &model, [&] { ++subscriptions; });
    QObject::connect(&watcher, &KeyspaceWatcher::errorOccurred, &model, [&](const QString &e) { errors << e; });
    double longestBatchMs = 0;
    QObject::connect(&watcher, &KeyspaceWatcher::eventsBatched, &model, [&](const QList<KeyspaceEvent> &events) {
        QElapsedTimer handler;
        handler.start();
        ++batches;
        largestBatch = std::max<qint64>(largestBatch, events.size());
        for (const KeyspaceEvent &e : events)
            ++perKind[e.event];
        model.applyEvents(events);
        if (events.constLast().event == QLatin1String("expired"))
            lastEventMs = clock.elapsed();
        longestBatchMs = std::max(longestBatchMs, double(handler.nsecsElapsed()) / 1e6);
    });
    QTimer tick; // the key browser's countdown/fade tick
    QObject::connect(&tick, &QTimer::timeout, &model, [&] { model.tick(); });
    tick.start(250);

    watcher.start();
    if (!BenchLoop::waitUntil([&] { return subscriptions > 0; }, 10000))
        return Sample::failed(
            QStringLiteral("the watcher did not subscribe: %1").arg(errors.join(QStringLiteral("; "))));

    StallProbe stall;
    stall.start();
    clock.start();
    bool allExpired = false;
    {
        Setter setter(m_ctx.server->url(), m_ctx.n, leadMs(), spreadMs());
        qint64 quietSince = -1;
        qint64 lastSeen = -1;
        allExpired = BenchLoop::waitUntil(
            [&] {
                if (perKind.value(QStringLiteral("expired")) >= m_ctx.n)
                    return true;
                if (!setter.done())
                    return false;
                // Stop when the keyspace is empty and no event came for 2 s.
                qint64 keys = 0;
                probe.exec({ QByteArrayLiteral("DBSIZE") }, nullptr, &keys);
                const qint64 seen = qint64(watcher.eventsSeen());
                if (keys != 0 || seen != lastSeen) {
                    lastSeen = seen;
                    quietSince = clock.elapsed();
                    return false;
                }
                return clock.elapsed() - quietSince > 2000;
            },
            60000);
        if (!setter.error().isEmpty())
            return Sample::failed(QStringLiteral("setting keys failed: %1").arg(setter.error()));
    }
    stall.stop();
    const double maxStall = stall.maxStallMs();
    // The key browser must have dropped every key once the fades ran out.
    BenchLoop::waitUntil([&] { return model.rowCount() == 0; }, int(KeyTableModel::FadeMs) + 2000);
    watcher.stop();

    const qint64 expired = perKind.value(QStringLiteral("expired"));
    const qsizetype cutLines = m_ctx.server->logText().count(OutputLimitLine) - logBefore;
    Sample s = Sample::throughput(expired, double(std::max<qint64>(lastEventMs, 1)) / 1000.0);
    s.value = double(expired) / double(m_ctx.n);
    s.extra.insert(QStringLiteral("keys_set"), m_ctx.n);
    s.extra.insert(QStringLiteral("expired_events"), expired);
    s.extra.insert(QStringLiteral("set_events"), perKind.value(QStringLiteral("set")));
    s.extra.insert(QStringLiteral("events_total"), qint64(watcher.eventsSeen()));
    s.extra.insert(QStringLiteral("batches"), batches);
    s.extra.insert(QStringLiteral("largest_batch"), largestBatch);
    s.extra.insert(QStringLiteral("model_rows_left"), model.rowCount());
    s.extra.insert(QStringLiteral("subscriptions"), subscriptions);
    s.extra.insert(QStringLiteral("output_limit_disconnects"), qint64(cutLines));
    s.extra.insert(QStringLiteral("disconnected"), subscriptions > 1 || cutLines > 0);
    s.extra.insert(QStringLiteral("max_stall_ms"), maxStall);
    s.extra.insert(QStringLiteral("longest_batch_handler_ms"), longestBatchMs);
    s.extra.insert(QStringLiteral("all_expired_in_time"), allExpired);
    if (!errors.isEmpty())
        s.extra.insert(QStringLiteral("watcher_errors"), errors.join(QStringLiteral("; ")));
    return s;
}

Evaluation ExpireBurstScenario::evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const
{
    Evaluation e;
    // The goal is about the worst round: one lost event in any round is a loss.
    double worst = cachelab.isEmpty() ? 0 : 1;
    bool disconnected = false;
    qint64 rowsLeft = 0;
    double worstStall = 0;
    double worstHandler = 0;
    for (const Sample &s : cachelab) {
        worstHandler = std::max(worstHandler, s.extra.value(QStringLiteral("longest_batch_handler_ms")).toDouble());
        worst = std::min(worst, s.ok ? s.value : 0.0);
        disconnected = disconnected || s.extra.value(QStringLiteral("disconnected")).toBool();
        rowsLeft = std::max<qint64>(rowsLeft, s.extra.value(QStringLiteral("model_rows_left")).toInteger());
        worstStall = std::max(worstStall, s.extra.value(QStringLiteral("max_stall_ms")).toDouble());
    }
    double baselineWorst = baseline.isEmpty() ? 0 : 1;
    for (const Sample &s : baseline)
        baselineWorst = std::min(baselineWorst, s.ok ? s.value : 0.0);
    e.ratio = worst;
    // The goal: every expired event counted, no disconnect. The key
    // browser's consistency (no row left for a key that is gone) is reported
    // beside it, not folded into it.
    e.met = worst >= 1.0 && !disconnected;
    e.fields.insert(QStringLiteral("key_browser_consistent"), rowsLeft == 0);
    e.fields.insert(QStringLiteral("delivered_fraction_worst"), worst);
    e.fields.insert(QStringLiteral("baseline_delivered_fraction_worst"), baselineWorst);
    e.fields.insert(QStringLiteral("disconnected"), disconnected);
    e.fields.insert(QStringLiteral("model_rows_left"), rowsLeft);
    e.fields.insert(QStringLiteral("max_stall_ms"), worstStall);
    e.fields.insert(QStringLiteral("longest_batch_handler_ms"), worstHandler);
    e.notes << QStringLiteral("worst round %1 %").arg(worst * 100, 0, 'f', 3)
            << (disconnected ? QStringLiteral("DISCONNECTED") : QStringLiteral("no disconnect"))
            << QStringLiteral("stall %1 ms").arg(worstStall, 0, 'f', 1);
    if (rowsLeft > 0)
        e.notes << QStringLiteral("%1 ghost rows left in KeyTableModel").arg(rowsLeft);
    return e;
}
