// WriteBehindQueue: LMOVE, coalesce, versioned batch upsert, then clean up.
#include "writebehindqueue.h"

#include "cachebackend.h"
#include "cachescripts.h"
#include "productrepository.h"

#include <QSet>

WriteBehindQueue::WriteBehindQueue(CacheBackend &backend, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (!m_paused)
            runFlush();
    });
}

void WriteBehindQueue::schedule(int delayMs)
{
    if (m_crashed || m_paused)
        return;
    if (!m_timer.isActive() || m_timer.remainingTime() > delayMs)
        m_timer.start(delayMs);
}

void WriteBehindQueue::setPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (paused)
        m_timer.stop();
    else if (m_depth > 0)
        schedule(0);
    emit pausedChanged(paused);
}

void WriteBehindQueue::refreshDepth()
{
    if (!m_backend.cacheUp())
        return;
    const CacheKeys &k = m_backend.keys();
    m_backend.metrics().redisCommands += 2;
    m_backend.redis()->pipeline(
        { { QByteArrayLiteral("LLEN"), k.queue() }, { QByteArrayLiteral("LLEN"), k.processing() } }, this,
        [this](const QList<RedisReply> &r) {
            if (r.size() != 2 || r.at(0).isError() || r.at(1).isError())
                return;
            const int depth = int(r.at(0).toInteger() + r.at(1).toInteger());
            m_backend.metrics().queueDepth = depth;
            if (depth != m_depth) {
                m_depth = depth;
                emit depthChanged(depth);
            }
            if (r.at(0).toInteger() > 0 && !m_flushing)
                schedule(m_backend.settings().writeBehindFlushIntervalMs);
            else if (r.at(0).toInteger() == 0)
                m_timer.stop(); // nothing to do: no empty flushes
        });
}

void WriteBehindQueue::notifyQueued(int depth)
{
    m_depth = depth >= 0 ? depth : m_depth + 1;
    m_backend.metrics().queueDepth = m_depth;
    emit depthChanged(m_depth);
    if (depth < 0)
        refreshDepth();
    schedule(m_backend.settings().writeBehindFlushIntervalMs);
}

void WriteBehindQueue::recover()
{
    if (!m_backend.cacheUp() || m_crashed || m_flushing)
        return;
    const CacheKeys &k = m_backend.keys();
    ++m_backend.metrics().redisCommands;
    CacheScripts::wbRecover().run(
        m_backend.redis(), { k.processing(), k.queue(), k.queued() }, {}, this, [this](const RedisReply &r, bool) {
            if (r.isInteger() && r.toInteger() > 0) {
                OperationPtr op = m_backend.host().beginBackground(OperationKind::Recover, 0, {});
                op->step(TraceSystem::Redis,
                    QStringLiteral("EVALSHA (wb-recover): LMOVE processing -> queue until empty"), TraceOutcome::Queue,
                    0, QStringLiteral("%1 item(s) left by an earlier run re-queued").arg(r.toInteger()));
                ServiceResult res;
                res.count = r.toInteger();
                op->finish(res);
            }
            refreshDepth(); // schedules a flush when the queue is not empty
            if (r.toInteger() > 0)
                schedule(0); // recovered items go first
        });
}

void WriteBehindQueue::flushNow(std::function<void(const ServiceResult &)> done)
{
    if (done)
        m_waiters << std::move(done);
    if (m_flushing) {
        m_flushAgain = true;
        return;
    }
    runFlush();
}

void WriteBehindQueue::drain(std::function<void(const ServiceResult &)> done)
{
    flushNow([this, done = std::move(done)](const ServiceResult &r) mutable {
        if (r.ok() && m_lastMoved >= m_backend.settings().writeBehindBatchSize) {
            drain(std::move(done)); // a full batch: there may be more
            return;
        }
        if (done)
            done(r);
    });
}

