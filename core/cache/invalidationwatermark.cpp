// InvalidationWatermark: write tickets, the mark, and the replay on connect.
#include "invalidationwatermark.h"

#include "cachebackend.h"
#include "writeinvalidation.h"
#include "cachescripts.h"
#include "productrepository.h"

#include <QElapsedTimer>
#include <QPointer>

InvalidationWatermark::InvalidationWatermark(CacheBackend &backend, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
{
    m_timer.setInterval(500);
    connect(&m_timer, &QTimer::timeout, this, &InvalidationWatermark::advance);
    m_timer.start();
}

qint64 InvalidationWatermark::takeReadyMark()
{
    advance();
    return std::exchange(m_readyMark, 0);
}

void InvalidationWatermark::startMark(qint64 seq)
{
    // The change-log mark must exist for a replay to know where to start;
    // the first write after a connect creates it just below its own change.
    if (m_markKnown || seq <= 0 || !m_backend.cacheUp())
        return;
    m_markKnown = true;
    m_backend.tracedRedis().command(
        nullptr, { QByteArrayLiteral("SET"), key(), QByteArray::number(seq - 1), QByteArrayLiteral("NX") }, {}, {});
}

void InvalidationWatermark::hold(const OperationPtr &op)
{
    const quint64 ticket = m_nextTicket++;
    m_activeTickets.insert(ticket);
    QPointer<InvalidationWatermark> self(this);
    op->hold = std::shared_ptr<void>(new char(0), [self, ticket](void *p) {
        delete static_cast<char *>(p);
        if (self)
            self->m_activeTickets.erase(ticket);
    });
}

QByteArray InvalidationWatermark::key() const
{
    // Computed once: a private (":memory:") database gets a random tag.
    if (m_key.isEmpty() || !m_key.startsWith(m_backend.keys().prefix()))
        m_key = m_backend.keys().invalidatedUpTo(m_backend.repository() ? m_backend.repository()->path() : QString());
    return m_key;
}

void InvalidationWatermark::advance()
{
    // The mark may move to a seq only once every change up to it has been
    // invalidated by this instance: own writes by their cache step (tracked
    // by tickets), everything else by the change feed. A candidate is taken
    // now and published once every write that was running then has ended.
    if (!m_backend.cacheUp() || m_replaying || m_markBlocked || !m_backend.invalidation().pending().isEmpty())
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

void InvalidationWatermark::replay()
{
    if (!m_backend.cacheUp() || !m_backend.repository() || m_replaying)
        return;
    m_replaying = true;
    m_replayAttempts = 0;
    m_replayTarget = -1;
    m_markCandidate = {};
    // Quiet until there is something to replay: an operation without a
    // finisher publishes no trace (most connects find nothing to do).
    auto op = std::make_shared<Operation>(0, QStringLiteral("change-log-replay"), StrategyKind::CacheAside, 0);
    hold(op);
    m_backend.tracedRedis().command(op, { QByteArrayLiteral("GET"), key() }, {}, [this, op](const RedisReply &mark) {
        if (mark.isError()) {
            endReplay(op, mark.errorMessage());
            return;
        }
        m_markKnown = !mark.isNil();
        replayChangesAfter(op, mark.isNil() ? -1 : mark.bytes().toLongLong(), 0);
    });
}

void InvalidationWatermark::endReplay(const OperationPtr &op, const QString &error)
{
    if (!error.isEmpty()) {
        // Not replayed: the mark must not move past what is still stale, and
        // write-behind waits (its versions may come from a stale copy) while
        // Redis answers errors. A few tries, a second apart.
        m_markBlocked = true;
        if (++m_replayAttempts < 5 && m_backend.cacheUp()) {
            op->note(QStringLiteral("change-log replay failed (%1): trying again in 1 s").arg(error),
                TraceOutcome::Error);
            QTimer::singleShot(1000, this, [this, op] {
                if (!m_backend.cacheUp()) {
                    endReplayNow(op, QStringLiteral("Redis went away"));
                    return;
                }
                m_backend.tracedRedis().command(op, { QByteArrayLiteral("GET"), key() }, {}, [this, op](const RedisReply &mark) {
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

void InvalidationWatermark::endReplayNow(const OperationPtr &op, const QString &error)
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

void InvalidationWatermark::afterReplay(std::function<void()> next)
{
    if (!m_replaying) {
        next();
        return;
    }
    m_afterReplay.append(std::move(next));
}

void InvalidationWatermark::replayChangesAfter(const OperationPtr &op, qint64 mark, int round)
{
    constexpr int Batch = 2000;
    // Bookkeeping, not a product read: not counted in the DB-read metrics.
    QElapsedTimer clock;
    clock.start();
    m_backend.repository()->changesAfter(std::max<qint64>(0, mark), Batch, this,
        [this, op, mark, round, clock](const StoreResult &r) {
            op->step(TraceSystem::Sql, QStringLiteral("SELECT changes after seq %1").arg(mark), TracedStore::outcome(r),
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
                OperationPtr shown = m_backend.host().beginBackground(OperationKind::ChangeLogReplay, 0, {});
                shown->trace.steps = op->trace.steps;
                shown->hold = op->hold;
                replayChangesAfterWith(shown, mark, round, r);
                return;
            }
            replayChangesAfterWith(op, mark, round, r);
        });
}

void InvalidationWatermark::replayChangesAfterWith(const OperationPtr &op, qint64 mark, int round, const StoreResult &r)
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
        m_backend.host().dropAllProductKeys(op, [this, op, r] {
            m_publishedMark = std::max(m_publishedMark, r.prunedUpTo);
            m_backend.tracedRedis().script(op, CacheScripts::raiseMark(), { key() }, { QByteArray::number(r.prunedUpTo) },
                {}, [this, op, r](const RedisReply &) { replayChangesAfter(op, r.prunedUpTo, 1); });
        });
        return;
    }
    if (r.changes.isEmpty()) {
        noteChangesSeen(std::max(mark, r.seq));
        if (round > 0)
            op->note(QStringLiteral("replayed the change log up to change %1").arg(mark));
        endReplay(op, {});
        return;
    }
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
    const QByteArray guardTtl = QByteArray::number(qint64(m_backend.settings().guardTtlSeconds) * 1000);
    for (const ProductChange &c : r.changes) {
        const bool deleted = c.kind == ProductChange::Kind::Delete;
        const qint64 guard = m_backend.settings().staleSetGuard ? (deleted ? CacheScripts::DeletedGuard : c.version) : 0;
        calls.append({ { m_backend.keys().product(c.id), m_backend.keys().guard(c.id), m_backend.keys().versions() },
            { QByteArray::number(guard), guardTtl, QByteArrayLiteral("0"), QByteArray::number(c.id),
                QByteArray::number(c.version + (deleted ? 1 : 0)) } });
    }
    const qint64 last = r.changes.last().seq;
    m_backend.tracedRedis().scriptPipeline(op, CacheScripts::invalidate(), calls,
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
            m_backend.tracedRedis().script(op, CacheScripts::raiseMark(), { key() }, { QByteArray::number(last) }, {},
                [this, op, last, round](const RedisReply &) { replayChangesAfter(op, last, round + 1); });
        });
}

