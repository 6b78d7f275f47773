// RecentProducts: LRANGE of the recent list, then the hashes, then the misses.
#include "recentproducts.h"

#include "cachebackend.h"

RecentProducts::RecentProducts(CacheBackend &backend)
    : m_backend(backend)
{ }

void RecentProducts::run(const OperationPtr &op)
{
    m_backend.flushViews();
    if (op->kind() == StrategyKind::None || !m_backend.cacheUp()) {
        op->note(op->kind() == StrategyKind::None ? QStringLiteral("strategy none: the recent list lives in Redis")
                                                  : QStringLiteral("cache unavailable: the recent list lives in Redis"),
            op->kind() == StrategyKind::None ? TraceOutcome::Skipped : TraceOutcome::Unavailable);
        ServiceResult r;
        r.warnings << QStringLiteral("The recent-products list is kept in Redis and is not available now.");
        op->finish(r);
        return;
    }
    m_backend.tracedRedis().command(op,
        { QByteArrayLiteral("LRANGE"), m_backend.keys().recent(), QByteArrayLiteral("0"),
            QByteArray::number(m_backend.settings().recentLimit - 1) },
        {}, [this, op](const RedisReply &list) {
            QList<qint64> ids;
            for (const RedisReply &e : list.elements()) {
                if (const qint64 id = e.bytes().toLongLong(); id > 0)
                    ids << id;
            }
            if (ids.isEmpty()) {
                op->finish(ServiceResult {});
                return;
            }
            readHashes(op, ids);
        });
}

void RecentProducts::readHashes(const OperationPtr &op, const QList<qint64> &ids)
{
    // Every hash in one pipelined round trip; only misses go further.
    QList<RedisCommand> reads;
    for (qint64 id : ids)
        reads.append({ QByteArrayLiteral("HGETALL"), m_backend.keys().product(id) });
    m_backend.tracedRedis().pipeline(op, reads, QStringLiteral("pipeline %1 x HGETALL product:{id}").arg(reads.size()),
        [this, op, ids](const QList<RedisReply> &hashes) {
            auto picked = std::make_shared<QList<std::optional<Product>>>(ids.size());
            auto remaining = std::make_shared<int>(0);
            auto complete = [op, picked] {
                ServiceResult r;
                for (const auto &p : std::as_const(*picked)) {
                    if (p)
                        r.products << *p;
                }
                op->finish(r);
            };
            QList<int> misses;
            for (int i = 0; i < ids.size(); ++i) {
                const ProductHash h = i < hashes.size() ? ProductHash::decode(ids.at(i), hashes.at(i)) : ProductHash();
                if (!h.isEmpty() && !h.isAbsent()) {
                    ++m_backend.metrics().hits;
                    (*picked)[i] = h.product();
                } else if (h.isEmpty()) {
                    misses << i;
                }
            }
            if (misses.isEmpty()) {
                complete();
                return;
            }
            *remaining = int(misses.size());
            for (int i : std::as_const(misses)) {
                ++m_backend.metrics().misses;
                m_backend.loadAndFill(
                    op, ids.at(i), m_backend.dbLoader(), [picked, remaining, complete, i](const LoadResult &lr) {
                        if (lr.status == ServiceStatus::Ok)
                            (*picked)[i] = lr.product;
                        if (--*remaining == 0)
                            complete();
                    });
            }
        });
}
