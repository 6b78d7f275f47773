// CacheBackend: shared Redis/SQL steps with tracing, the miss path with
// stampede protection, the stale-set-safe fill and invalidation.
#include "cachebackend.h"

#include "cachescripts.h"

#include <QPointer>
#include "productrepository.h"
#include "timestamp.h"

#include <cmath>
#include <QDateTime>
#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

namespace {

TraceOutcome outcomeOfStore(const StoreResult &r)
{
    switch (r.status) {
    case StoreStatus::Ok:
        return TraceOutcome::Ok;
    case StoreStatus::NotFound:
        return TraceOutcome::NotFound;
    case StoreStatus::Invalid:
        return TraceOutcome::Invalid;
    case StoreStatus::Conflict:
        return TraceOutcome::Conflict;
    case StoreStatus::Error:
        return TraceOutcome::Error;
    }
    return TraceOutcome::Error;
}

TraceOutcome outcomeOfError(const RedisReply &r)
{
    return r.isClientError() ? TraceOutcome::Unavailable : TraceOutcome::Error;
}

// The arguments part of scriptText(): what redactedCommandText(keys + args,
// 140) gives, built directly when every argument is printable ASCII (a fill
// carries a product name, which usually has a space and so missed that
// function's own fast path). Anything else goes to redactedCommandText.
QString scriptArgsText(const QList<QByteArray> &keys, const QList<QByteArray> &args)
{
    constexpr int MaxChars = 140;
    constexpr qsizetype MaxArg = 48;
    const QByteArray first = keys.isEmpty() ? (args.isEmpty() ? QByteArray() : args.first()) : keys.first();
    bool plain = first.compare("AUTH", Qt::CaseInsensitive) != 0 && first.compare("HELLO", Qt::CaseInsensitive) != 0
        && first.compare("CONFIG", Qt::CaseInsensitive) != 0;
    const auto printable = [](const QByteArray &a) {
        for (const char c : a) {
            if (c < ' ' || c > '~')
                return false;
        }
        return true;
    };
    for (qsizetype i = 0; plain && i < keys.size() + args.size(); ++i)
        plain = printable(i < keys.size() ? keys.at(i) : args.at(i - keys.size()));
    if (!plain)
        return redactedCommandText(keys + args, MaxChars);
    QString out;
    out.reserve(MaxChars + 64);
    for (qsizetype i = 0; i < keys.size() + args.size(); ++i) {
        const QByteArray &a = i < keys.size() ? keys.at(i) : args.at(i - keys.size());
        if (i > 0)
            out += QLatin1Char(' ');
        const bool elided = a.size() > MaxArg;
        const QByteArray shown = elided ? a.left(MaxArg - 3) + "..." : a;
        if (shown.isEmpty() || shown.contains(' ') || shown.contains('"')) {
            out += QLatin1Char('"');
            for (const char c : shown) {
                if (c == '"')
                    out += QLatin1Char('\\');
                out += QLatin1Char(c);
            }
            out += QLatin1Char('"');
        } else {
            out += QLatin1StringView(shown);
        }
        if (out.size() > MaxChars + 48)
            break; // the rest would be cut off below anyway
    }
    if (out.size() > MaxChars)
        out = out.left(MaxChars - 3) + QStringLiteral("...");
    return out;
}

QString scriptText(
    const QByteArray &sha, const QString &name, const QList<QByteArray> &keys, const QList<QByteArray> &args)
{
    return QStringLiteral("EVALSHA ") + QLatin1StringView(sha.left(8)) + QStringLiteral(".. (") + name
        + QStringLiteral(") ") + scriptArgsText(keys, args);
}

// "label: MULTI | cmd | ... | EXEC", the trace text of a transaction.
QString transactionText(const QList<RedisCommand> &cmds, const QString &label)
{
    QString text = label.isEmpty() ? QString() : label + QStringLiteral(": ");
    text += QStringLiteral("MULTI");
    for (const RedisCommand &c : cmds)
        text += QStringLiteral(" | ") + redactedCommandText(c, 90);
    text += QStringLiteral(" | EXEC");
    return text;
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

TraceOutcome CacheBackend::storeOutcome(const StoreResult &r)
{
    return outcomeOfStore(r);
}

TraceOutcome CacheBackend::redisErrorOutcome(const RedisReply &r)
{
    return outcomeOfError(r);
}

CacheBackend::CacheBackend(RedisClient *redis, ProductRepository *repository, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_repository(repository)
    , m_random(QRandomGenerator::securelySeeded())
{
    m_viewTimer.setSingleShot(true);
    m_viewTimer.setInterval(ViewBatchMs);
    connect(&m_viewTimer, &QTimer::timeout, this, &CacheBackend::flushViews);
    m_clock.start();
    m_deadlineTimer.setSingleShot(true);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &CacheBackend::fireReadDeadlines);
    m_markTimer.setInterval(500);
    connect(&m_markTimer, &QTimer::timeout, this, &CacheBackend::advanceWatermark);
    m_markTimer.start();
}

void CacheBackend::setSettings(const CacheSettings &settings)
{
    m_settings = settings;
    m_keys = CacheKeys(settings.keyPrefix);
}

bool CacheBackend::cacheUp() const
{
    return m_redis && m_redis->isConnected();
}

// --- Redis with tracing --------------------------------------------------------------------

void CacheBackend::command(const OperationPtr &op, const RedisCommand &cmd, const Classifier &classify,
    std::function<void(const RedisReply &)> then)
{
    QElapsedTimer clock;
    clock.start();
    ++m_metrics.redisCommands;
    // The trace text is made when the reply is recorded, not before sending
    // (cmd is implicitly shared; the same text, and none for a finished op).
    m_redis->command(cmd, this, [op, cmd, clock, classify, then = std::move(then)](const RedisReply &r) {
        if (op && !op->isFinished()) {
            const qint64 micros = clock.nsecsElapsed() / 1000;
            const TraceOutcome outcome = r.isError() ? outcomeOfError(r) : (classify ? classify(r) : TraceOutcome::Ok);
            op->step(TraceSystem::Redis, redactedCommandText(cmd), outcome, micros, r.toDisplayString(80));
        }
        if (then)
            then(r);
    });
}

void CacheBackend::pipeline(const OperationPtr &op, const QList<RedisCommand> &cmds, const QString &label,
    std::function<void(const QList<RedisReply> &)> then)
{
    QElapsedTimer clock;
    clock.start();
    m_metrics.redisCommands += quint64(cmds.size());
    QString text = label;
    if (text.isEmpty()) {
        text = QStringLiteral("pipeline %1: ").arg(cmds.size());
        text += cmds.isEmpty() ? QString() : redactedCommandText(cmds.first(), 80);
        if (cmds.size() > 1)
            text += QStringLiteral(" ...");
    }
    m_redis->pipeline(cmds, this, [op, text, clock, then = std::move(then)](const QList<RedisReply> &replies) {
        if (op) {
            TraceOutcome outcome = TraceOutcome::Ok;
            for (const RedisReply &r : replies) {
                if (r.isError()) {
                    outcome = outcomeOfError(r);
                    break;
                }
            }
            op->step(TraceSystem::Redis, text, outcome, clock.nsecsElapsed() / 1000,
                replies.size() > 1 ? QStringLiteral("%1 replies in 1 round trip (%2 saved by pipelining)")
                                         .arg(replies.size())
                                         .arg(replies.size() - 1)
                                   : QStringLiteral("%1 replies").arg(replies.size()));
        }
        if (then)
            then(replies);
    });
}

void CacheBackend::transaction(const OperationPtr &op, const QList<RedisCommand> &cmds, const QString &label,
    std::function<void(const RedisReply &)> then)
{
    QElapsedTimer clock;
    clock.start();
    m_metrics.redisCommands += quint64(cmds.size()) + 2;
    // Trace text made when the reply is recorded (see command()).
    m_redis->transaction(cmds, this, [op, cmds, label, clock, then = std::move(then)](const RedisReply &r) {
        if (op && !op->isFinished()) {
            const qint64 micros = clock.nsecsElapsed() / 1000;
            const TraceOutcome outcome = r.isError() ? outcomeOfError(r) : TraceOutcome::Ok;
            op->step(TraceSystem::Redis, transactionText(cmds, label), outcome, micros, r.toDisplayString(80));
        }
        if (then)
            then(r);
    });
}

void CacheBackend::script(const OperationPtr &op, const RedisScript &s, const QList<QByteArray> &keys,
    const QList<QByteArray> &args, const Classifier &classify, std::function<void(const RedisReply &)> then)
{
    QElapsedTimer clock;
    clock.start();
    ++m_metrics.redisCommands;
    // Trace text made when the reply is recorded (see command()).
    const QByteArray sha = s.sha();
    const QString name = s.name();
    s.run(m_redis, keys, args, this,
        [this, op, sha, keys, args, name, clock, classify, then = std::move(then)](const RedisReply &r, bool reloaded) {
            if (reloaded)
                ++m_metrics.redisCommands;
            if (op && !op->isFinished()) {
                const QString text = scriptText(sha, name, keys, args);
                if (reloaded)
                    op->step(TraceSystem::Redis, QStringLiteral("SCRIPT LOAD (%1) after NOSCRIPT").arg(name),
                        TraceOutcome::Ok);
                const TraceOutcome outcome
                    = r.isError() ? outcomeOfError(r) : (classify ? classify(r) : TraceOutcome::Ok);
                op->step(TraceSystem::Redis, text, outcome, clock.nsecsElapsed() / 1000, r.toDisplayString(80));
            }
            if (then)
                then(r);
        });
}

void CacheBackend::scriptPipeline(const OperationPtr &op, const RedisScript &s,
    const QList<QPair<QList<QByteArray>, QList<QByteArray>>> &calls, const QString &label,
    std::function<void(const QList<RedisReply> &)> then)
{
    QList<RedisCommand> cmds;
    for (const auto &c : calls)
        cmds << s.evalsha(c.first, c.second);
    const QString text
        = label.isEmpty() ? QStringLiteral("pipeline %1 x EVALSHA (%2)").arg(cmds.size()).arg(s.name()) : label;
    pipeline(op, cmds, text, [this, op, cmds, &s, then = std::move(then)](const QList<RedisReply> &replies) {
        QList<int> missing;
        for (int i = 0; i < replies.size(); ++i) {
            if (RedisScript::isNoScript(replies.at(i)))
                missing << i;
        }
        if (missing.isEmpty()) {
            then(replies);
            return;
        }
        // The script cache was flushed: load once and repeat only the calls
        // that did not run (the others already had their effect).
        QList<RedisCommand> again { s.load() };
        for (int i : missing)
            again << cmds.at(i);
        pipeline(op, again, QStringLiteral("SCRIPT LOAD (%1) + %2 x EVALSHA again").arg(s.name()).arg(missing.size()),
            [replies, missing, then](const QList<RedisReply> &second) {
                QList<RedisReply> merged = replies;
                for (int k = 0; k < missing.size(); ++k)
                    merged[missing.at(k)] = k + 1 < second.size()
                        ? second.at(k + 1)
                        : RedisReply::clientError(QStringLiteral("script reload failed"));
                then(merged);
            });
    });
}

void CacheBackend::loadScripts()
{
    QList<RedisCommand> cmds;
    for (const RedisScript *s : CacheScripts::all())
        cmds << s->load();
    m_metrics.redisCommands += quint64(cmds.size());
    m_redis->pipeline(cmds, this, [](const QList<RedisReply> &) {});
}

// --- SQL with tracing ----------------------------------------------------------------------

void CacheBackend::sql(const OperationPtr &op, bool write, const QString &what, const StoreCall &call,
    std::function<void(const StoreResult &)> then)
{
    QElapsedTimer clock;
    clock.start();
    if (write)
        ++m_metrics.dbWrites;
    else
        ++m_metrics.dbReads;
    call(*m_repository, this, [op, what, clock, then = std::move(then)](const StoreResult &r) {
        if (op) {
            QString text = r.sql.isEmpty() ? what : r.sql.join(QStringLiteral("; "));
            if (text.size() > 400)
                text = text.left(397) + QStringLiteral("...");
            op->step(TraceSystem::Sql, text, outcomeOfStore(r), clock.nsecsElapsed() / 1000, r.error);
        }
        then(r);
    });
}

void CacheBackend::writeSql(const OperationPtr &op, const QString &what, const WriteCall &call, bool isDelete,
    std::function<void(const StoreResult &)> then)
{
    if (!op->hold)
        holdWriteTicket(op);
    auto run = [this, op, what, call, isDelete, then = std::move(then)](VersionRule rule) {
        sql(
            op, true, what,
            [call, rule](ProductRepository &repo, QObject *ctx, StoreCallback cb) { call(repo, rule, ctx, std::move(cb)); },
            [this, op, isDelete, rule, then](const StoreResult &r) {
                if (!r.ok() || !r.product) {
                    // Nothing written: give the reservation back unless someone
                    // reserved above it meanwhile, so refused writes (a stale
                    // compare-and-set, adjust-price retries) leave no gaps.
                    if (rule.floor > 0 && cacheUp())
                        m_redis->command({ QByteArrayLiteral("EVALSHA"), CacheScripts::versionRelease().sha(),
                                             QByteArrayLiteral("1"), m_keys.versions(),
                                             QByteArray::number(op->trace.productId), QByteArray::number(rule.floor) },
                            this, [](const RedisReply &) {});
                    then(r);
                    return;
                }
                startMark(r.seq);
                const qint64 committed = isDelete ? r.lastVersion : r.product->version;
                if (rule.bump > 1 || (rule.floor > 0 && committed == rule.floor) || !cacheUp()) {
                    // The reserved version (unique by construction), or numbered
                    // clear of anything Redis may hold.
                    then(r);
                    return;
                }
                // SQLite was ahead of what Redis knew (an outside edit, a write
                // made while Redis was away): claim what was committed.
                claimVersion(op, r, isDelete, then);
            });
    };
    const auto offline = [op, run](const QString &why) {
        op->note(QStringLiteral("%1: write-behind writes queued there cannot be seen, so this write's version is "
                                "numbered %2 above the row's, clear of any of theirs")
                     .arg(why)
                     .arg(OfflineStride),
            TraceOutcome::Deferred);
        run(VersionRule { 0, OfflineStride });
    };
    if (!cacheUp()) {
        offline(QStringLiteral("Redis unreachable"));
        return;
    }
    const qint64 id = op->trace.productId;
    if (id <= 0) {
        run(VersionRule {});
        return;
    }
    // Reserve the version first: one above everything any writer was given
    // for this id (the versions hash, the cached hash). Redis hands it out
    // atomically, so no other writer can get it; the SQL write then uses it.
    advanceWatermark();
    const qint64 ready = std::exchange(m_readyMark, 0);
    auto classify = [](const RedisReply &x) { return x.size() == 2 ? TraceOutcome::Ok : TraceOutcome::Error; };
    script(op, CacheScripts::versionReserve(), { m_keys.versions(), m_keys.product(id), watermarkKey(), m_keys.nextId() },
        { QByteArray::number(id), QByteArray::number(ready) }, classify,
        [this, op, run, offline](const RedisReply &reply) {
            if (reply.size() != 2) {
                offline(QStringLiteral("the version could not be reserved in Redis"));
                return;
            }
            const VersionRule rule { reply.at(0).toInteger(), 1 };
            if (reply.at(1).toInteger() == 1 && drainFirst) {
                // A write-behind write of this id is still queued (maybe another
                // instance's): it reaches SQLite first, so this write lands on top.
                op->note(QStringLiteral("a write-behind write of this product is still queued: flushing it first"));
                drainFirst(op, [run, rule] { run(rule); });
                return;
            }
            run(rule);
        });
}

void CacheBackend::startMark(qint64 seq)
{
    // The change-log mark must exist for a replay to know where to start;
    // the first write after a connect creates it just below its own change.
    if (m_markKnown || seq <= 0 || !cacheUp())
        return;
    m_markKnown = true;
    ++m_metrics.redisCommands;
    m_redis->command({ QByteArrayLiteral("SET"), watermarkKey(), QByteArray::number(seq - 1), QByteArrayLiteral("NX") },
        this, [](const RedisReply &) {});
}

void CacheBackend::moveClearOfQueue(
    const OperationPtr &op, StoreResult r, bool isDelete, std::function<void(const StoreResult &)> then)
{
    // Redis cannot be asked which versions write-behind writes still queued
    // there hold. Numbering this write far above them keeps it from ever
    // sharing one. Every such write jumps: an instance that can reach Redis
    // may have given out versions just above the last jump meanwhile.
    const qint64 id = r.product->id;
    const qint64 committed = r.product->version + (isDelete ? 1 : 0);
    const qint64 far = committed - 1 + OfflineStride;
    op->note(QStringLiteral("Redis unreachable: write-behind writes still queued there cannot be seen, so product %1 "
                            "moves from version %2 to %3, clear of any of theirs")
                 .arg(id)
                 .arg(committed)
                 .arg(far),
        TraceOutcome::Deferred);
    sql(
        op, true, QStringLiteral("UPDATE product %1 SET version %2").arg(id).arg(far),
        [id, committed, far, isDelete](ProductRepository &repo, QObject *ctx, StoreCallback cb) {
            repo.restamp(id, isDelete ? 0 : committed, far, ctx, std::move(cb));
        },
        [r, then = std::move(then)](const StoreResult &moved) mutable {
            if (moved.ok() && moved.rowsAffected > 0 && moved.product)
                r.product = moved.product;
            then(r);
        });
}

void CacheBackend::claimVersion(
    const OperationPtr &op, StoreResult r, bool isDelete, std::function<void(const StoreResult &)> then)
{
    // A delete is a write too: its version is one above the row's last one
    // (what SQLite's product_versions keeps for the id's next life).
    const qint64 id = r.product->id;
    const qint64 version = r.product->version + (isDelete ? 1 : 0);
    auto classify = [](const RedisReply &x) {
        return x.size() == 2 && x.at(0).toInteger() == 1 ? TraceOutcome::Ok : TraceOutcome::Conflict;
    };
    script(op, CacheScripts::versionClaim(), { m_keys.versions() },
        { QByteArray::number(id), QByteArray::number(version) }, classify,
        [this, op, r, id, version, isDelete, then = std::move(then)](const RedisReply &reply) mutable {
            if (reply.size() != 2) {
                // Redis went away between the commit and the claim.
                moveClearOfQueue(op, r, isDelete, then);
                return;
            }
            if (reply.at(0).toInteger() == 1 || isDelete) {
                // Claimed. A delete that lost the claim needs nothing more: the
                // versions hash moved past it.
                then(r);
                return;
            }
            const qint64 fresh = reply.at(1).toInteger();
            op->note(QStringLiteral("version %1 of product %2 was already given to another writer (a write-behind "
                                    "write not yet in SQLite): moving the row to version %3")
                         .arg(version)
                         .arg(id)
                         .arg(fresh),
                TraceOutcome::Conflict);
            sql(
                op, true, QStringLiteral("UPDATE product %1 SET version %2").arg(id).arg(fresh),
                [id, version, fresh](ProductRepository &repo, QObject *ctx, StoreCallback cb) {
                    repo.restamp(id, version, fresh, ctx, std::move(cb));
                },
                [op, r, then = std::move(then)](const StoreResult &moved) mutable {
                    if (moved.ok() && moved.rowsAffected > 0 && moved.product)
                        r.product = moved.product;
                    else
                        op->note(QStringLiteral("the row had moved on already; it keeps its newer version"));
                    then(r);
                });
        });
}

void CacheBackend::holdWriteTicket(const OperationPtr &op)
{
    const quint64 ticket = m_nextTicket++;
    m_activeTickets.insert(ticket);
    QPointer<CacheBackend> self(this);
    op->hold = std::shared_ptr<void>(new char(0), [self, ticket](void *p) {
        delete static_cast<char *>(p);
        if (self)
            self->m_activeTickets.erase(ticket);
    });
}

QByteArray CacheBackend::watermarkKey() const
{
    // Computed once: a private (":memory:") database gets a random tag.
    if (m_watermarkKey.isEmpty() || !m_watermarkKey.startsWith(m_keys.prefix()))
        m_watermarkKey = m_keys.invalidatedUpTo(m_repository ? m_repository->path() : QString());
    return m_watermarkKey;
}

void CacheBackend::advanceWatermark()
{
    // The mark may move to a seq only once every change up to it has been
    // invalidated by this instance: own writes by their cache step (tracked
    // by tickets), everything else by the change feed. A candidate is taken
    // now and published once every write that was running then has ended.
    if (!cacheUp() || m_replaying || m_markBlocked || !m_pending.isEmpty())
        return;
    if (m_markCandidate.seq >= 0
        && (m_activeTickets.empty() || *m_activeTickets.begin() >= m_markCandidate.ticket)) {
        // Published by the next version claim (no round trip of its own).
        const qint64 seq = m_markCandidate.seq;
        m_markCandidate = {};
        if (seq > m_publishedMark) {
            m_publishedMark = seq;
            m_readyMark = seq;
        }
    }
    if (m_markCandidate.seq < 0 && m_seenSeq > m_publishedMark)
        m_markCandidate = { m_seenSeq, m_nextTicket };
}

void CacheBackend::replayChangeLog()
{
    if (!cacheUp() || !m_repository || m_replaying || !beginBackground)
        return;
    m_replaying = true;
    m_replayAttempts = 0;
    m_replayTarget = -1;
    m_markCandidate = {};
    // Quiet until there is something to replay: an operation without a
    // finisher publishes no trace (most connects find nothing to do).
    auto op = std::make_shared<Operation>(0, QStringLiteral("change-log-replay"), StrategyKind::CacheAside, 0);
    holdWriteTicket(op);
    // Where the shared id counter stands: a create made while Redis is away
    // takes its id far above it (a restarted instance knows no other value).
    ++m_metrics.redisCommands;
    m_redis->command({ QByteArrayLiteral("GET"), m_keys.nextId() }, this, [this](const RedisReply &r) {
        if (r.isString())
            m_lastAllocatedId = std::max(m_lastAllocatedId, r.bytes().toLongLong());
    });
    command(op, { QByteArrayLiteral("GET"), watermarkKey() }, {}, [this, op](const RedisReply &mark) {
        if (mark.isError()) {
            endReplay(op, mark.errorMessage());
            return;
        }
        m_markKnown = !mark.isNil();
        replayChangesAfter(op, mark.isNil() ? -1 : mark.bytes().toLongLong(), 0);
    });
}

void CacheBackend::endReplay(const OperationPtr &op, const QString &error)
{
    if (!error.isEmpty()) {
        // Not replayed: the mark must not move past what is still stale, and
        // write-behind waits (its versions may come from a stale copy) while
        // Redis answers errors. A few tries, a second apart.
        m_markBlocked = true;
        if (++m_replayAttempts < 5 && cacheUp()) {
            op->note(QStringLiteral("change-log replay failed (%1): trying again in 1 s").arg(error),
                TraceOutcome::Error);
            QTimer::singleShot(1000, this, [this, op] {
                if (!cacheUp()) {
                    endReplayNow(op, QStringLiteral("Redis went away"));
                    return;
                }
                command(op, { QByteArrayLiteral("GET"), watermarkKey() }, {}, [this, op](const RedisReply &mark) {
                    if (mark.isError()) {
                        endReplay(op, mark.errorMessage());
                        return;
                    }
                    replayChangesAfter(op, mark.isNil() ? -1 : mark.bytes().toLongLong(), 0);
                });
            });
            return;
        }
    } else {
        m_markBlocked = false;
    }
    endReplayNow(op, error);
}

void CacheBackend::endReplayNow(const OperationPtr &op, const QString &error)
{
    m_replaying = false;
    m_replayAttempts = 0;
    m_replayTarget = -1;
    const auto waiting = std::exchange(m_afterReplay, {});
    if (error.isEmpty())
        op->finish(ServiceResult {});
    else
        op->fail(ServiceStatus::Unavailable, error);
    for (const auto &next : waiting)
        next();
}

void CacheBackend::afterReplay(std::function<void()> next)
{
    if (!m_replaying) {
        next();
        return;
    }
    m_afterReplay.append(std::move(next));
}

void CacheBackend::replayChangesAfter(const OperationPtr &op, qint64 mark, int round)
{
    constexpr int Batch = 2000;
    // Bookkeeping, not a product read: not counted in the DB-read metrics.
    QElapsedTimer clock;
    clock.start();
    m_repository->changesAfter(std::max<qint64>(0, mark), Batch, this,
        [this, op, mark, round, clock](const StoreResult &r) {
            op->step(TraceSystem::Sql, QStringLiteral("SELECT changes after seq %1").arg(mark), outcomeOfStore(r),
                clock.nsecsElapsed() / 1000, r.error);
            if (!r.ok()) {
                endReplay(op, r.error);
                return;
            }
            // Stop at the newest change there was when the replay began: the
            // live change feed covers what comes after, so a busy writer
            // elsewhere cannot keep the replay (and write-behind) waiting.
            if (m_replayTarget < 0)
                m_replayTarget = r.seq;
            if (mark >= m_replayTarget && mark >= 0) {
                noteChangesSeen(mark);
                endReplay(op, {});
                return;
            }
            if (!op->finisher && mark >= 0 && (!r.changes.isEmpty() || r.prunedUpTo > mark)) {
                // Something to do: from here on the replay is a traced operation.
                OperationPtr shown = beginBackground(QStringLiteral("change-log-replay"), 0);
                shown->trace.steps = op->trace.steps;
                shown->hold = op->hold;
                replayChangesAfterWith(shown, mark, round, r);
                return;
            }
            replayChangesAfterWith(op, mark, round, r);
        });
}

void CacheBackend::replayChangesAfterWith(const OperationPtr &op, qint64 mark, int round, const StoreResult &r)
{
    if (mark < 0) {
        // No mark yet (a new Redis, or one that lost its data): there is
        // nothing cached from before to correct. The next write's claim
        // starts it.
        op->note(QStringLiteral("no change-log mark in Redis yet: nothing to replay"));
        noteChangesSeen(r.seq);
        m_publishedMark = r.seq;
        endReplay(op, {});
        return;
    }
    if (r.prunedUpTo > mark) {
        // Changes after the mark were pruned: which ids they touched is
        // unknown, so every product key goes (unflushed data is kept).
        op->note(QStringLiteral("changes %1..%2 were pruned from SQLite before they were replayed: dropping "
                                "every cached product instead")
                     .arg(mark + 1)
                     .arg(r.prunedUpTo),
            TraceOutcome::Invalidate);
        if (dropAll) {
            dropAll(op, [this, op, r] {
                m_publishedMark = std::max(m_publishedMark, r.prunedUpTo);
                script(op, CacheScripts::raiseMark(), { watermarkKey() }, { QByteArray::number(r.prunedUpTo) },
                    {}, [this, op, r](const RedisReply &) { replayChangesAfter(op, r.prunedUpTo, 1); });
            });
            return;
        }
    }
    if (r.changes.isEmpty()) {
        noteChangesSeen(std::max(mark, r.seq));
        if (round > 0)
            op->note(QStringLiteral("replayed the change log up to change %1").arg(mark));
        endReplay(op, {});
        return;
    }
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
    const QByteArray guardTtl = QByteArray::number(qint64(m_settings.guardTtlSeconds) * 1000);
    for (const ProductChange &c : r.changes) {
        const bool deleted = c.kind == ProductChange::Kind::Delete;
        const qint64 guard = m_settings.staleSetGuard ? (deleted ? CacheScripts::DeletedGuard : c.version) : 0;
        calls.append({ { m_keys.product(c.id), m_keys.guard(c.id), m_keys.versions() },
            { QByteArray::number(guard), guardTtl, QByteArrayLiteral("0"), QByteArray::number(c.id),
                QByteArray::number(c.version + (deleted ? 1 : 0)) } });
    }
    const qint64 last = r.changes.last().seq;
    scriptPipeline(op, CacheScripts::invalidate(), calls,
        QStringLiteral("pipeline %1 x EVALSHA (invalidate + raise versions): changes %2..%3 after the mark")
            .arg(calls.size())
            .arg(r.changes.first().seq)
            .arg(last),
        [this, op, last, round](const QList<RedisReply> &replies) {
            for (const RedisReply &x : replies) {
                if (x.isError()) {
                    endReplay(op, x.errorMessage());
                    return;
                }
            }
            m_publishedMark = std::max(m_publishedMark, last);
            noteChangesSeen(last);
            script(op, CacheScripts::raiseMark(), { watermarkKey() }, { QByteArray::number(last) }, {},
                [this, op, last, round](const RedisReply &) { replayChangesAfter(op, last, round + 1); });
        });
}

void CacheBackend::dbGet(const OperationPtr &op, qint64 id, std::function<void(const StoreResult &)> then)
{
    sql(
        op, false, QStringLiteral("SELECT product %1").arg(id),
        [id](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.get(id, ctx, std::move(cb)); },
        std::move(then));
}

// --- cache blocks --------------------------------------------------------------------------

Product CacheBackend::productFromHash(qint64 id, const QList<QPair<QByteArray, QByteArray>> &pairs, CacheEntry *entry)
{
    Product p;
    p.id = id;
    for (const auto &[field, value] : pairs) {
        if (field == "name")
            p.name = QString::fromUtf8(value);
        else if (field == "price")
            p.price = value.toLongLong();
        else if (field == "version")
            p.version = value.toLongLong();
        else if (field == "updated_at")
            p.updatedAt = Timestamp::parseUtc(value);
        else if (entry && field == "dirty")
            entry->dirty = true;
        else if (entry && field == "delta")
            entry->deltaMs = value.toLongLong();
        else if (entry && field == "expires_at")
            entry->expiresAtMs = value.toLongLong();
    }
    return p;
}

void CacheBackend::lookup(const OperationPtr &op, qint64 id, std::function<void(const CacheEntry &)> then)
{
    if (!cacheUp()) {
        if (op)
            op->note(QStringLiteral("cache unavailable: Redis is not connected"), TraceOutcome::Unavailable);
        CacheEntry e;
        e.state = CacheEntry::State::Unavailable;
        then(e);
        return;
    }
    // Reads the field names in place (no copy into pairs: the handler below
    // builds those once); same answer as toPairs() would give.
    auto classify = [](const RedisReply &r) {
        if (!r.isArray() || r.size() < 2)
            return TraceOutcome::Miss;
        for (qsizetype i = 0; i + 1 < r.size(); i += 2) {
            if (!r.at(i).isInteger() && r.at(i).bytes() == "absent")
                return TraceOutcome::NegativeHit;
        }
        return TraceOutcome::Hit;
    };
    // The read deadline: a stalled Redis (a long script, a fork, a paused
    // server) must not hold the answer for the whole command timeout.
    auto answered = std::make_shared<bool>(false);
    auto deliver = std::make_shared<std::function<void(const CacheEntry &)>>(std::move(then));
    armReadDeadline(op, answered, "HGETALL", m_keys.product(id),
        [deliver] {
            CacheEntry e;
            e.state = CacheEntry::State::Unavailable;
            e.error = QStringLiteral("read deadline passed");
            (*deliver)(e);
        });
    command(op, { QByteArrayLiteral("HGETALL"), m_keys.product(id) }, classify,
        [this, op, id, answered, deliver](const RedisReply &r) {
            if (std::exchange(*answered, true))
                return; // answered from SQLite already: a late reply is not used
            const auto &then = *deliver;
            CacheEntry e;
            if (r.isError()) {
                e.state = r.isClientError() ? CacheEntry::State::Unavailable : CacheEntry::State::Error;
                e.error = r.errorMessage();
                if (op && r.isClientError())
                    op->note(QStringLiteral("cache unavailable: %1").arg(e.error), TraceOutcome::Unavailable);
                then(e);
                return;
            }
            const auto pairs = r.toPairs();
            bool absent = false;
            for (const auto &kv : pairs)
                absent = absent || kv.first == "absent";
            if (pairs.isEmpty()) {
                e.state = CacheEntry::State::Miss;
            } else if (absent) {
                e.state = CacheEntry::State::Negative;
                productFromHash(id, pairs, &e);
            } else {
                e.state = CacheEntry::State::Hit;
                e.product = productFromHash(id, pairs, &e);
            }
            then(e);
        });
}

void CacheBackend::armReadDeadline(const OperationPtr &op, const std::shared_ptr<bool> &answered, const char *step,
    const QByteArray &key, std::function<void()> onDeadline)
{
    // Reads only: a write's own cache step (write-through's set after the
    // commit) must not be reported as failed while it may still land.
    const int ms = m_settings.readDeadlineMs;
    if (ms <= 0 || !op || op->trace.operation != QLatin1String("get"))
        return;
    // One timer for all reads, not one per read (the hit path sends tens of
    // thousands a second): deadlines come due in the order they were armed,
    // and answered ones are dropped from the front as they are passed.
    while (!m_readDeadlines.empty() && *m_readDeadlines.front().answered)
        m_readDeadlines.pop_front();
    m_readDeadlines.push_back({ m_clock.elapsed() + ms, answered, op, step, key, std::move(onDeadline) });
    if (!m_deadlineTimer.isActive())
        m_deadlineTimer.start(ms);
}

void CacheBackend::fireReadDeadlines()
{
    const qint64 now = m_clock.elapsed();
    const int ms = m_settings.readDeadlineMs;
    while (!m_readDeadlines.empty()) {
        ReadDeadline &d = m_readDeadlines.front();
        if (*d.answered) {
            m_readDeadlines.pop_front();
            continue;
        }
        if (d.dueMs > now) {
            m_deadlineTimer.start(int(d.dueMs - now));
            return;
        }
        ReadDeadline due = std::move(d);
        m_readDeadlines.pop_front();
        *due.answered = true;
        ++m_metrics.readDeadlines;
        const QString what = due.key.isEmpty() ? QString::fromLatin1(due.step)
                                               : QStringLiteral("%1 %2").arg(QLatin1String(due.step), QString::fromUtf8(due.key));
        due.op->note(QStringLiteral("degraded: Redis did not answer %1 within the %2 ms read deadline; answering without "
                                    "it (the late reply will be discarded)%3")
                         .arg(what)
                         .arg(ms)
                         .arg(due.op->kind() == StrategyKind::WriteBehind
                                 ? QStringLiteral("; under write-behind SQLite may not have the newest write yet")
                                 : QString()),
            TraceOutcome::Unavailable);
        due.onDeadline();
    }
}

void CacheBackend::readThrough(
    const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then)
{
    lookup(op, id, [this, op, id, loader, then = std::move(then)](const CacheEntry &e) {
        switch (e.state) {
        case CacheEntry::State::Hit: {
            if (m_settings.stampede == StampedeMode::EarlyRefresh && !e.dirty && e.expiresAtMs > 0) {
                // XFetch (Vattani et al.): refresh early with a probability that
                // grows as expiry nears and with how long a reload takes.
                const double u = std::max(1e-12, m_random.generateDouble());
                const double gap = double(std::max<qint64>(e.deltaMs, 1)) * m_settings.xfetchBeta * -std::log(u);
                const qint64 left = e.expiresAtMs - nowMs();
                if (double(nowMs()) + gap >= double(e.expiresAtMs)) {
                    ++m_metrics.hits;
                    op->note(QStringLiteral("XFetch: refreshing early (%1 ms left, last load %2 ms)")
                                 .arg(left)
                                 .arg(e.deltaMs),
                        TraceOutcome::EarlyRefresh);
                    plainLoad(op, id, loader, then);
                    return;
                }
            }
            ++m_metrics.hits;
            LoadResult r;
            r.product = e.product;
            r.fromCache = true;
            then(r);
            return;
        }
        case CacheEntry::State::Negative: {
            ++m_metrics.negativeHits;
            LoadResult r;
            r.status = ServiceStatus::NotFound;
            r.fromCache = true;
            r.error = QStringLiteral("Product %1 does not exist (remembered by the negative cache).").arg(id);
            then(r);
            return;
        }
        case CacheEntry::State::Miss:
            ++m_metrics.misses;
            loadAndFill(op, id, loader, then);
            return;
        case CacheEntry::State::Unavailable:
        case CacheEntry::State::Error:
            // Degrade to the database; do not try to fill a cache that failed.
            op->note(QStringLiteral("cache unavailable: reading SQLite directly"), TraceOutcome::Unavailable);
            dbGet(op, id, [then](const StoreResult &s) {
                LoadResult r;
                r.product = s.product;
                r.status = s.ok()
                    ? ServiceStatus::Ok
                    : (s.status == StoreStatus::NotFound ? ServiceStatus::NotFound : ServiceStatus::Error);
                r.error = s.error;
                then(r);
            });
            return;
        }
    });
}

void CacheBackend::loadAndFill(
    const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then)
{
    if (existenceCheck && cacheUp()) {
        // Cache penetration guard: an id the Bloom filter has never seen
        // cannot be in SQLite, so the database is not asked at all.
        // Unsure (no answer in time) means "may exist".
        auto answered = std::make_shared<bool>(false);
        auto shared = std::make_shared<std::function<void(const LoadResult &)>>(std::move(then));
        armReadDeadline(op, answered, "the Bloom filter", {},
            [this, op, id, loader, shared] { loadChecked(op, id, loader, *shared); });
        existenceCheck(op, id, [this, op, id, loader, shared, answered](bool mayExist) mutable {
            if (std::exchange(*answered, true))
                return;
            auto then = *shared;
            if (mayExist) {
                loadChecked(op, id, loader, std::move(then));
                return;
            }
            LoadResult r;
            r.status = ServiceStatus::NotFound;
            r.error = QStringLiteral("Product %1 does not exist.").arg(id);
            then(r);
        });
        return;
    }
    loadChecked(op, id, loader, std::move(then));
}

void CacheBackend::loadChecked(
    const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then)
{
    switch (m_settings.stampede) {
    case StampedeMode::SingleFlight:
        singleFlightLoad(op, id, loader, std::move(then));
        return;
    case StampedeMode::RedisLock:
        lockedLoad(op, id, loader, std::move(then));
        return;
    case StampedeMode::Off:
    case StampedeMode::EarlyRefresh:
        plainLoad(op, id, loader, std::move(then));
        return;
    }
}

void CacheBackend::plainLoad(
    const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then)
{
    QElapsedTimer clock;
    clock.start();
    loader(op, id, [this, op, id, clock, then = std::move(then)](const StoreResult &s) {
        const qint64 loadMs = clock.elapsed();
        LoadResult r;
        r.product = s.product;
        if (s.ok() && s.product) {
            fill(op, *s.product, loadMs, [r, then](bool) { then(r); });
        } else if (s.status == StoreStatus::NotFound) {
            r.status = ServiceStatus::NotFound;
            r.error = s.error.isEmpty() ? QStringLiteral("Product %1 does not exist.").arg(id) : s.error;
            fillNegative(op, id, [r, then] { then(r); });
        } else {
            r.status = ServiceStatus::Error;
            r.error = s.error;
            then(r);
        }
    });
}

void CacheBackend::singleFlightLoad(
    const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then)
{
    auto it = m_inflight.find(id);
    if (it != m_inflight.end()) {
        ++m_metrics.coalesced;
        op->note(QStringLiteral("single-flight: joined the load of %1 already in flight")
                     .arg(QString::fromUtf8(m_keys.product(id))),
            TraceOutcome::Coalesced);
        it->append(Waiter { op, std::move(then) });
        return;
    }
    m_inflight.insert(id, {});
    plainLoad(op, id, loader, [this, id, then = std::move(then)](const LoadResult &r) {
        const QList<Waiter> waiters = m_inflight.take(id);
        then(r);
        for (const Waiter &w : waiters)
            w.then(r);
    });
}

void CacheBackend::lockedLoad(
    const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then)
{
    const QByteArray token = QByteArray::number(m_random.generate64(), 16);
    const QByteArray lockKey = m_keys.lock(id);
    auto classify = [](const RedisReply &r) { return r.isStatus() ? TraceOutcome::Ok : TraceOutcome::LockWait; };
    command(op,
        { QByteArrayLiteral("SET"), lockKey, token, QByteArrayLiteral("NX"), QByteArrayLiteral("PX"),
            QByteArray::number(m_settings.lockTtlMs) },
        classify, [this, op, id, loader, token, lockKey, then = std::move(then)](const RedisReply &r) {
            if (r.isStatus()) {
                plainLoad(op, id, loader, [this, op, token, lockKey, then](const LoadResult &res) {
                    script(op, CacheScripts::unlock(), { lockKey }, { token }, {},
                        [res, then](const RedisReply &) { then(res); });
                });
            } else if (r.isNil()) {
                lockPoll(op, id, loader, token, nowMs(), 0, then);
            } else {
                op->note(
                    QStringLiteral("lock failed (%1): loading without it").arg(r.errorMessage()), TraceOutcome::Error);
                plainLoad(op, id, loader, then);
            }
        });
}

void CacheBackend::lockPoll(const OperationPtr &op, qint64 id, const Loader &loader, const QByteArray &token,
    qint64 startedMs, int attempt, const std::function<void(const LoadResult &)> &then)
{
    // Back off 5, 10, 20, 40, 50, 50... ms between looks at the cache.
    const int delay = std::min(50, 5 << std::min(attempt, 4));
    QTimer::singleShot(delay, this, [=, this] {
        if (!cacheUp()) {
            plainLoad(op, id, loader, then);
            return;
        }
        ++m_metrics.redisCommands;
        m_redis->command({ QByteArrayLiteral("HGETALL"), m_keys.product(id) }, this, [=, this](const RedisReply &r) {
            const auto pairs = r.toPairs();
            if (!r.isError() && !pairs.isEmpty()) {
                ++m_metrics.coalesced;
                CacheEntry e;
                bool absent = false;
                for (const auto &kv : pairs)
                    absent = absent || kv.first == "absent";
                op->note(QStringLiteral("lock: the holder filled %1 after %2 look(s)")
                             .arg(QString::fromUtf8(m_keys.product(id)))
                             .arg(attempt + 1),
                    TraceOutcome::Coalesced);
                LoadResult res;
                res.fromCache = true;
                if (absent) {
                    res.status = ServiceStatus::NotFound;
                    res.error = QStringLiteral("Product %1 does not exist.").arg(id);
                } else {
                    res.product = productFromHash(id, pairs, &e);
                }
                then(res);
                return;
            }
            if (nowMs() - startedMs > m_settings.lockWaitMs) {
                op->note(
                    QStringLiteral("lock: waited %1 ms without a fill; loading from SQLite").arg(nowMs() - startedMs),
                    TraceOutcome::LockWait);
                plainLoad(op, id, loader, then);
                return;
            }
            // Still empty: the holder may have died; try to take the lock over.
            ++m_metrics.redisCommands;
            m_redis->command({ QByteArrayLiteral("SET"), m_keys.lock(id), token, QByteArrayLiteral("NX"),
                                 QByteArrayLiteral("PX"), QByteArray::number(m_settings.lockTtlMs) },
                this, [=, this](const RedisReply &set) {
                    if (set.isStatus()) {
                        op->note(QStringLiteral("lock: acquired after waiting"), TraceOutcome::Ok);
                        const QByteArray lockKey = m_keys.lock(id);
                        plainLoad(op, id, loader, [this, op, token, lockKey, then](const LoadResult &res) {
                            script(op, CacheScripts::unlock(), { lockKey }, { token }, {},
                                [res, then](const RedisReply &) { then(res); });
                        });
                    } else {
                        lockPoll(op, id, loader, token, startedMs, attempt + 1, then);
                    }
                });
        });
    });
}

qint64 CacheBackend::ttlMs()
{
    const qint64 base = qint64(m_settings.ttlSeconds) * 1000;
    const int j = m_settings.ttlJitterPercent;
    if (j <= 0)
        return base;
    // Uniform in [-j%, +j%], in hundredths of a percent.
    const qint64 spread = qint64(j) * 100;
    const qint64 pick = qint64(m_random.bounded(quint32(2 * spread + 1))) - spread;
    return std::max<qint64>(1, base + base * pick / 10000);
}

void CacheBackend::fill(const OperationPtr &op, const Product &product, qint64 loadMs, std::function<void(bool)> then)
{
    if (!cacheUp()) {
        op->note(QStringLiteral("cache unavailable: fill skipped"), TraceOutcome::Unavailable);
        then(false);
        return;
    }
    auto doFill = [this, op, product, loadMs, then = std::move(then)] {
        const auto [keys, args] = fillCall(product, loadMs);
        auto classify
            = [](const RedisReply &r) { return r.toInteger() == 1 ? TraceOutcome::Fill : TraceOutcome::StaleSkip; };
        // The read has its row already: a stalled fill does not hold it back
        // (the fill itself is version-checked, so landing late is harmless).
        auto answered = std::make_shared<bool>(false);
        armReadDeadline(op, answered, "the fill of", keys.value(0),
            [then] { then(false); });
        script(op, CacheScripts::fill(), keys, args, classify, [this, op, product, then, answered](const RedisReply &r) {
            if (std::exchange(*answered, true))
                return;
            if (r.isError()) {
                then(false);
                return;
            }
            const qint64 code = r.toInteger();
            if (code == 1) {
                ++m_metrics.fills;
                then(true);
                return;
            }
            ++m_metrics.staleSkips;
            QString why;
            if (code == -1)
                why = QStringLiteral("an invalidation guard says a newer change than version %1 exists");
            else if (code == -2)
                why = QStringLiteral("the cache holds an unflushed write-behind value");
            else
                why = QStringLiteral("the cache already holds a version newer than %1");
            if (why.contains(QLatin1String("%1")))
                why = why.arg(product.version);
            op->note(QStringLiteral("stale-set guard: fill of version %1 refused: %2").arg(product.version).arg(why),
                TraceOutcome::StaleSkip);
            then(false);
        });
    };
    if (m_fillHook)
        m_fillHook(product.id, doFill);
    else
        doFill();
}

QPair<QList<QByteArray>, QList<QByteArray>> CacheBackend::fillCall(const Product &product, qint64 loadMs)
{
    const qint64 ttl = ttlMs();
    const QList<QByteArray> keys { m_keys.product(product.id), m_keys.guard(product.id) };
    const QList<QByteArray> args { QByteArray::number(product.version), QByteArray::number(ttl),
        QByteArray::number(product.id), product.name.toUtf8(), QByteArray::number(product.price),
        Timestamp::formatUtc(product.updatedAt), QByteArray::number(loadMs), QByteArray::number(nowMs() + ttl),
        m_settings.staleSetGuard ? QByteArrayLiteral("1") : QByteArrayLiteral("0") };
    return { keys, args };
}

void CacheBackend::fillNegative(const OperationPtr &op, qint64 id, std::function<void()> then)
{
    if (m_settings.negativeTtlSeconds <= 0 || !cacheUp()) {
        then();
        return;
    }
    auto classify = [](const RedisReply &r) { return r.toInteger() == 1 ? TraceOutcome::Fill : TraceOutcome::Skipped; };
    auto answered = std::make_shared<bool>(false);
    armReadDeadline(op, answered, "the negative entry", {}, then);
    script(op, CacheScripts::negative(), { m_keys.product(id), m_keys.guard(id) },
        { QByteArray::number(qint64(m_settings.negativeTtlSeconds) * 1000),
            QByteArray::number(CacheScripts::DeletedGuard) },
        classify, [this, answered, then = std::move(then)](const RedisReply &r) {
            if (std::exchange(*answered, true))
                return;
            if (r.toInteger() == 1)
                ++m_metrics.fills;
            then();
        });
}

void CacheBackend::remember(qint64 id, qint64 guardVersion)
{
    m_pending[id] = std::max(m_pending.value(id, 0), guardVersion);
    emit pendingInvalidationsChanged(int(m_pending.size()));
}

void CacheBackend::invalidateAfterWrite(
    const OperationPtr &op, qint64 id, qint64 guardVersion, std::function<void(qint64)> then, qint64 raiseVersionTo)
{
    const qint64 guard = m_settings.staleSetGuard ? guardVersion : 0;
    if (!cacheUp()) {
        remember(id, guard);
        op->step(TraceSystem::App,
            QStringLiteral("cache unavailable: invalidation of %1 deferred until Redis is back")
                .arg(QString::fromUtf8(m_keys.product(id))),
            TraceOutcome::Deferred);
        then(0);
        return;
    }
    auto classify
        = [](const RedisReply &r) { return r.toInteger() >= 0 ? TraceOutcome::Invalidate : TraceOutcome::Skipped; };
    const QByteArray key = m_keys.product(id);
    QList<QByteArray> keys { key, m_keys.guard(id) };
    QList<QByteArray> args { QByteArray::number(guard), QByteArray::number(qint64(m_settings.guardTtlSeconds) * 1000),
        guardVersion == 1 ? QByteArrayLiteral("1") : QByteArrayLiteral("0") };
    if (raiseVersionTo > 0) {
        // Another writer's change (the change feed): a copy that already has
        // it (write-through on that instance set it) stays.
        keys << m_keys.versions();
        args << QByteArray::number(id) << QByteArray::number(raiseVersionTo) << QByteArray::number(raiseVersionTo);
    }
    script(op, CacheScripts::invalidate(), keys, args, classify, [this, op, id, key, guardVersion, guard, then = std::move(then)](const RedisReply &r) {
            if (r.isError()) {
                // The write is committed; the stale copy must still go.
                remember(id, guard);
                op->note(
                    QStringLiteral("invalidation of %1 deferred: %2").arg(QString::fromUtf8(key), r.errorMessage()),
                    TraceOutcome::Deferred);
                then(0);
                return;
            }
            const qint64 code = r.toInteger();
            if (code == -2)
                op->note(
                    QStringLiteral("kept %1: it holds an unflushed write-behind value").arg(QString::fromUtf8(key)),
                    TraceOutcome::Skipped);
            const qint64 removed = std::max<qint64>(0, code);
            if (removed > 0) {
                ++m_metrics.invalidations;
                emit keysInvalidated({ key });
            }
            if (publish)
                publish({ id }, { guardVersion }, false);
            then(removed);
        });
}

void CacheBackend::sendRecentView(const OperationPtr &op, qint64 id)
{
    if (!m_settings.trackRecent || !cacheUp())
        return;
    const QByteArray viewer = op ? op->viewer : QByteArray();
    if (op && viewer.isEmpty())
        return; // an internal read (adjust-price) is not a view
    m_views.append({ id, viewer });
    // The caller gets its answer now; the view reaches Redis with the other
    // views of the next few milliseconds in one MULTI, so a burst of gets
    // costs one extra round trip in total instead of one each.
    if (op && !op->isFinished()) {
        // This runs on every cache hit, and the text only depends on the id
        // and the key prefix: keep the recent ones (per thread, per prefix)
        // instead of formatting the same string again. The detail never changes.
        static const QString detail
            = QStringLiteral("sent with the views of the next %1 ms in one MULTI").arg(ViewBatchMs);
        struct TextCache
        {
            QByteArray recentKey;
            QHash<qint64, QString> texts;
        };
        thread_local TextCache cache;
        const QByteArray recentKey = m_keys.recent();
        if (cache.recentKey != recentKey || cache.texts.size() >= 1024) {
            cache.recentKey = recentKey;
            cache.texts.clear();
        }
        QString &text = cache.texts[id];
        if (text.isEmpty()) {
            text = QStringLiteral("view of ") + QString::number(id) + QStringLiteral(" batched: LREM/LPUSH/LTRIM ")
                + QString::fromUtf8(recentKey) + QStringLiteral(", ZINCRBY ") + QString::fromUtf8(m_keys.views())
                + QStringLiteral(", PFADD ") + QString::fromUtf8(m_keys.viewers(id));
        }
        op->step(TraceSystem::Redis, text, TraceOutcome::Ok, 0, detail);
    }
    if (m_views.size() >= ViewBatchMax)
        flushViews();
    else if (!m_viewTimer.isActive())
        m_viewTimer.start();
}

QList<RedisCommand> CacheBackend::viewCommands(const QList<View> &views) const
{
    // Recent list: only the newest view of each id decides its place, so
    // replaying the batch oldest-first with LREM+LPUSH for each id's last
    // view gives the same list as one transaction per view.
    // The order is that of each id's last view, found with one hash pass
    // (a batch holds up to ViewBatchMax views).
    QHash<qint64, qsizetype> last;
    QHash<qint64, qint64> counts;
    QHash<qint64, QList<QByteArray>> viewers;
    last.reserve(64);
    for (qsizetype i = 0; i < views.size(); ++i) {
        const View &v = views.at(i);
        last.insert(v.id, i);
        ++counts[v.id];
        QList<QByteArray> &who = viewers[v.id];
        if (!v.viewer.isEmpty() && !who.contains(v.viewer))
            who.append(v.viewer);
    }
    QList<qint64> order;
    order.reserve(last.size());
    for (qsizetype i = 0; i < views.size(); ++i) {
        if (last.value(views.at(i).id) == i)
            order.append(views.at(i).id);
    }
    const QByteArray recent = m_keys.recent();
    const QByteArray viewsKey = m_keys.views();
    // The list keeps recentLimit ids, so only the last recentLimit ids of the
    // batch can be in it afterwards: the LPUSHes of those alone already fill
    // it, pushing every older entry (and any older id of the batch) past the
    // LTRIM. A burst of misses over many ids then sends 2 commands per id
    // here instead of 4, and the list ends up the same.
    const qsizetype listed = std::min<qsizetype>(order.size(), std::max(1, m_settings.recentLimit));
    QList<RedisCommand> cmds;
    cmds.reserve(listed * 2 + order.size() * 2 + 1);
    for (qsizetype i = order.size() - listed; i < order.size(); ++i) {
        const QByteArray value = QByteArray::number(order.at(i));
        cmds.append({ QByteArrayLiteral("LREM"), recent, QByteArrayLiteral("0"), value });
        cmds.append({ QByteArrayLiteral("LPUSH"), recent, value });
    }
    cmds.append(
        { QByteArrayLiteral("LTRIM"), recent, QByteArrayLiteral("0"), QByteArray::number(m_settings.recentLimit - 1) });
    for (qint64 id : std::as_const(order)) {
        cmds.append(
            { QByteArrayLiteral("ZINCRBY"), viewsKey, QByteArray::number(counts.value(id)), QByteArray::number(id) });
        const QList<QByteArray> &who = viewers[id];
        if (!who.isEmpty())
            cmds.append(RedisCommand { QByteArrayLiteral("PFADD"), m_keys.viewers(id) } + who);
    }
    return cmds;
}

void CacheBackend::flushViews()
{
    m_viewTimer.stop();
    if (m_views.isEmpty())
        return;
    const QList<View> views = std::exchange(m_views, {});
    if (!cacheUp())
        return; // views are best effort: a lost batch only shortens the lists
    const QList<RedisCommand> cmds = viewCommands(views);
    m_metrics.redisCommands += quint64(cmds.size()) + 2;
    m_redis->transaction(cmds, this, [](const RedisReply &r) {
        // A lost connection is reported by the connection itself; a server
        // error here would be a bug worth seeing in the log.
        if (r.isError() && !r.isClientError())
            qWarning("CacheBackend: view batch failed: %s", qPrintable(r.errorMessage()));
    });
}

void CacheBackend::forgetViews(qint64 id)
{
    // Views still waiting in the batch would put the id back right after.
    m_views.removeIf([id](const View &v) { return v.id == id; });
    if (!cacheUp())
        return;
    m_redis->pipeline(
        { { QByteArrayLiteral("ZREM"), m_keys.views(), QByteArray::number(id) },
            { QByteArrayLiteral("DEL"), m_keys.viewers(id) },
            { QByteArrayLiteral("LREM"), m_keys.recent(), QByteArrayLiteral("0"), QByteArray::number(id) } },
        this, [](const QList<RedisReply> &) {});
}

void CacheBackend::replayPendingInvalidations()
{
    if (m_pending.isEmpty() || !cacheUp() || !beginBackground)
        return;
    const QHash<qint64, qint64> pending = m_pending;
    OperationPtr op = beginBackground(QStringLiteral("deferred-invalidate"), 0);
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
    QList<qint64> ids;
    for (auto it = pending.cbegin(); it != pending.cend(); ++it) {
        ids << it.key();
        calls.append({ { m_keys.product(it.key()), m_keys.guard(it.key()) },
            { QByteArray::number(it.value()), QByteArray::number(qint64(m_settings.guardTtlSeconds) * 1000),
                QByteArrayLiteral("0") } });
    }
    op->note(QStringLiteral("Redis is back: deleting %1 key(s) that writes could not invalidate").arg(ids.size()),
        TraceOutcome::Invalidate);
    scriptPipeline(
        op, CacheScripts::invalidate(), calls, {}, [this, op, ids, pending](const QList<RedisReply> &replies) {
            QList<QByteArray> removedKeys;
            qint64 removed = 0;
            for (int i = 0; i < replies.size() && i < ids.size(); ++i) {
                const RedisReply &r = replies.at(i);
                if (r.isError())
                    continue;
                // Only forget it when nothing newer was remembered meanwhile.
                if (m_pending.value(ids.at(i), -1) == pending.value(ids.at(i)))
                    m_pending.remove(ids.at(i));
                if (r.toInteger() > 0) {
                    ++removed;
                    removedKeys << m_keys.product(ids.at(i));
                }
            }
            m_metrics.invalidations += quint64(removed);
            emit pendingInvalidationsChanged(int(m_pending.size()));
            if (!removedKeys.isEmpty())
                emit keysInvalidated(removedKeys);
            if (publish) {
                QList<qint64> versions;
                for (qint64 id : ids)
                    versions << pending.value(id);
                publish(ids, versions, false);
            }
            ServiceResult res;
            res.count = removed;
            op->finish(res);
        });
}

ServiceResult CacheBackend::fromStore(const StoreResult &r)
{
    ServiceResult out;
    switch (r.status) {
    case StoreStatus::Ok:
        out.status = ServiceStatus::Ok;
        break;
    case StoreStatus::NotFound:
        out.status = ServiceStatus::NotFound;
        break;
    case StoreStatus::Invalid:
        out.status = ServiceStatus::Invalid;
        break;
    case StoreStatus::Conflict:
        out.status = ServiceStatus::Conflict;
        break;
    case StoreStatus::Error:
        out.status = ServiceStatus::Error;
        break;
    }
    out.error = r.error;
    out.fieldErrors = r.fieldErrors;
    out.product = r.product;
    out.products = r.products;
    out.count = r.rowsAffected;
    return out;
}

void CacheBackend::dbList(const OperationPtr &op, std::function<void(const StoreResult &)> then)
{
    sql(
        op, false, QStringLiteral("SELECT all products"),
        [](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.list(ctx, std::move(cb)); },
        std::move(then));
}

void CacheBackend::writeThenInvalidate(
    const OperationPtr &op, const QString &what, const WriteCall &call, bool isDelete)
{
    writeSql(op, what, call, isDelete, [this, op, isDelete](const StoreResult &r) {
        ServiceResult res = fromStore(r);
        if (!r.ok()) {
            op->finish(res);
            return;
        }
        const qint64 id = r.product ? r.product->id : 0;
        const qint64 guard = isDelete ? CacheScripts::DeletedGuard : (r.product ? r.product->version : 0);
        if (id <= 0) {
            op->finish(res);
            return;
        }
        if (isDelete)
            res.product.reset();
        invalidateAfterWrite(op, id, guard, [op, res](qint64) mutable { op->finish(res); });
    });
}

void CacheBackend::finishGet(const OperationPtr &op, qint64 id, const LoadResult &r)
{
    ServiceResult res;
    res.status = r.status;
    res.product = r.product;
    res.fromCache = r.fromCache;
    res.error = r.status == ServiceStatus::Ok ? QString() : r.error;
    if (r.status == ServiceStatus::NotFound && res.error.isEmpty())
        res.error = QStringLiteral("Product %1 does not exist.").arg(id);
    if (r.status == ServiceStatus::Ok)
        sendRecentView(op, id);
    op->finish(std::move(res));
}

void CacheBackend::allocateId(const OperationPtr &op, std::function<void(qint64)> then)
{
    auto incr = [this, op, then] {
        command(op, { QByteArrayLiteral("INCR"), m_keys.nextId() }, {}, [this, then](const RedisReply &r) {
            if (r.isInteger())
                m_lastAllocatedId = std::max(m_lastAllocatedId, r.toInteger());
            then(r.isInteger() ? r.toInteger() : 0);
        });
    };
    if (m_idFloorReady) {
        incr();
        return;
    }
    // Ids must not collide with rows SQLite has or had: raise the counter
    // to the highest id there first (again after outside inserts).
    sql(
        op, false, QStringLiteral("SELECT highest product id"),
        [](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.highestId(ctx, std::move(cb)); },
        [this, op, incr, then](const StoreResult &r) {
            if (!r.ok()) {
                then(0);
                return;
            }
            script(op, CacheScripts::idFloor(), { m_keys.nextId() }, { QByteArray::number(r.lastVersion) }, {},
                [this, incr, then](const RedisReply &fr) {
                    if (fr.isError()) {
                        then(0);
                        return;
                    }
                    m_idFloorReady = true;
                    incr();
                });
        });
}

void CacheBackend::allocationFailed(const OperationPtr &op)
{
    if (!cacheUp()) {
        op->fail(ServiceStatus::Unavailable,
            QStringLiteral("Redis became unreachable while an id for the new product was being allocated. Nothing "
                           "was changed; retry."));
        return;
    }
    op->fail(ServiceStatus::Error, QStringLiteral("Could not allocate an id for the new product."));
}

void CacheBackend::newProductCall(
    const OperationPtr &op, const QString &name, qint64 price, std::function<void(const WriteCall &)> then)
{
    if (!cacheUp()) {
        // The shared counter cannot be asked: take an id far above the last
        // one it gave out here, clear of write-behind creates still queued
        // in Redis. The counter is raised past it on the next allocation.
        resetIdFloor();
        const qint64 floor = m_lastAllocatedId + OfflineStride;
        op->note(QStringLiteral("Redis unreachable: the new product gets an id above %1, clear of ids the shared "
                                "counter gave to write-behind creates still queued")
                     .arg(floor),
            TraceOutcome::Deferred);
        then([name, price, floor](ProductRepository &repo, VersionRule, QObject *ctx, StoreCallback cb) {
            repo.insertAbove(floor, name, price, ctx, std::move(cb));
        });
        return;
    }
    allocateId(op, [this, op, name, price, then = std::move(then)](qint64 id) {
        if (id <= 0) {
            allocationFailed(op);
            return;
        }
        op->trace.productId = id;
        then([id, name, price](ProductRepository &repo, VersionRule, QObject *ctx, StoreCallback cb) {
            repo.insert(id, name, price, ctx, std::move(cb));
        });
    });
}

CacheBackend::WriteCall CacheBackend::upsertCall(qint64 id, const QString &name, qint64 price)
{
    return [id, name, price](ProductRepository &repo, VersionRule rule, QObject *ctx, StoreCallback cb) {
        repo.upsert(id, name, price, rule, ctx, std::move(cb));
    };
}

CacheBackend::WriteCall CacheBackend::updateCall(qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
{
    return [id, name, price, expectedVersion](ProductRepository &repo, VersionRule rule, QObject *ctx, StoreCallback cb) {
        repo.update(id, name, price, expectedVersion, rule, ctx, std::move(cb));
    };
}

CacheBackend::WriteCall CacheBackend::removeCall(qint64 id)
{
    return [id](ProductRepository &repo, VersionRule rule, QObject *ctx, StoreCallback cb) {
        repo.remove(id, rule, ctx, std::move(cb));
    };
}

CacheBackend::Loader CacheBackend::dbLoader()
{
    return [this](const OperationPtr &op, qint64 id, std::function<void(const StoreResult &)> done) {
        dbGet(op, id, std::move(done));
    };
}
