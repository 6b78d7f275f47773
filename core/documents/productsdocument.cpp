// ProductsDocument: list() on every store change, one HMGET pipeline for the cache side.
#include "productsdocument.h"

#include "producthash.h"
#include "cachekeys.h"
#include "keyspacewatcher.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"

namespace {
// What the Products panel shows of a cached copy: its version and markers.
const QList<QByteArray> &cacheStateFields()
{
    static const QList<QByteArray> fields { ProductHash::Version, ProductHash::Dirty, ProductHash::Absent };
    return fields;
}
} // namespace

ProductsDocument::ProductsDocument(ProductService *service, ProductRepository *repository, KeyspaceWatcher *watcher,
    const QString &databasePath, QObject *parent)
    : QObject(parent)
    , m_service(service)
    , m_repository(repository)
    , m_databasePath(databasePath)
{
    m_cacheTimer.setSingleShot(true);
    m_cacheTimer.setInterval(CacheRefreshDelayMs);
    connect(&m_cacheTimer, &QTimer::timeout, this, &ProductsDocument::refreshCacheState);

    connect(repository, &ProductRepository::changed, this, [this] { reload(); });
    connect(service, &ProductService::productChanged, this, [this] { m_cacheTimer.start(); });
    connect(service, &ProductService::keysInvalidated, this, [this] { m_cacheTimer.start(); });
    connect(watcher, &KeyspaceWatcher::eventsBatched, this, &ProductsDocument::onEvents);
    connect(service->redis(), &RedisClient::connected, this, [this] { m_cacheTimer.start(); });
    reload();
}

std::optional<Product> ProductsDocument::product(qint64 id) const
{
    for (const Product &p : m_products) {
        if (p.id == id)
            return p;
    }
    return std::nullopt;
}

QList<qint64> ProductsDocument::ids() const
{
    QList<qint64> out;
    out.reserve(m_products.size());
    for (const Product &p : m_products)
        out << p.id;
    return out;
}

void ProductsDocument::reload()
{
    if (m_reloading) {
        m_reloadAgain = true;
        return;
    }
    m_reloading = true;
    m_repository->list(this, [this](const StoreResult &result) {
        m_reloading = false;
        if (result.ok()) {
            m_products = result.products;
            m_loaded = true;
            emit productsChanged();
            refreshCacheState();
        } else {
            emit loadFailed(result.error);
        }
        if (m_reloadAgain) {
            m_reloadAgain = false;
            reload();
        }
    });
}

void ProductsDocument::onEvents(const QList<KeyspaceEvent> &events)
{
    const CacheKeys keys(m_service->settings().keyPrefix);
    for (const KeyspaceEvent &e : events) {
        if (keys.idFromProductKey(e.key) > 0) {
            if (!m_cacheTimer.isActive())
                m_cacheTimer.start();
            return;
        }
    }
}

void ProductsDocument::refreshCacheState()
{
    if (m_cacheInFlight)
        return;
    RedisClient *redis = m_service->redis();
    const QList<qint64> ids = this->ids();
    if (ids.isEmpty())
        return;
    if (!redis || !redis->isConnected()) {
        applyCachedCopies({});
        return;
    }
    const CacheKeys keys(m_service->settings().keyPrefix);
    QList<RedisCommand> commands;
    commands.reserve(ids.size());
    for (qint64 id : ids)
        commands.append(RedisCommand { QByteArrayLiteral("HMGET"), keys.product(id) } + cacheStateFields());
    m_cacheInFlight = true;
    redis->pipeline(commands, this, [this, ids](const QList<RedisReply> &replies) {
        m_cacheInFlight = false;
        if (replies.size() != ids.size())
            return;
        QHash<qint64, CachedCopy> copies;
        for (qsizetype i = 0; i < ids.size(); ++i)
            copies.insert(ids.at(i), parseCachedHash(ids.at(i), replies.at(i)));
        applyCachedCopies(copies);
    });
}

ProductsDocument::CachedCopy ProductsDocument::parseCachedHash(qint64 id, const RedisReply &reply)
{
    // HMGET answers the fields in the order asked, nil for one the hash lacks.
    CachedCopy copy;
    if (!reply.isArray() || reply.size() != cacheStateFields().size())
        return copy;
    const ProductHash h = ProductHash::decodeFields(id, cacheStateFields(), reply);
    copy.absent = h.isAbsent();
    copy.version = reply.at(0).isNil() ? 0 : h.product().version;
    copy.dirty = h.isDirty();
    return copy;
}

void ProductsDocument::applyCachedCopies(const QHash<qint64, CachedCopy> &copies)
{
    QList<qint64> changed;
    for (const Product &p : std::as_const(m_products)) {
        const CachedCopy copy = copies.value(p.id);
        CacheInfo info;
        info.version = copy.absent ? -2 : copy.version;
        if (copy.dirty)
            info.state = CacheState::Pending;
        else if (info.version == 0)
            info.state = CacheState::NotCached;
        else if (info.version == -2)
            info.state = CacheState::Absent;
        else if (info.version == p.version)
            info.state = CacheState::Fresh;
        else
            info.state = CacheState::Stale;
        const CacheInfo old = m_cache.value(p.id);
        m_cache.insert(p.id, info);
        if (old.state != info.state || old.version != info.version)
            changed << p.id;
    }
    if (!changed.isEmpty())
        emit cacheStateChanged(changed);
}
