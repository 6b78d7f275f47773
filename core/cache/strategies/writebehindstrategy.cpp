// WriteBehindStrategy: accept writes into Redis + queue; SQLite later.
#include "writebehindstrategy.h"

#include "cachebackend.h"
#include "versionedwrites.h"
#include "cachescripts.h"
#include "productrepository.h"
#include "timestamp.h"
#include "writebehindqueue.h"
#include "redisreply.h"

#include <map>
#include <QDateTime>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSet>
#include <QTimer>


WriteBehindStrategy::WriteBehindStrategy(CacheBackend &backend, WriteBehindQueue &queue)
    : CacheStrategy(backend)
    , m_queue(queue)
    , m_cache(backend, backend.dbLoader())
    , m_batcher(backend)
{ }

void WriteBehindStrategy::whenAccepting(const OperationPtr &op, std::function<void()> next)
{
    if (!m_backend.cacheUp()) {
        op->note(QStringLiteral("cache unavailable: write-behind cannot accept the write"), TraceOutcome::Unavailable);
        op->fail(ServiceStatus::Unavailable,
            QStringLiteral("Redis is unreachable, so write-behind cannot accept this write (it would be in neither "
                           "Redis nor SQLite). Nothing was changed; retry when Redis is back, or switch to "
                           "write-through."));
        return;
    }
    if (m_backend.isReplaying())
        op->note(QStringLiteral("Redis is back: waiting until the changes made while it was away are applied"));
    m_backend.afterReplay(std::move(next));
}

void WriteBehindStrategy::releaseResolving(qint64 id)
{
    auto it = m_resolving.find(id);
    if (it == m_resolving.end() || --it->count > 0)
        return;
    const auto waiting = std::move(it->waiting);
    m_resolving.erase(it);
    for (const auto &next : waiting)
        next();
}

void WriteBehindStrategy::get(const OperationPtr &op, qint64 id)
{
    // The cache is authoritative for unflushed writes; SQLite fills misses.
    m_cache.get(op, id, [this, op, id](const LoadResult &r) { m_backend.finishGet(op, id, r); });
}

