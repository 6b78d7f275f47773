// CacheBackend: the building blocks the strategies share. The read path
// lives in ProductCache and stampede/, tracing in core/trace, views in
// ViewRecorder, the change-log mark in InvalidationWatermark. What is left
// here: versioned SQL writes (reserve, claim, offline stride, id
// allocation) and invalidation after a write. (Over 500 lines: those two
// are the next to move out, as VersionedWrites and WriteInvalidation.)
#include "cachebackend.h"

#include "cachescripts.h"
#include "invalidationwatermark.h"
#include "missprotection.h"
#include "viewrecorder.h"
#include "producthash.h"

#include <QPointer>
#include "productrepository.h"
#include "timestamp.h"

#include <cmath>
#include <QDateTime>
#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

CacheBackend::CacheBackend(RedisClient *redis, ProductRepository *repository, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_repository(repository)
    , m_tracedRedis(new TracedRedis(redis, &m_metrics.redisCommands, this))
    , m_tracedStore(new TracedStore(repository, &m_metrics.dbReads, &m_metrics.dbWrites, this))
{
    m_views = new ViewRecorder(*this, this);
    m_watermark = new InvalidationWatermark(*this, this);
    m_deadlines = new ReadDeadlines(&m_metrics.readDeadlines, this);
    m_cache = std::make_unique<ProductCache>(*this);
    m_protection = std::make_unique<MissProtection>(*this);
}

CacheBackend::~CacheBackend() = default;

void CacheBackend::setSettings(const CacheSettings &settings)
{
    m_settings = settings;
    m_keys = CacheKeys(settings.keyPrefix);
    m_deadlines->setDeadlineMs(settings.readDeadlineMs);
}

bool CacheBackend::cacheUp() const
{
    return m_redis && m_redis->isConnected();
}

// --- Redis with tracing --------------------------------------------------------------------

void CacheBackend::loadScripts()
{
    QList<RedisCommand> cmds;
    for (const RedisScript *s : CacheScripts::all())
        cmds << s->load();
    m_metrics.redisCommands += quint64(cmds.size());
    m_redis->pipeline(cmds, this, [](const QList<RedisReply> &) {});
}

// --- SQL with tracing ----------------------------------------------------------------------

void CacheBackend::writeSql(const OperationPtr &op, const QString &what, const WriteCall &call, bool isDelete,
    std::function<void(const StoreResult &)> then)
{
    if (!op->hold)
        m_watermark->hold(op);
    auto run = [this, op, what, call, isDelete, then = std::move(then)](VersionRule rule) {
        m_tracedStore->call(
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
                m_watermark->startMark(r.seq);
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
    const qint64 ready = m_watermark->takeReadyMark();
    auto classify = [](const RedisReply &x) { return x.size() == 2 ? TraceOutcome::Ok : TraceOutcome::Error; };
    m_tracedRedis->script(op, CacheScripts::versionReserve(), { m_keys.versions(), m_keys.product(id), m_watermark->key(), m_keys.nextId() },
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
    m_tracedStore->call(
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
    m_tracedRedis->script(op, CacheScripts::versionClaim(), { m_keys.versions() },
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
            m_tracedStore->call(
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

// --- cache blocks --------------------------------------------------------------------------

void CacheBackend::readAround(const OperationPtr &op, qint64 id, std::function<void(const LoadResult &)> then)
{
    op->note(QStringLiteral("cache unavailable: reading SQLite directly"), TraceOutcome::Unavailable);
    m_tracedStore->get(op, id, [then = std::move(then)](const StoreResult &s) { then(LoadResult::fromStore(s)); });
}

void CacheBackend::loadAndFill(
    const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then)
{
    m_protection->load(
        op, id,
        [this, loader](const OperationPtr &op, qint64 id, LoadDone done) {
            m_cache->loadThenFill(op, id, loader, std::move(done));
        },
        std::move(then));
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
    m_tracedRedis->script(op, CacheScripts::invalidate(), keys, args, classify, [this, op, id, key, guardVersion, guard, then = std::move(then)](const RedisReply &r) {
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

void CacheBackend::replayChangeLog()
{
    if (!cacheUp())
        return;
    // Where the shared id counter stands: a create made while Redis is away
    // takes its id far above it (a restarted instance knows no other value).
    ++m_metrics.redisCommands;
    m_redis->command({ QByteArrayLiteral("GET"), m_keys.nextId() }, this, [this](const RedisReply &r) {
        if (r.isString())
            m_lastAllocatedId = std::max(m_lastAllocatedId, r.bytes().toLongLong());
    });
    m_watermark->replay();
}

void CacheBackend::flushViews()
{
    m_views->flush();
}

void CacheBackend::forgetViews(qint64 id)
{
    m_views->forget(id);
}

void CacheBackend::noteChangesSeen(qint64 seq)
{
    m_watermark->noteChangesSeen(seq);
}

void CacheBackend::holdWriteTicket(const OperationPtr &op)
{
    m_watermark->hold(op);
}

void CacheBackend::afterReplay(std::function<void()> next)
{
    m_watermark->afterReplay(std::move(next));
}

bool CacheBackend::isReplaying() const
{
    return m_watermark->isReplaying();
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
    m_tracedRedis->scriptPipeline(
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
        m_views->record(op, id);
    op->finish(std::move(res));
}

void CacheBackend::allocateId(const OperationPtr &op, std::function<void(qint64)> then)
{
    auto incr = [this, op, then] {
        m_tracedRedis->command(op, { QByteArrayLiteral("INCR"), m_keys.nextId() }, {}, [this, then](const RedisReply &r) {
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
    m_tracedStore->call(
        op, false, QStringLiteral("SELECT highest product id"),
        [](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.highestId(ctx, std::move(cb)); },
        [this, op, incr, then](const StoreResult &r) {
            if (!r.ok()) {
                then(0);
                return;
            }
            m_tracedRedis->script(op, CacheScripts::idFloor(), { m_keys.nextId() }, { QByteArray::number(r.lastVersion) }, {},
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

void CacheBackend::prepareWrite(const OperationPtr &op, const ProductEdit &edit,
    std::function<void(const QString &what, const WriteCall &call)> then)
{
    switch (edit.kind) {
    case ProductEdit::Kind::Create:
        newProductCall(op, edit.name, edit.price,
            [then = std::move(then)](const WriteCall &call) { then(QStringLiteral("INSERT product"), call); });
        return;
    case ProductEdit::Kind::Update:
        then(QStringLiteral("UPDATE product %1").arg(edit.id),
            updateCall(edit.id, edit.name, edit.price, edit.expectedVersion));
        return;
    case ProductEdit::Kind::Upsert:
        then(QStringLiteral("UPSERT product %1").arg(edit.id), upsertCall(edit.id, edit.name, edit.price));
        return;
    }
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
        m_tracedStore->get(op, id, std::move(done));
    };
}
