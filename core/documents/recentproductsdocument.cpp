// RecentProductsDocument: LRANGE of the recent list whenever it changes.
#include "recentproductsdocument.h"

#include "cachekeys.h"
#include "keyspacewatcher.h"
#include "productservice.h"
#include "redisclient.h"

RecentProductsDocument::RecentProductsDocument(ProductService *service, KeyspaceWatcher *watcher, QObject *parent)
    : QObject(parent)
    , m_service(service)
{
    connect(watcher, &KeyspaceWatcher::eventsBatched, this, &RecentProductsDocument::onEvents);
    connect(service->redis(), &RedisClient::connected, this, &RecentProductsDocument::refresh);
    refresh();
}

void RecentProductsDocument::onEvents(const QList<KeyspaceEvent> &events)
{
    const QByteArray key = CacheKeys(m_service->settings().keyPrefix).recent();
    for (const KeyspaceEvent &e : events) {
        if (e.key == key) {
            refresh();
            return;
        }
    }
}

void RecentProductsDocument::refresh()
{
    RedisClient *redis = m_service->redis();
    if (!redis->isConnected())
        return;
    if (m_inFlight) {
        m_again = true;
        return;
    }
    m_inFlight = true;
    const QByteArray key = CacheKeys(m_service->settings().keyPrefix).recent();
    redis->command({ QByteArrayLiteral("LRANGE"), key, QByteArrayLiteral("0"), QByteArrayLiteral("-1") }, this,
        [this](const RedisReply &reply) {
            m_inFlight = false;
            if (reply.isArray()) {
                m_ids.clear();
                for (const RedisReply &r : reply.elements())
                    m_ids << r.toInteger();
                emit changed();
            }
            if (m_again) {
                m_again = false;
                refresh();
            }
        });
}