void WriteBehindQueue::runFlush()
{
    if (m_flushing)
        return;
    const auto waiters = std::exchange(m_waiters, {});
    auto reply = [waiters](const ServiceResult &r) {
        for (const auto &w : waiters)
            w(r);
    };
    if (m_crashed || !m_backend.cacheUp()) {
        ServiceResult r;
        r.status = ServiceStatus::Unavailable;
        r.error = m_crashed ? QStringLiteral("The write-behind worker was stopped.")
                            : QStringLiteral("Redis is unreachable; the write-behind queue waits for it.");
        reply(r);
        return;
    }
    m_flushing = true;
    m_timer.stop();
    const CacheKeys keys = m_backend.keys();
    const CacheSettings settings = m_backend.settings();
    OperationPtr op = m_backend.host().beginBackground(OperationKind::Flush, 0, {});
    // Chain the caller's callbacks behind the trace's own completion.
    auto finisher = op->finisher;
    op->finisher = [finisher, reply](Operation &o, ServiceResult r) {
        if (finisher)
            finisher(o, r);
        r.trace = o.trace;
        reply(r);
    };

    const int batch = settings.writeBehindBatchSize;
    auto classify = [](const RedisReply &r) { return r.size() > 0 ? TraceOutcome::Queue : TraceOutcome::Ok; };
    m_backend.tracedRedis().script(op, CacheScripts::wbTake(), { keys.queue(), keys.processing(), keys.queued() },
        { QByteArray::number(batch) }, classify, [this, op, keys, settings, batch](const RedisReply &reply) {
            if (!reply.isArray()) {
                // Not "nothing to do": an error here must not look like an
                // empty queue (a drain would then report the queue flushed).
                m_lastMoved = 0;
                op->fail(reply.isClientError() ? ServiceStatus::Unavailable : ServiceStatus::Error,
                    QStringLiteral("Write-behind flush could not take items from the queue: %1")
                        .arg(reply.isError() ? reply.errorMessage() : reply.toDisplayString(80)));
                endFailedFlush();
                return;
            }
            QList<QByteArray> moved;
            for (const RedisReply &r : reply.elements()) {
                if (r.isString())
                    moved << r.bytes();
            }
            m_lastMoved = int(moved.size());
            if (moved.isEmpty()) {
                ServiceResult res;
                op->finish(res);
                endFlush(false);
                return;
            }
            if (m_crashPoint == CrashPoint::AfterMove) {
                m_crashed = true;
                op->note(QStringLiteral("test: worker stopped between LMOVE and the SQL commit"), TraceOutcome::Error);
                op->fail(ServiceStatus::Error, QStringLiteral("worker stopped (test crash point)"));
                m_flushing = false;
                return;
            }
            // Coalesce: many writes to one id become one upsert of its latest state.
            QList<qint64> ids;
            QSet<qint64> seen;
            for (const QByteArray &item : std::as_const(moved)) {
                const qint64 id = item.toLongLong();
                if (id > 0 && !seen.contains(id)) {
                    seen.insert(id);
                    ids << id;
                }
            }
            if (moved.size() > ids.size())
                op->note(QStringLiteral("coalesced %1 queued write(s) into %2 id(s)").arg(moved.size()).arg(ids.size()),
                    TraceOutcome::Coalesced);
            QList<RedisCommand> reads;
            for (qint64 id : std::as_const(ids))
                reads.append({ QByteArrayLiteral("HGETALL"), keys.product(id) });
            const bool full = moved.size() >= batch;
            m_backend.tracedRedis().pipeline(op, reads, QStringLiteral("pipeline %1 x HGETALL product:{id}").arg(reads.size()),
                [this, op, keys, settings, ids, moved, full](const QList<RedisReply> &hashes) {
                    QList<Product> upserts;
                    QList<qint64> deletes;
                    QList<qint64> deleteVersions;
                    QList<QPair<qint64, qint64>> flushedVersions; // id, version
                    for (int i = 0; i < ids.size() && i < hashes.size(); ++i) {
                        const ProductHash h = ProductHash::decode(ids.at(i), hashes.at(i));
                        if (h.isEmpty()) {
                            op->note(QStringLiteral("%1 vanished before it was flushed (evicted or deleted by hand): "
                                                    "that write is lost")
                                         .arg(QString::fromUtf8(keys.product(ids.at(i)))),
                                TraceOutcome::Error);
                            continue;
                        }
                        const Product &p = h.product();
                        if (!h.isDirty())
                            continue; // an earlier batch already wrote this state
                        if (h.isAbsent()) {
                            deletes << p.id;
                            deleteVersions << p.version;
                        } else
                            upserts << p;
                        flushedVersions.append({ p.id, p.version });
                    }
                    auto cleanup = [this, op, keys, settings, moved, flushedVersions, full](
                                       qint64 applied, const QSet<qint64> &superseded) {
                        if (m_crashPoint == CrashPoint::AfterCommit) {
                            m_crashed = true;
                            op->note(QStringLiteral("test: worker stopped after the SQL commit, before LREM"),
                                TraceOutcome::Error);
                            op->fail(ServiceStatus::Error, QStringLiteral("worker stopped (test crash point)"));
                            m_flushing = false;
                            return;
                        }
                        QList<QPair<QList<QByteArray>, QList<QByteArray>>> cleans;
                        for (const auto &[id, version] : flushedVersions) {
                            // Superseded: SQLite kept a row at that version or newer
                            // from another writer, so this hash is not a copy of it.
                            cleans.append({ { keys.product(id) },
                                { QByteArray::number(version), QByteArray::number(m_backend.ttlMs()),
                                    QByteArray::number(qint64(settings.negativeTtlSeconds) * 1000),
                                    superseded.contains(id) ? QByteArrayLiteral("1") : QByteArrayLiteral("0") } });
                        }
                        if (!superseded.isEmpty())
                            op->note(QStringLiteral("%1 item(s) were already in SQLite at that version or newer: "
                                                    "their hashes are dropped, not kept as copies")
                                         .arg(superseded.size()),
                                TraceOutcome::Invalidate);
                        auto removeFromProcessing = [this, op, keys, moved, flushedVersions, full, applied] {
                            QList<RedisCommand> lrems;
                            for (const QByteArray &item : moved)
                                lrems.append(
                                    { QByteArrayLiteral("LREM"), keys.processing(), QByteArrayLiteral("1"), item });
                            m_backend.tracedRedis().pipeline(op, lrems,
                                QStringLiteral("pipeline %1 x LREM %2 1 {id}")
                                    .arg(lrems.size())
                                    .arg(QString::fromUtf8(keys.processing())),
                                [this, op, flushedVersions, full, applied](const QList<RedisReply> &) {
                                    QList<qint64> done;
                                    for (const auto &fv : flushedVersions)
                                        done << fv.first;
                                    m_backend.metrics().writeBehindFlushed += quint64(done.size());
                                    ServiceResult res;
                                    res.count = done.size();
                                    if (applied < done.size())
                                        res.warnings << QStringLiteral(
                                            "%1 of %2 item(s) were already in SQLite at that version or newer")
                                                            .arg(done.size() - applied)
                                                            .arg(done.size());
                                    op->finish(res);
                                    if (!done.isEmpty())
                                        emit flushed(done);
                                    endFlush(full);
                                });
                        };
                        if (cleans.isEmpty()) {
                            removeFromProcessing();
                            return;
                        }
                        m_backend.tracedRedis().scriptPipeline(op, CacheScripts::wbClean(), cleans,
                            QStringLiteral(
                                "pipeline %1 x EVALSHA (wb-clean): HDEL dirty + PEXPIRE if version unchanged")
                                .arg(cleans.size()),
                            [removeFromProcessing](const QList<RedisReply> &) { removeFromProcessing(); });
                    };
                    if (upserts.isEmpty() && deletes.isEmpty()) {
                        cleanup(0, {});
                        return;
                    }
                    m_backend.tracedStore().call(
                        op, true,
                        QStringLiteral("applyVersioned %1 upsert(s), %2 delete(s)")
                            .arg(upserts.size())
                            .arg(deletes.size()),
                        [upserts, deletes, deleteVersions](ProductRepository &repo, QObject *ctx, StoreCallback cb) {
                            repo.applyVersioned(upserts, deletes, deleteVersions, ctx, std::move(cb));
                        },
                        [this, op, keys, cleanup, upserts, deletes](const StoreResult &r) {
                            if (!r.ok()) {
                                // Nothing was written: put the items back for a later try.
                                m_backend.tracedRedis().script(
                                    op, CacheScripts::wbRecover(), { keys.processing(), keys.queue(), keys.queued() },
                                    {}, [](const RedisReply &) { return TraceOutcome::Queue; },
                                    [this, op, r](const RedisReply &) {
                                        op->fail(ServiceStatus::Error,
                                            QStringLiteral("Write-behind flush failed, items re-queued: %1")
                                                .arg(r.error));
                                        endFailedFlush();
                                    });
                                return;
                            }
                            // Versions never repeat, so a row at exactly the flushed
                            // version is this write (an earlier flush that died before
                            // its clean-up); a newer one is another writer's.
                            // Only a writer that bypasses CacheLab (the sqlite3 shell) can
                            // have stored the same version with other content: the later
                            // of the two writes wins, moved to a fresh version.
                            QHash<qint64, Product> flushed;
                            for (const Product &p : upserts)
                                flushed.insert(p.id, p);
                            QSet<qint64> superseded;
                            QList<Product> later;
                            // An upsert neither applied (r.ids) nor beaten by a row
                            // (r.products): a delete at a newer version won (its
                            // claim moved it above this write), so the hash is no
                            // copy of anything and goes.
                            QSet<qint64> present(r.ids.cbegin(), r.ids.cend());
                            for (const Product &stored : r.products)
                                present.insert(stored.id);
                            for (const Product &p : upserts) {
                                if (!present.contains(p.id))
                                    superseded.insert(p.id);
                            }
                            for (const Product &stored : r.products) {
                                const auto it = flushed.constFind(stored.id);
                                if (deletes.contains(stored.id) || it == flushed.cend() || stored.version > it->version) {
                                    superseded.insert(stored.id);
                                } else if (stored.name != it->name || stored.price != it->price) {
                                    superseded.insert(stored.id);
                                    if (it->updatedAt >= stored.updatedAt)
                                        later << *it;
                                }
                            }
                            if (later.isEmpty()) {
                                cleanup(r.rowsAffected, superseded);
                                return;
                            }
                            reapplyLater(op, later, [cleanup, r, superseded] { cleanup(r.rowsAffected, superseded); });
                        });
                });
        });
}

