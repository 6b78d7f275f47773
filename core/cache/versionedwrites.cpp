// VersionedWrites: see versionedwrites.h for the numbering rules.
#include "versionedwrites.h"

#include "cachebackend.h"
#include "cachescripts.h"
#include "invalidationwatermark.h"

#include <algorithm>

VersionedWrites::VersionedWrites(CacheBackend &backend, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
{ }

void VersionedWrites::readIdCounter()
{
    m_offlineBase = -1;
    m_backend.tracedRedis().command(nullptr, { QByteArrayLiteral("GET"), m_backend.keys().nextId() }, {},
        [this](const RedisReply &r) {
            if (r.isString())
                m_lastAllocatedId = std::max(m_lastAllocatedId, r.bytes().toLongLong());
        });
}

void VersionedWrites::write(const OperationPtr &op, const QString &what, const WriteCall &call, bool isDelete,
    std::function<void(const StoreResult &)> then)
{
    if (!op->hold)
        m_backend.watermark().hold(op);
    auto run = [this, op, what, call, isDelete, then = std::move(then)](VersionRule rule) {
        m_backend.tracedStore().call(
            op, true, what,
            [call, rule](ProductRepository &repo, QObject *ctx, StoreCallback cb) { call(repo, rule, ctx, std::move(cb)); },
            [this, op, isDelete, rule, then](const StoreResult &r) {
                if (!r.ok() || !r.product) {
                    // Nothing written: give the reservation back unless someone
                    // reserved above it meanwhile, so refused writes (a stale
                    // compare-and-set, adjust-price retries) leave no gaps.
                    if (rule.floor > 0 && m_backend.cacheUp())
                        m_backend.tracedRedis().script(nullptr, CacheScripts::versionRelease(), { m_backend.keys().versions() },
                            { QByteArray::number(op->trace.productId), QByteArray::number(rule.floor) }, {}, {});
                    then(r);
                    return;
                }
                m_backend.watermark().startMark(r.seq);
                const qint64 committed = isDelete ? r.lastVersion : r.product->version;
                if (rule.bump > 1 || (rule.floor > 0 && committed == rule.floor) || !m_backend.cacheUp()) {
                    // The reserved version (unique by construction), or numbered
                    // clear of anything Redis may hold.
                    then(r);
                    return;
                }
                // SQLite was ahead of what Redis knew (an outside edit, a write
                // made while Redis was away, an id without an entry yet): claim
                // what was committed.
                if (const auto &hook = m_backend.claimHook())
                    hook(op->trace.productId, [this, op, r, isDelete, then] { claimVersion(op, r, isDelete, then); });
                else
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
    if (!m_backend.cacheUp()) {
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
    const qint64 ready = m_backend.watermark().takeReadyMark();
    auto classify = [](const RedisReply &x) { return x.size() == 2 ? TraceOutcome::Ok : TraceOutcome::Error; };
    m_backend.tracedRedis().script(op, CacheScripts::versionReserve(), { m_backend.keys().versions(), m_backend.keys().product(id), m_backend.watermark().key(), m_backend.keys().nextId() },
        { QByteArray::number(id), QByteArray::number(ready) }, classify,
        [this, op, run, offline](const RedisReply &reply) {
            if (reply.size() != 2) {
                offline(QStringLiteral("the version could not be reserved in Redis"));
                return;
            }
            const VersionRule rule { reply.at(0).toInteger(), 1 };
            if (reply.at(1).toInteger() == 1) {
                // A write-behind write of this id is still queued (maybe another
                // instance's): it reaches SQLite first, so this write lands on top.
                op->note(QStringLiteral("a write-behind write of this product is still queued: flushing it first"));
                m_backend.host().drainQueuedWrites(op, [run, rule] { run(rule); });
                return;
            }
            run(rule);
        });
}

void VersionedWrites::moveClearOfQueue(
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
    restamp(op, id, isDelete ? 0 : committed, far, [r, then = std::move(then)](const StoreResult &moved) mutable {
            if (moved.ok() && moved.rowsAffected > 0 && moved.product)
                r.product = moved.product;
            then(r);
        });
}

void VersionedWrites::restamp(const OperationPtr &op, qint64 id, qint64 from, qint64 to, StoreCallback done)
{
    // from 0: the row is deleted; only the id's next life moves up.
    m_backend.tracedStore().call(
        op, true,
        (from > 0 ? QStringLiteral("UPDATE product %1 SET version %2") : QStringLiteral("UPDATE product_versions %1 SET version %2"))
            .arg(id)
            .arg(to),
        [id, from, to](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.restamp(id, from, to, ctx, std::move(cb)); },
        std::move(done));
}

void VersionedWrites::readHighestId(const OperationPtr &op, StoreCallback done)
{
    m_backend.tracedStore().call(
        op, false, QStringLiteral("SELECT highest product id"),
        [](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.highestId(ctx, std::move(cb)); }, std::move(done));
}

void VersionedWrites::claimVersion(
    const OperationPtr &op, StoreResult r, bool isDelete, std::function<void(const StoreResult &)> then)
{
    // A delete is a write too: its version is one above the row's last one
    // (what SQLite's product_versions keeps for the id's next life).
    const qint64 id = r.product->id;
    const qint64 version = r.product->version + (isDelete ? 1 : 0);
    auto classify = [](const RedisReply &x) {
        return x.size() == 2 && x.at(0).toInteger() == 1 ? TraceOutcome::Ok : TraceOutcome::Conflict;
    };
    m_backend.tracedRedis().script(op, CacheScripts::versionClaim(), { m_backend.keys().versions() },
        { QByteArray::number(id), QByteArray::number(version) }, classify,
        [this, op, r, id, version, isDelete, then = std::move(then)](const RedisReply &reply) mutable {
            if (reply.size() != 2) {
                // Redis went away between the commit and the claim.
                moveClearOfQueue(op, r, isDelete, then);
                return;
            }
            if (reply.at(0).toInteger() == 1) {
                then(r); // claimed
                return;
            }
            const qint64 fresh = reply.at(1).toInteger();
            if (isDelete) {
                // A write-behind write took the delete's version between the
                // commit and this claim (it saw the row still cached). The
                // delete moves above it, so it stays the later of the two: the
                // id's next life starts above `fresh`, and the queued write,
                // older now, is not applied when it is flushed - which happens
                // before the delete answers, so no read after it finds the row.
                op->note(QStringLiteral("version %1 of product %2 was given to a write-behind write meanwhile: the "
                                        "delete takes version %3, after it")
                             .arg(version)
                             .arg(id)
                             .arg(fresh),
                    TraceOutcome::Conflict);
                restamp(op, id, 0, fresh, [this, op, r, then = std::move(then)](const StoreResult &) mutable {
                    m_backend.host().drainQueuedWrites(op, [r, then = std::move(then)] { then(r); });
                });
                return;
            }
            op->note(QStringLiteral("version %1 of product %2 was already given to another writer (a write-behind "
                                    "write not yet in SQLite): moving the row to version %3")
                         .arg(version)
                         .arg(id)
                         .arg(fresh),
                TraceOutcome::Conflict);
            restamp(op, id, version, fresh, [op, r, then = std::move(then)](const StoreResult &moved) mutable {
                    if (moved.ok() && moved.rowsAffected > 0 && moved.product)
                        r.product = moved.product;
                    else
                        op->note(QStringLiteral("the row had moved on already; it keeps its newer version"));
                    then(r);
                });
        });
}

void VersionedWrites::allocateId(const OperationPtr &op, std::function<void(qint64)> then)
{
    auto incr = [this, op, then] {
        m_backend.tracedRedis().command(op, { QByteArrayLiteral("INCR"), m_backend.keys().nextId() }, {}, [this, then](const RedisReply &r) {
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
    readHighestId(op, [this, op, incr, then](const StoreResult &r) {
            if (!r.ok()) {
                then(0);
                return;
            }
            m_backend.tracedRedis().script(op, CacheScripts::idFloor(), { m_backend.keys().nextId() }, { QByteArray::number(r.lastVersion) }, {},
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

void VersionedWrites::allocationFailed(const OperationPtr &op)
{
    if (!m_backend.cacheUp()) {
        op->fail(ServiceStatus::Unavailable,
            QStringLiteral("Redis became unreachable while an id for the new product was being allocated. Nothing "
                           "was changed; retry."));
        return;
    }
    op->fail(ServiceStatus::Error, QStringLiteral("Could not allocate an id for the new product."));
}

void VersionedWrites::newProductCall(
    const OperationPtr &op, const QString &name, qint64 price, std::function<void(const WriteCall &)> then)
{
    if (!m_backend.cacheUp()) {
        // The shared counter cannot be asked: take an id from a window far
        // above the highest id known, clear of write-behind creates still
        // queued in Redis. The counter is raised past the window on the next
        // allocation (ProductWrites::insertAbove keeps its end in SQLite).
        resetIdFloor();
        if (m_offlineBase < 0) {
            // The first create of this outage: the counter may stand above
            // what this instance saw of it (another instance's creates), and
            // above the highest id SQLite has (it was raised to that, then
            // write-behind creates took ids not yet in SQLite), but not a
            // stride above either. So the stride starts above both, once per
            // outage: creates of one outage get ids in a row.
            readHighestId(op, [this, op, name, price, then = std::move(then)](const StoreResult &r) {
                    if (!r.ok()) {
                        op->fail(ServiceStatus::Error,
                            QStringLiteral("Could not read the highest product id. Nothing was changed: %1").arg(r.error));
                        return;
                    }
                    // Redis may be back by now: the base is for this outage only
                    // (newProductCall then allocates from the counter).
                    if (!m_backend.cacheUp())
                        m_offlineBase = std::max({ m_offlineBase, m_lastAllocatedId, r.lastVersion });
                    newProductCall(op, name, price, then);
                });
            return;
        }
        const qint64 floor = m_offlineBase + OfflineStride;
        op->note(QStringLiteral("Redis unreachable: the new product gets an id above %1, clear of ids the shared "
                                "counter gave to write-behind creates still queued")
                     .arg(floor),
            TraceOutcome::Deferred);
        then([name, price, floor](ProductRepository &repo, VersionRule, QObject *ctx, StoreCallback cb) {
            repo.insertAbove(floor, floor + OfflineStride, name, price, ctx, std::move(cb));
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

void VersionedWrites::prepare(const OperationPtr &op, const ProductEdit &edit,
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

VersionedWrites::WriteCall VersionedWrites::upsertCall(qint64 id, const QString &name, qint64 price)
{
    return [id, name, price](ProductRepository &repo, VersionRule rule, QObject *ctx, StoreCallback cb) {
        repo.upsert(id, name, price, rule, ctx, std::move(cb));
    };
}

VersionedWrites::WriteCall VersionedWrites::updateCall(qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
{
    return [id, name, price, expectedVersion](ProductRepository &repo, VersionRule rule, QObject *ctx, StoreCallback cb) {
        repo.update(id, name, price, expectedVersion, rule, ctx, std::move(cb));
    };
}

VersionedWrites::WriteCall VersionedWrites::removeCall(qint64 id)
{
    return [id](ProductRepository &repo, VersionRule rule, QObject *ctx, StoreCallback cb) {
        repo.remove(id, rule, ctx, std::move(cb));
    };
}
