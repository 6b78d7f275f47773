// ViewStats: ZREVRANGE for the leaderboard, PFCOUNT for unique viewers.
#include "viewstats.h"

#include "cachekeys.h"
#include "productservice.h"
#include "redisclient.h"

#include <algorithm>
#include <QPointer>

ViewStats::ViewStats(ProductService *service, QObject *parent)
    : QObject(parent)
    , m_service(service)
{ }

void ViewStats::top(int n, QObject *context, TopCallback done)
{
    RedisClient *redis = m_service->redis();
    const CacheKeys keys(m_service->settings().keyPrefix);
    n = std::clamp(n, 1, 1000);
    // Views made before this call are still in the service's batch.
    m_service->flushViews();
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    redis->command({ QByteArrayLiteral("ZREVRANGE"), keys.views(), QByteArrayLiteral("0"), QByteArray::number(n - 1),
                       QByteArrayLiteral("WITHSCORES") },
        this, [this, redis, keys, guard, hasContext, done](const RedisReply &reply) {
            if (hasContext && !guard)
                return;
            if (!reply.isArray()) {
                done({}, reply.isError() ? reply.errorMessage() : QStringLiteral("unexpected reply to ZREVRANGE"));
                return;
            }
            QList<ViewCount> top;
            const QList<RedisReply> &items = reply.elements();
            for (int i = 0; i + 1 < items.size(); i += 2) {
                ViewCount c;
                c.id = items.at(i).toInteger();
                c.views = qint64(items.at(i + 1).bytes().toDouble());
                if (c.id > 0)
                    top.append(c);
            }
            if (top.isEmpty()) {
                done(top, {});
                return;
            }
            QList<RedisCommand> counts;
            for (const ViewCount &c : std::as_const(top))
                counts.append({ QByteArrayLiteral("PFCOUNT"), keys.viewers(c.id) });
            redis->pipeline(counts, this, [top, guard, hasContext, done](const QList<RedisReply> &replies) mutable {
                if (hasContext && !guard)
                    return;
                for (int i = 0; i < top.size() && i < replies.size(); ++i)
                    top[i].uniqueViewers = replies.at(i).isInteger() ? replies.at(i).toInteger() : 0;
                done(top, {});
            });
        });
}

void ViewStats::uniqueViewers(qint64 id, QObject *context, std::function<void(qint64 count, const QString &error)> done)
{
    const CacheKeys keys(m_service->settings().keyPrefix);
    m_service->flushViews();
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    m_service->redis()->command(
        { QByteArrayLiteral("PFCOUNT"), keys.viewers(id) }, this, [guard, hasContext, done](const RedisReply &reply) {
            if (hasContext && !guard)
                return;
            if (reply.isInteger())
                done(reply.toInteger(), {});
            else
                done(-1, reply.isError() ? reply.errorMessage() : QStringLiteral("unexpected reply to PFCOUNT"));
        });
}
