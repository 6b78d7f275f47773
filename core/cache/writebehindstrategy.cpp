// WriteBehindStrategy: accept writes into Redis + queue; SQLite later.
#include "writebehindstrategy.h"

#include "cachebackend.h"
#include "cachescripts.h"
#include "productrepository.h"
#include "writebehindqueue.h"

#include <map>
#include <QDateTime>
#include <QSet>

namespace {
enum class Decision { NeedDb, NotFound, Conflict, Queued };
struct Plan
{
    Decision decision = Decision::NeedDb;
    qint64 current = 0;
    Product product;
};
QByteArray stamp()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
}
} // namespace

WriteBehindStrategy::WriteBehindStrategy(CacheBackend &backend, WriteBehindQueue &queue)
    : CacheStrategy(backend)
    , m_queue(queue)
{ }

bool WriteBehindStrategy::refuseWhenDown(const OperationPtr &op)
{
    if (m_backend.cacheUp())
        return false;
    op->note(QStringLiteral("cache unavailable: write-behind cannot accept the write"), TraceOutcome::Unavailable);
    op->fail(ServiceStatus::Unavailable,
        QStringLiteral("Redis is unreachable, so write-behind cannot accept this write (it would be in neither "
                       "Redis nor SQLite). Nothing was changed; retry when Redis is back, or switch to "
                       "write-through."));
    return true;
}

void WriteBehindStrategy::get(const OperationPtr &op, qint64 id)
{
    // The cache is authoritative for unflushed writes; SQLite fills misses.
    m_backend.readThrough(
        op, id, m_backend.dbLoader(), [this, op, id](const LoadResult &r) { m_backend.finishGet(op, id, r); });
}

void WriteBehindStrategy::list(const OperationPtr &op)
{
    m_backend.dbList(op, [this, op](const StoreResult &r) {
        ServiceResult res = CacheBackend::fromStore(r);
        if (!r.ok() || !m_backend.cacheUp()) {
            op->finish(res);
            return;
        }
        // Overlay what is still queued so the list never goes back in time.
        const CacheKeys &k = m_backend.keys();
        m_backend.pipeline(op,
            { { QByteArrayLiteral("LRANGE"), k.queue(), QByteArrayLiteral("0"), QByteArrayLiteral("-1") },
                { QByteArrayLiteral("LRANGE"), k.processing(), QByteArrayLiteral("0"), QByteArrayLiteral("-1") } },
            QStringLiteral("pending ids: LRANGE queue | LRANGE processing"),
            [this, op, res](const QList<RedisReply> &lists) mutable {
                QList<qint64> ids;
                QSet<qint64> seen;
                for (const RedisReply &l : lists) {
                    for (const RedisReply &e : l.elements()) {
                        const qint64 id = e.bytes().toLongLong();
                        if (id > 0 && !seen.contains(id)) {
                            seen.insert(id);
                            ids << id;
                        }
                    }
                }
                if (ids.isEmpty()) {
                    op->finish(res);
                    return;
                }
                QList<RedisCommand> reads;
                for (qint64 id : std::as_const(ids))
                    reads.append({ QByteArrayLiteral("HGETALL"), m_backend.keys().product(id) });
                m_backend.pipeline(op, reads, {}, [op, res, ids](const QList<RedisReply> &hashes) mutable {
                    std::map<qint64, Product> byId;
                    for (const Product &p : std::as_const(res.products))
                        byId[p.id] = p;
                    int overlaid = 0;
                    for (int i = 0; i < ids.size() && i < hashes.size(); ++i) {
                        CacheEntry e;
                        const auto pairs = hashes.at(i).toPairs();
                        const Product p = CacheBackend::productFromHash(ids.at(i), pairs, &e);
                        if (!e.dirty)
                            continue;
                        ++overlaid;
                        bool absent = false;
                        for (const auto &kv : pairs)
                            absent = absent || kv.first == "absent";
                        if (absent)
                            byId.erase(p.id);
                        else
                            byId[p.id] = p;
                    }
                    res.products.clear();
                    for (const auto &kv : byId)
                        res.products << kv.second;
                    op->note(QStringLiteral("overlaid %1 unflushed write(s) on the SQLite rows").arg(overlaid));
                    op->finish(res);
                });
            });
    });
}

