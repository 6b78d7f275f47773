// ProductCache: lookup, fill and negative fill of product:{id}.
#include "productcache.h"

#include "cachebackend.h"
#include "cachescripts.h"

#include <QDateTime>
#include <QElapsedTimer>

namespace {
qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}
} // namespace

LoadResult LoadResult::fromEntry(qint64 id, const CacheEntry &e)
{
    LoadResult r;
    r.fromCache = true;
    if (e.state == CacheEntry::State::Negative) {
        r.status = ServiceStatus::NotFound;
        r.error = QStringLiteral("Product %1 does not exist (remembered by the negative cache).").arg(id);
    } else {
        r.product = e.product;
    }
    return r;
}

LoadResult LoadResult::fromStore(const StoreResult &s)
{
    LoadResult r;
    r.product = s.product;
    r.status = s.ok() ? ServiceStatus::Ok
                      : (s.status == StoreStatus::NotFound ? ServiceStatus::NotFound : ServiceStatus::Error);
    r.error = s.error;
    return r;
}

ProductCache::ProductCache(CacheBackend &backend)
    : m_backend(backend)
    , m_random(QRandomGenerator::securelySeeded())
{ }

void ProductCache::lookup(const OperationPtr &op, qint64 id, std::function<void(const CacheEntry &)> then)
{
    if (!m_backend.cacheUp()) {
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
        return ProductHash::isAbsentReply(r) ? TraceOutcome::NegativeHit : TraceOutcome::Hit;
    };
    // The read deadline: a stalled Redis (a long script, a fork, a paused
    // server) must not hold the answer for the whole command timeout.
    auto answered = std::make_shared<bool>(false);
    auto deliver = std::make_shared<std::function<void(const CacheEntry &)>>(std::move(then));
    m_backend.readDeadlines().arm(op, answered, "HGETALL", m_backend.keys().product(id),
        [deliver] {
            CacheEntry e;
            e.state = CacheEntry::State::Unavailable;
            e.error = QStringLiteral("read deadline passed");
            (*deliver)(e);
        });
    m_backend.tracedRedis().command(op, { QByteArrayLiteral("HGETALL"), m_backend.keys().product(id) }, classify,
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
            const ProductHash h = ProductHash::decode(id, r);
            e.takeMarkers(h);
            CacheMetrics &m = m_backend.metrics();
            if (h.isEmpty()) {
                e.state = CacheEntry::State::Miss;
                ++m.misses;
            } else if (h.isAbsent()) {
                e.state = CacheEntry::State::Negative;
                ++m.negativeHits;
            } else {
                e.state = CacheEntry::State::Hit;
                e.product = h.product();
                ++m.hits;
            }
            then(e);
        });
}

qint64 ProductCache::ttlMs()
{
    const qint64 base = qint64(m_backend.settings().ttlSeconds) * 1000;
    const int j = m_backend.settings().ttlJitterPercent;
    if (j <= 0)
        return base;
    // Uniform in [-j%, +j%], in hundredths of a percent.
    const qint64 spread = qint64(j) * 100;
    const qint64 pick = qint64(m_random.bounded(quint32(2 * spread + 1))) - spread;
    return std::max<qint64>(1, base + base * pick / 10000);
}

void ProductCache::fill(const OperationPtr &op, const Product &product, qint64 loadMs, std::function<void(bool)> then)
{
    if (!m_backend.cacheUp()) {
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
        m_backend.readDeadlines().arm(op, answered, "the fill of", keys.value(0),
            [then] { then(false); });
        m_backend.tracedRedis().script(op, CacheScripts::fill(), keys, args, classify, [this, op, product, then, answered](const RedisReply &r) {
            if (std::exchange(*answered, true))
                return;
            if (r.isError()) {
                if (r.bytes().startsWith("OOM")) {
                    // Redis is at maxmemory and its policy (noeviction, or a
                    // volatile-* one with nothing left to evict) refuses writes.
                    const QString w = QStringLiteral(
                        "Redis is full (maxmemory reached) and refused to cache product %1: it was read from "
                        "SQLite, and the next get will miss again. Raise the eviction limit or choose a "
                        "policy that evicts.")
                                          .arg(product.id);
                    op->note(w, TraceOutcome::Error);
                    if (!op->warnings.contains(w))
                        op->warnings << w;
                }
                then(false);
                return;
            }
            const qint64 code = r.toInteger();
            if (code == 1) {
                ++m_backend.metrics().fills;
                then(true);
                return;
            }
            ++m_backend.metrics().staleSkips;
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

QPair<QList<QByteArray>, QList<QByteArray>> ProductCache::fillCall(const Product &product, qint64 loadMs)
{
    const qint64 ttl = ttlMs();
    const QList<QByteArray> keys { m_backend.keys().product(product.id), m_backend.keys().guard(product.id) };
    const ProductHash::Encoded e = ProductHash::encode(product);
    const QList<QByteArray> args { e.version, QByteArray::number(ttl), e.id, e.name, e.price, e.updatedAt,
        QByteArray::number(loadMs), QByteArray::number(nowMs() + ttl),
        m_backend.settings().staleSetGuard ? QByteArrayLiteral("1") : QByteArrayLiteral("0") };
    return { keys, args };
}

void ProductCache::fillNegative(const OperationPtr &op, qint64 id, std::function<void()> then)
{
    if (m_backend.settings().negativeTtlSeconds <= 0 || !m_backend.cacheUp()) {
        then();
        return;
    }
    auto classify = [](const RedisReply &r) { return r.toInteger() == 1 ? TraceOutcome::Fill : TraceOutcome::Skipped; };
    auto answered = std::make_shared<bool>(false);
    m_backend.readDeadlines().arm(op, answered, "the negative entry", {}, then);
    m_backend.tracedRedis().script(op, CacheScripts::negative(), { m_backend.keys().product(id), m_backend.keys().guard(id) },
        { QByteArray::number(qint64(m_backend.settings().negativeTtlSeconds) * 1000),
            QByteArray::number(CacheScripts::DeletedGuard) },
        classify, [this, answered, then = std::move(then)](const RedisReply &r) {
            if (std::exchange(*answered, true))
                return;
            if (r.toInteger() == 1)
                ++m_backend.metrics().fills;
            then();
        });
}

void ProductCache::fillFrom(const OperationPtr &op, qint64 id, const StoreResult &s, qint64 loadMs,
    std::function<void(const LoadResult &)> then)
{
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
}


void ProductCache::loadThenFill(
    const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then)
{
    QElapsedTimer clock;
    clock.start();
    loader(op, id, [this, op, id, clock, then = std::move(then)](const StoreResult &row) {
        fillFrom(op, id, row, clock.elapsed(), then);
    });
}