void WriteBehindStrategy::list(const OperationPtr &op)
{
    m_backend.tracedStore().list(op, [this, op](const StoreResult &r) {
        ServiceResult res = CacheBackend::fromStore(r);
        if (!r.ok() || !m_backend.cacheUp()) {
            op->finish(res);
            return;
        }
        // Overlay what is still queued so the list never goes back in time.
        const CacheKeys &k = m_backend.keys();
        m_backend.tracedRedis().pipeline(op,
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
                m_backend.tracedRedis().pipeline(op, reads, {}, [op, res, ids](const QList<RedisReply> &hashes) mutable {
                    std::map<qint64, Product> byId;
                    for (const Product &p : std::as_const(res.products))
                        byId[p.id] = p;
                    int overlaid = 0;
                    for (int i = 0; i < ids.size() && i < hashes.size(); ++i) {
                        const ProductHash h = ProductHash::decode(ids.at(i), hashes.at(i));
                        if (!h.isDirty())
                            continue;
                        ++overlaid;
                        if (h.isAbsent())
                            byId.erase(h.product().id);
                        else
                            byId[h.product().id] = h.product();
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

void WriteBehindStrategy::save(const OperationPtr &op, const ProductEdit &edit)
{
    switch (edit.kind) {
    case ProductEdit::Kind::Create:
        createNew(op, edit.name, edit.price);
        return;
    case ProductEdit::Kind::Update:
        whenAccepting(op, [=, this] {
            queueWrite(op, Write { edit.id, edit.name, edit.price, edit.expectedVersion, Mode::Update }, std::nullopt);
        });
        return;
    case ProductEdit::Kind::Upsert:
        whenAccepting(op, [=, this] {
            queueWrite(op, Write { edit.id, edit.name, edit.price, 0, Mode::Upsert }, std::nullopt);
        });
        return;
    }
}

void WriteBehindStrategy::createNew(const OperationPtr &op, const QString &name, qint64 price)
{
    whenAccepting(op, [this, op, name, price] {
        m_backend.writes().allocateId(op, [this, op, name, price](qint64 id) {
            if (id <= 0) {
                m_backend.writes().allocationFailed(op);
                return;
            }
            op->trace.productId = id;
            // A fresh id from the shared counter has no row and never had one.
            queueWrite(op, Write { id, name, price, 0, Mode::Create }, DbState { 0, false });
        });
    });
}

void WriteBehindStrategy::remove(const OperationPtr &op, qint64 id)
{
    whenAccepting(op, [=, this] { queueWrite(op, Write { id, {}, 0, 0, Mode::Delete }, std::nullopt); });
}

void WriteBehindStrategy::queueWrite(const OperationPtr &op, const Write &w, std::optional<DbState> db)
{
    if (!db && m_resolving.contains(w.id)) {
        // An earlier write to this id is reading SQLite's version: this one
        // goes after it, not past it.
        m_resolving[w.id].waiting.append([this, op, w] { queueWrite(op, w, std::nullopt); });
        return;
    }
    const bool isDelete = w.mode == Mode::Delete;
    static const QByteArray modes[] = { QByteArrayLiteral("0"), QByteArrayLiteral("1"), QByteArrayLiteral("2"),
        QByteArrayLiteral("3") };
    const CacheKeys &k = m_backend.keys();
    const QByteArray key = k.product(w.id);
    const QDateTime updatedAt = QDateTime::currentDateTimeUtc();

    // One script does the read, the decision and the write (see
    // CacheScripts::wbWrite): Redis runs it atomically, so no other writer can
    // slip in between the version check and the HSET, and nothing on the
    // connection has to wait for it, unlike WATCH + MULTI (two round trips).
    // The batcher sends it at once, or together with the other writes that
    // arrive while a call is in flight.
    Product row;
    row.id = w.id;
    row.name = isDelete ? QString() : w.name;
    row.price = isDelete ? 0 : w.price;
    row.updatedAt = updatedAt;
    const ProductHash::Encoded e = ProductHash::encode(row);
    QList<QByteArray> args { e.id, QByteArray::number(w.expectedVersion),
        db ? QByteArray::number(db->lastVersion) : QByteArray(), modes[int(w.mode)], e.name, e.price, e.updatedAt,
        db ? (db->exists ? QByteArrayLiteral("1") : QByteArrayLiteral("0")) : QByteArray(),
        w.staleReads >= MaxStaleReads ? QByteArrayLiteral("1") : QByteArrayLiteral("0") };

    m_batcher.submit(op, key, std::move(args),
        [this, op, w, db, isDelete, updatedAt](const RedisReply &r, qint64 us, int others) {
            // The writes that waited behind this one go once it has its answer.
            const auto release = qScopeGuard([this, id = w.id, db] {
                if (db)
                    releaseResolving(id);
            });
            CacheBackend &b = m_backend;
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
            const QString from = db ? QStringLiteral("SQLite") : QStringLiteral("cached");
            switch (code) {
            case 0: {
                // Not cached (the version must come from SQLite), or what the
                // script saw is older than a version another writer was given:
                // an SQL write of this id is committing or just committed (a
                // delete among them must not be overtaken by a write that
                // brings the row back). Either way SQLite is asked (again).
                const bool stale = r.at(3).toInteger() == 1;
                op->step(TraceSystem::Redis,
                    head + (stale ? QStringLiteral(": another writer was given a newer version, nothing written")
                                  : QStringLiteral(": not cached, nothing written")),
                    TraceOutcome::Miss, us,
                    stale ? QStringLiteral("reading SQLite again once that write is in")
                          : QStringLiteral("the version must come from SQLite"));
                Write next = w;
                if (stale)
                    ++next.staleReads;
                // Learn the row's version from SQLite, then run the script again
                // (a write-behind write queued meanwhile still wins inside it).
                ++m_resolving[w.id].count;
                const auto read = [this, op, next] {
                    m_backend.tracedStore().call(
                        op, false, QStringLiteral("SELECT version of product %1").arg(next.id),
                        [id = next.id](ProductRepository &repo, QObject *ctx, StoreCallback cb) {
                            repo.versionOf(id, ctx, std::move(cb));
                        },
                        [this, op, w = next](const StoreResult &sr) {
                            if (sr.ok() || sr.status == StoreStatus::NotFound) {
                                const DbState state { sr.lastVersion, sr.ok() && sr.product.has_value() };
                                // The test hook holds the first read only (a race is set up once).
                                if (const auto &hook = m_backend.writeBehindVersionHook(); hook && w.staleReads == 0)
                                    hook(w.id, [this, op, w, state] { queueWrite(op, w, state); });
                                else
                                    queueWrite(op, w, state);
                            } else {
                                op->finish(CacheBackend::fromStore(sr));
                                releaseResolving(w.id);
                            }
                        });
                };
                if (stale) // give the other write a moment to commit: 4, 8, 16 ... ms
                    QTimer::singleShot(2 << next.staleReads, &m_queue, read);
                else
                    read();
                return;
            }
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
            case -3:
                if (w.mode == Mode::Create && op->retries < 5) {
                    // The counter was behind an id someone chose: take the next one.
                    ++op->retries;
                    op->step(TraceSystem::Redis, head + QStringLiteral(": id %1 was used before; taking another").arg(w.id),
                        TraceOutcome::Conflict, us);
                    m_backend.writes().resetIdFloor();
                    createNew(op, w.name, w.price);
                    return;
                }
                op->step(TraceSystem::Redis,
                    head + QStringLiteral(": product %1 exists already (%2), nothing written").arg(w.id).arg(from),
                    TraceOutcome::Conflict, us);
                op->fail(ServiceStatus::Conflict, QStringLiteral("Product %1 exists already.").arg(w.id));
                return;
            default:
                break;
            }
            const QString what = isDelete ? QStringLiteral("tombstone %1 (absent, dirty)").arg(product)
                                            : QStringLiteral("HSET %1 (dirty)").arg(product);
            QString detail = w.expectedVersion > 0
                ? QStringLiteral("expected version %1 matched").arg(w.expectedVersion)
                : QStringLiteral("no expected version");
            if (others > 0)
                detail += QStringLiteral("; sent with %1 other write%2 in one script call")
                              .arg(others)
                              .arg(others == 1 ? QString() : QStringLiteral("s"));
            if (db)
                detail += QStringLiteral("; version from SQLite");
            if (w.mode == Mode::Create || (w.mode == Mode::Upsert && version == 1))
                detail += QStringLiteral("; a new product");
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
            if (!isDelete) {
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

void WriteBehindStrategy::updateInTransaction(const OperationPtr &op, const ProductEdit &edit)
{
    op->note(QStringLiteral("write-behind: the queued write is the transaction"));
    save(op, edit);
}
