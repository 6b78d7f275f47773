// WatchedUpdate: SQLite first, then the cache hash in one WATCHed MULTI.
#include "watchedupdate.h"

#include "cachebackend.h"
#include "versionedwrites.h"
#include "writeinvalidation.h"
#include "cachestrategy.h"

WatchedUpdate::WatchedUpdate(CacheBackend &backend)
    : m_backend(backend)
{ }

void WatchedUpdate::run(const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
{
    // SQLite first, and checked: the article wrote Redis first and ignored
    // the SQL error, leaving cache and database disagreeing (bug 2).
    m_backend.writes().write(op, QStringLiteral("UPDATE product %1").arg(id),
        VersionedWrites::updateCall(id, name, price, std::max<qint64>(0, expectedVersion)), false,
        [this, op](const StoreResult &r) {
            ServiceResult res = CacheBackend::fromStore(r);
            if (!r.ok() || !r.product) {
                op->finish(res);
                return;
            }
            updateCache(op, *r.product, res);
        });
}

void WatchedUpdate::updateCache(const OperationPtr &op, const Product &p, const ServiceResult &res)
{
    CacheBackend &b = m_backend;
    if (!b.cacheUp()) {
        b.invalidation().afterWrite(op, p.id, p.version, [op, res](qint64) { op->finish(res); });
        return;
    }
    const QByteArray key = b.keys().product(p.id);
    const QByteArray guard = b.keys().guard(p.id);
    const qint64 ttl = b.ttlMs();
    auto refused = std::make_shared<QString>();
    auto build = [p, key, ttl, refused](const QList<RedisReply> &reads) -> QList<RedisCommand> {
        const RedisReply &h = reads.value(0);
        const RedisReply &g = reads.value(1);
        if (h.size() > 1 && !h.at(1).isNil()) {
            *refused = QStringLiteral("the hash holds an unflushed write-behind value");
            return {};
        }
        if (h.size() > 0 && !h.at(0).isNil() && h.at(0).toInteger() > p.version) {
            *refused = QStringLiteral("the hash holds newer version %1").arg(h.at(0).toInteger());
            return {};
        }
        if (!g.isNil() && g.toInteger() > p.version) {
            *refused = QStringLiteral("a newer change (guard %1) was recorded").arg(g.toInteger());
            return {};
        }
        // HSET and PEXPIRE inside one MULTI: no crash can leave a
        // hash without its TTL (article bug 1).
        return { RedisCommand { QByteArrayLiteral("HSET"), key } + ProductHash::fieldValues(p),
            RedisCommand { QByteArrayLiteral("HDEL"), key } + ProductHash::transientFields(),
            { QByteArrayLiteral("PEXPIRE"), key, QByteArray::number(ttl) } };
    };
    b.tracedRedis().count(3);
    b.tracedRedis().watchTransaction({ key, guard },
        { { QByteArrayLiteral("HMGET"), key, ProductHash::Version, ProductHash::Dirty },
            { QByteArrayLiteral("GET"), guard } },
        build, 3, [this, op, p, res, key, ttl, refused](const RedisReply &exec, int attempts, qint64 us) {
            CacheBackend &b = m_backend;
            const QString text = QStringLiteral(
                "WATCH %1 | HMGET version dirty | GET guard | MULTI HSET %1 ... | PEXPIRE %1 %2 | EXEC")
                                     .arg(QString::fromUtf8(key))
                                     .arg(ttl);
            if (exec.isArray()) {
                b.tracedRedis().count(5);
                ++b.metrics().fills;
                op->step(TraceSystem::Redis, text, TraceOutcome::Fill, us,
                    attempts > 1 ? QStringLiteral("%1 attempts").arg(attempts) : QString());
                b.host().publishInvalidation({ p.id }, { p.version }, false);
                op->finish(res);
                return;
            }
            if (!refused->isEmpty()) {
                ++b.metrics().staleSkips;
                op->step(TraceSystem::Redis, text, TraceOutcome::StaleSkip, us, *refused);
                op->finish(res);
                return;
            }
            // Lost every WATCH race or Redis failed: the safe fallback is to invalidate.
            op->step(TraceSystem::Redis, text, exec.isError() ? TraceOutcome::Error : TraceOutcome::Conflict, us,
                exec.isError() ? exec.errorMessage() : QStringLiteral("WATCH lost %1 times").arg(attempts));
            b.invalidation().afterWrite(op, p.id, p.version, [op, res](qint64) { op->finish(res); });
        });
}