void WriteBehindQueue::reapplyLater(const OperationPtr &op, const QList<Product> &later, std::function<void()> then)
{
    op->note(QStringLiteral("%1 item(s) met a row an outside writer stored at the same version: the later write "
                            "wins, at a fresh version")
                 .arg(later.size()),
        TraceOutcome::Conflict);
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> claims;
    for (const Product &p : later)
        claims.append({ { m_backend.keys().versions() }, { QByteArray::number(p.id), QByteArray::number(p.version) } });
    m_backend.tracedRedis().scriptPipeline(op, CacheScripts::versionClaim(), claims, {},
        [this, op, later, then = std::move(then)](const QList<RedisReply> &replies) {
            QList<Product> moved;
            for (qsizetype i = 0; i < later.size() && i < replies.size(); ++i) {
                if (replies.at(i).size() != 2)
                    continue; // Redis failed: the outside write stays; the hash is dropped
                Product p = later.at(i);
                p.version = replies.at(i).at(1).toInteger();
                moved << p;
            }
            if (moved.isEmpty()) {
                then();
                return;
            }
            m_backend.tracedStore().call(
                op, true, QStringLiteral("applyVersioned %1 upsert(s) at fresh versions").arg(moved.size()),
                [moved](ProductRepository &repo, QObject *ctx, StoreCallback cb) {
                    repo.applyVersioned(moved, {}, ctx, std::move(cb));
                },
                [then](const StoreResult &) { then(); });
        });
}

void WriteBehindQueue::endFailedFlush()
{
    m_flushing = false;
    m_flushAgain = false;
    refreshDepth();
    // Callers who asked meanwhile get an answer now (an error again if the
    // cause persists); otherwise retry later, not in a tight loop.
    if (!m_waiters.isEmpty())
        QTimer::singleShot(0, this, [this] { runFlush(); });
    else
        schedule(std::max(1000, m_backend.settings().writeBehindFlushIntervalMs));
}

void WriteBehindQueue::endFlush(bool more)
{
    m_flushing = false;
    refreshDepth();
    if (m_flushAgain || !m_waiters.isEmpty()) {
        m_flushAgain = false;
        QTimer::singleShot(0, this, [this] { runFlush(); });
        return;
    }
    if (more)
        schedule(0);
}