void WriteBehindStrategy::allocateId(const OperationPtr &op, std::function<void(qint64)> then)
{
    const CacheKeys &k = m_backend.keys();
    auto incr = [this, op, then] {
        m_backend.command(op, { QByteArrayLiteral("INCR"), m_backend.keys().nextId() }, {},
            [then](const RedisReply &r) { then(r.isInteger() ? r.toInteger() : 0); });
    };
    if (m_idFloorReady) {
        incr();
        return;
    }
    // Ids must not collide with rows SQLite already has: raise the counter
    // to the highest id there first (once, and again after outside inserts).
    m_backend.dbList(op, [this, op, k, incr, then](const StoreResult &r) {
        if (!r.ok()) {
            then(0);
            return;
        }
        qint64 maxId = 0;
        for (const Product &p : r.products)
            maxId = std::max(maxId, p.id);
        m_backend.script(op, CacheScripts::idFloor(), { k.nextId() }, { QByteArray::number(maxId) }, {},
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

void WriteBehindStrategy::create(const OperationPtr &op, const QString &name, qint64 price)
{
    if (refuseWhenDown(op))
        return;
    allocateId(op, [this, op, name, price](qint64 id) {
        if (id <= 0) {
            op->fail(ServiceStatus::Error, QStringLiteral("Could not allocate an id for the new product."));
            return;
        }
        op->trace.productId = id;
        Product p;
        p.id = id;
        p.name = name;
        p.price = price;
        p.version = 1;
        p.updatedAt = QDateTime::currentDateTimeUtc();
        const CacheKeys &k = m_backend.keys();
        const QByteArray key = k.product(id);
        m_backend.transaction(op,
            { { QByteArrayLiteral("HSET"), key, QByteArrayLiteral("id"), QByteArray::number(id),
                  QByteArrayLiteral("name"), name.toUtf8(), QByteArrayLiteral("price"), QByteArray::number(price),
                  QByteArrayLiteral("version"), QByteArrayLiteral("1"), QByteArrayLiteral("updated_at"), stamp(),
                  QByteArrayLiteral("dirty"), QByteArrayLiteral("1") },
                { QByteArrayLiteral("HDEL"), key, QByteArrayLiteral("absent") }, { QByteArrayLiteral("PERSIST"), key },
                { QByteArrayLiteral("RPUSH"), k.queue(), QByteArray::number(id) } },
            QStringLiteral("queue write"), [this, op, p](const RedisReply &r) {
                if (!r.isArray()) {
                    op->fail(r.isClientError() ? ServiceStatus::Unavailable : ServiceStatus::Error,
                        QStringLiteral("The write was not queued: %1").arg(r.errorMessage()));
                    return;
                }
                op->note(QStringLiteral("queued for the write-behind worker"), TraceOutcome::Queue);
                ++m_backend.metrics().writeBehindQueued;
                m_queue.notifyQueued();
                ServiceResult res;
                res.product = p;
                op->finish(res);
            });
    });
}

void WriteBehindStrategy::update(
    const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
{
    if (refuseWhenDown(op))
        return;
    queueWrite(op, Write { id, name, price, expectedVersion, false }, std::nullopt);
}

void WriteBehindStrategy::remove(const OperationPtr &op, qint64 id)
{
    if (refuseWhenDown(op))
        return;
    queueWrite(op, Write { id, {}, 0, 0, true }, std::nullopt);
}

void WriteBehindStrategy::queueWrite(const OperationPtr &op, const Write &w, std::optional<qint64> dbVersion)
{
    const CacheKeys &k = m_backend.keys();
    const QByteArray key = k.product(w.id);
    const QByteArray queue = k.queue();
    auto plan = std::make_shared<Plan>();

    // WATCH the hash, read its version, then MULTI: the new version is the
    // cached one + 1 (or SQLite's + 1 when nothing is cached), and no other
    // writer can slip in between the read and the write.
    auto build = [w, dbVersion, key, queue, plan](const QList<RedisReply> &reads) -> QList<RedisCommand> {
        const RedisReply &h = reads.value(0);
        const RedisReply version = h.size() > 0 ? h.at(0) : RedisReply();
        const bool cachedAbsent = h.size() > 1 && !h.at(1).isNil();
        bool exists = false;
        if (!version.isNil()) {
            plan->current = version.toInteger();
            exists = !cachedAbsent;
        } else if (dbVersion) {
            plan->current = *dbVersion;
            exists = *dbVersion > 0;
        } else {
            plan->decision = Decision::NeedDb;
            return {};
        }
        if (!exists) {
            plan->decision = Decision::NotFound;
            return {};
        }
        if (w.expectedVersion > 0 && w.expectedVersion != plan->current) {
            plan->decision = Decision::Conflict;
            return {};
        }
        plan->decision = Decision::Queued;
        const qint64 next = plan->current + 1;
        Product &p = plan->product;
        p.id = w.id;
        p.name = w.name;
        p.price = w.price;
        p.version = next;
        p.updatedAt = QDateTime::currentDateTimeUtc();
        const QByteArray ts = p.updatedAt.toString(Qt::ISODateWithMs).toLatin1();
        QList<RedisCommand> cmds;
        if (w.isDelete) {
            // The delete travels as a tombstone: the hash says "absent" at a
            // new version, so reads answer NotFound until the worker deletes the row.
            cmds.append({ QByteArrayLiteral("HSET"), key, QByteArrayLiteral("id"), QByteArray::number(w.id),
                QByteArrayLiteral("absent"), QByteArrayLiteral("1"), QByteArrayLiteral("version"),
                QByteArray::number(next), QByteArrayLiteral("updated_at"), ts, QByteArrayLiteral("dirty"),
                QByteArrayLiteral("1") });
            cmds.append({ QByteArrayLiteral("HDEL"), key, QByteArrayLiteral("name"), QByteArrayLiteral("price"),
                QByteArrayLiteral("delta"), QByteArrayLiteral("expires_at") });
        } else {
            cmds.append({ QByteArrayLiteral("HSET"), key, QByteArrayLiteral("id"), QByteArray::number(w.id),
                QByteArrayLiteral("name"), w.name.toUtf8(), QByteArrayLiteral("price"), QByteArray::number(w.price),
                QByteArrayLiteral("version"), QByteArray::number(next), QByteArrayLiteral("updated_at"), ts,
                QByteArrayLiteral("dirty"), QByteArrayLiteral("1") });
            cmds.append({ QByteArrayLiteral("HDEL"), key, QByteArrayLiteral("absent"), QByteArrayLiteral("delta"),
                QByteArrayLiteral("expires_at") });
        }
        // No TTL while unflushed: an item still queued must never expire (article bug 3).
        cmds.append({ QByteArrayLiteral("PERSIST"), key });
        cmds.append({ QByteArrayLiteral("RPUSH"), queue, QByteArray::number(w.id) });
        return cmds;
    };

    QElapsedTimer clock;
    clock.start();
    m_backend.metrics().redisCommands += 2;
    const QString readText = QStringLiteral("WATCH %1 | HMGET %1 version absent dirty").arg(QString::fromUtf8(key));
    m_backend.redis()->watchTransaction({ key },
        { { QByteArrayLiteral("HMGET"), key, QByteArrayLiteral("version"), QByteArrayLiteral("absent"),
            QByteArrayLiteral("dirty") } },
        build, 5, &m_backend, [this, op, w, plan, clock, readText](const RedisReply &exec, int attempts) {
            const qint64 us = clock.nsecsElapsed() / 1000;
            if (plan->decision != Decision::Queued || exec.isError()) {
                op->step(TraceSystem::Redis, readText,
                    exec.isError() ? (exec.isClientError() ? TraceOutcome::Unavailable : TraceOutcome::Error)
                                   : TraceOutcome::Ok,
                    us, exec.isError() ? exec.errorMessage() : QString());
            }
            if (exec.isError()) {
                op->fail(exec.isClientError() ? ServiceStatus::Unavailable : ServiceStatus::Error,
                    QStringLiteral("The write was not queued: %1").arg(exec.errorMessage()));
                return;
            }
            switch (plan->decision) {
            case Decision::NeedDb:
                // Nothing cached: learn the row's version from SQLite, then try again.
                m_backend.dbGet(op, w.id, [this, op, w](const StoreResult &r) {
                    if (r.ok() && r.product)
                        queueWrite(op, w, r.product->version);
                    else if (r.status == StoreStatus::NotFound)
                        queueWrite(op, w, 0);
                    else
                        op->finish(CacheBackend::fromStore(r));
                });
                return;
            case Decision::NotFound:
                op->fail(ServiceStatus::NotFound, QStringLiteral("Product %1 does not exist.").arg(w.id));
                return;
            case Decision::Conflict:
                op->fail(ServiceStatus::Conflict,
                    QStringLiteral("Product %1 was changed meanwhile: expected version %2, but it is at version %3. "
                                   "Reload it and try again.")
                        .arg(w.id)
                        .arg(w.expectedVersion)
                        .arg(plan->current));
                return;
            case Decision::Queued:
                break;
            }
            if (exec.isNil()) {
                op->step(TraceSystem::Redis, readText, TraceOutcome::Conflict, us);
                op->fail(ServiceStatus::Error,
                    QStringLiteral("Product %1 kept changing; the write was not queued after %2 attempts.")
                        .arg(w.id)
                        .arg(attempts));
                return;
            }
            m_backend.metrics().redisCommands += 6;
            op->step(TraceSystem::Redis,
                readText
                    + QStringLiteral(" | MULTI HSET %1 ... dirty 1 | HDEL | PERSIST | RPUSH %2 %3 | EXEC")
                          .arg(QString::fromUtf8(m_backend.keys().product(w.id)),
                              QString::fromUtf8(m_backend.keys().queue()))
                          .arg(w.id),
                TraceOutcome::Queue, us,
                attempts > 1 ? QStringLiteral("%1 attempts (WATCH lost)").arg(attempts) : QString());
            ++m_backend.metrics().writeBehindQueued;
            m_queue.notifyQueued();
            ServiceResult res;
            if (!w.isDelete)
                res.product = plan->product;
            op->finish(res);
        });
}
