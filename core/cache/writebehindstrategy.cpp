// WriteBehindStrategy: accept writes into Redis + queue; SQLite later.
#include "writebehindstrategy.h"

#include "cachebackend.h"
#include "cachescripts.h"
#include "productrepository.h"
#include "timestamp.h"
#include "writebehindqueue.h"

#include <map>
#include <QDateTime>
#include <QElapsedTimer>
#include <QSet>

namespace {
QByteArray stamp()
{
    return Timestamp::formatUtc(QDateTime::currentDateTimeUtc());
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
                { QByteArrayLiteral("SADD"), k.queued(), QByteArray::number(id) },
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
    const QDateTime updatedAt = QDateTime::currentDateTimeUtc();

    // One script does the read, the decision and the write (see
    // CacheScripts::wbWrite): Redis runs it atomically, so no other writer can
    // slip in between the version check and the HSET, and nothing on the
    // connection has to wait for it, unlike WATCH + MULTI (two round trips).
    const QList<QByteArray> keys { key, queue, k.processing(), k.queued() };
    const QList<QByteArray> args { QByteArray::number(w.id), QByteArray::number(w.expectedVersion),
        dbVersion ? QByteArray::number(*dbVersion) : QByteArray(),
        w.isDelete ? QByteArrayLiteral("1") : QByteArrayLiteral("0"), w.isDelete ? QByteArray() : w.name.toUtf8(),
        QByteArray::number(w.isDelete ? 0 : w.price), Timestamp::formatUtc(updatedAt) };

    QElapsedTimer clock;
    clock.start();
    ++m_backend.metrics().redisCommands;
    CacheScripts::wbWrite().run(m_backend.redis(), keys, args, &m_backend,
        [this, op, w, dbVersion, updatedAt, clock](const RedisReply &r, bool reloaded) {
            const qint64 us = clock.nsecsElapsed() / 1000;
            CacheBackend &b = m_backend;
            if (reloaded) {
                ++b.metrics().redisCommands;
                op->step(TraceSystem::Redis, QStringLiteral("SCRIPT LOAD (wb-write) after NOSCRIPT"), TraceOutcome::Ok);
            }
            const QString product = QString::fromUtf8(b.keys().product(w.id));
            const QString head = QStringLiteral("EVALSHA wb-write ") + product;
            const qint64 code = r.size() == 4 ? r.at(0).toInteger() : -99;
            const qint64 version = r.size() == 4 ? r.at(1).toInteger() : 0;
            if (r.isError() || code == -99) {
                const QString error
                    = r.isError() ? r.errorMessage() : QStringLiteral("unexpected reply %1").arg(r.toDisplayString(80));
                op->step(TraceSystem::Redis, head, r.isClientError() ? TraceOutcome::Unavailable : TraceOutcome::Error,
                    us, error);
                op->fail(r.isClientError() ? ServiceStatus::Unavailable : ServiceStatus::Error,
                    QStringLiteral("The write was not queued: %1").arg(error));
                return;
            }
            const QString from = dbVersion ? QStringLiteral("SQLite") : QStringLiteral("cached");
            switch (code) {
            case 0:
                op->step(TraceSystem::Redis, head + QStringLiteral(": not cached, nothing written"), TraceOutcome::Miss,
                    us, QStringLiteral("the version must come from SQLite"));
                // Learn the row's version from SQLite, then run the script again
                // (a version cached meanwhile still wins inside the script).
                b.dbGet(op, w.id, [this, op, w](const StoreResult &sr) {
                    if (sr.ok() && sr.product)
                        queueWrite(op, w, sr.product->version);
                    else if (sr.status == StoreStatus::NotFound)
                        queueWrite(op, w, 0);
                    else
                        op->finish(CacheBackend::fromStore(sr));
                });
                return;
            case -1:
                op->step(TraceSystem::Redis, head + QStringLiteral(": no such product (%1), nothing written").arg(from),
                    TraceOutcome::NotFound, us);
                op->fail(ServiceStatus::NotFound, QStringLiteral("Product %1 does not exist.").arg(w.id));
                return;
            case -2:
                op->step(TraceSystem::Redis,
                    head
                        + QStringLiteral(": expected version %1, %2 version is %3 - refused, nothing written")
                              .arg(w.expectedVersion)
                              .arg(from)
                              .arg(version),
                    TraceOutcome::Conflict, us);
                op->fail(ServiceStatus::Conflict,
                    QStringLiteral("Product %1 was changed meanwhile: expected version %2, but it is at version %3. "
                                   "Reload it and try again.")
                        .arg(w.id)
                        .arg(w.expectedVersion)
                        .arg(version));
                return;
            default:
                break;
            }
            const QString what = w.isDelete ? QStringLiteral("tombstone %1 (absent, dirty)").arg(product)
                                            : QStringLiteral("HSET %1 (dirty)").arg(product);
            QString detail = w.expectedVersion > 0
                ? QStringLiteral("expected version %1 matched").arg(w.expectedVersion)
                : QStringLiteral("no expected version");
            if (dbVersion)
                detail += QStringLiteral("; version from SQLite");
            const bool pushed = r.at(3).toInteger() == 1;
            if (pushed) {
                // One multi-argument arg(): a single pass over the template.
                op->step(TraceSystem::Redis,
                    QStringLiteral("EVALSHA wb-write: %1 + PERSIST + RPUSH %2 %3, version %4 -> %5")
                        .arg(what, QString::fromUtf8(b.keys().queue()), QString::number(w.id),
                            QString::number(version - 1), QString::number(version)),
                    TraceOutcome::Queue, us, detail);
            } else {
                // The teaching point of write-behind: many writes, one row write.
                op->step(TraceSystem::Redis,
                    QStringLiteral("EVALSHA wb-write: %1 + PERSIST, version %2 -> %3; id %4 is already queued, "
                                   "so no RPUSH (coalesced: the worker writes the latest state once)")
                        .arg(what, QString::number(version - 1), QString::number(version), QString::number(w.id)),
                    TraceOutcome::Coalesced, us, detail);
                ++b.metrics().writeBehindCoalesced;
            }
            ++b.metrics().writeBehindQueued;
            m_queue.notifyQueued(int(r.at(2).toInteger()));
            ServiceResult res;
            if (!w.isDelete) {
                Product p;
                p.id = w.id;
                p.name = w.name;
                p.price = w.price;
                p.version = version;
                p.updatedAt = updatedAt;
                res.product = p;
            }
            op->finish(res);
        });
}
