// CacheWarmer: SQL list, then pipelined batches of the fill script.
#include "cachewarmer.h"

#include "cachebackend.h"
#include "cachescripts.h"

CacheWarmer::CacheWarmer(CacheBackend &backend)
    : m_backend(backend)
{ }

void CacheWarmer::run(const OperationPtr &op)
{
    if (op->kind() == StrategyKind::None || !m_backend.cacheUp()) {
        op->note(QStringLiteral("nothing to warm: %1")
                     .arg(op->kind() == StrategyKind::None ? QStringLiteral("strategy none")
                                                           : QStringLiteral("cache unavailable")),
            op->kind() == StrategyKind::None ? TraceOutcome::Skipped : TraceOutcome::Unavailable);
        ServiceResult r;
        if (op->kind() != StrategyKind::None) {
            r.status = ServiceStatus::Unavailable;
            r.error = QStringLiteral("Redis is unreachable; nothing was loaded into the cache.");
        }
        op->finish(r);
        return;
    }
    QElapsedTimer clock;
    clock.start();
    m_backend.tracedStore().list(op, [this, op, clock](const StoreResult &s) {
        if (!s.ok()) {
            op->finish(CacheBackend::fromStore(s));
            return;
        }
        fillBatch(
            op, std::make_shared<const QList<Product>>(s.products), 0, clock.elapsed(), std::make_shared<qint64>(0));
    });
}

void CacheWarmer::fillBatch(const OperationPtr &op, const std::shared_ptr<const QList<Product>> &products,
    qsizetype from, qint64 loadMs, const std::shared_ptr<qint64> &filled)
{
    if (from >= products->size()) {
        ServiceResult r;
        r.count = *filled;
        r.products = *products;
        op->finish(r);
        return;
    }
    // One pipelined batch at a time: bounded memory on both sides.
    const qsizetype n = std::min<qsizetype>(m_backend.settings().warmUpBatchSize, products->size() - from);
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
    for (qsizetype i = from; i < from + n; ++i)
        calls << m_backend.fillCall(products->at(i), loadMs);
    m_backend.tracedRedis().scriptPipeline(op, CacheScripts::fill(), calls,
        QStringLiteral("pipeline %1 x EVALSHA (fill) products %2..%3")
            .arg(n)
            .arg(products->at(from).id)
            .arg(products->at(from + n - 1).id),
        [this, op, products, from, n, loadMs, filled](const QList<RedisReply> &replies) {
            for (const RedisReply &r : replies) {
                if (r.toInteger() == 1) {
                    ++*filled;
                    ++m_backend.metrics().fills;
                } else if (r.isInteger()) {
                    ++m_backend.metrics().staleSkips;
                }
            }
            fillBatch(op, products, from + n, loadMs, filled);
        });
}
