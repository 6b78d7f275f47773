// ProductTags: product tags with Redis sets as a cache-aside layer.
//
// SQLite's product_tags table is the truth. Redis holds two kinds of sets,
// both filled on a miss and dropped on a change:
//   tag:{name}           ids of the products carrying the tag
//   cachelab:tags:{id}   the tags of one product
// A fill is one MULTI (DEL + SADD + EXPIRE), so a reader never sees a half
// built set and the TTL can never be missing. Redis cannot hold an empty
// set, and "key absent" must keep meaning "not cached", so an empty answer
// is cached as a set holding only EmptyMarker ("#none": neither a valid tag
// nor a product id). That keeps a lookup of an unused tag from reaching
// SQLite every time.
//
// setTags() writes SQLite first and then deletes the sets of every tag the
// product had or has now, and its own tag set (cache-aside: invalidate, do
// not update). A fill that started before an invalidation is not written,
// so a slow reader cannot put back what a writer just dropped. When Redis is
// down, reads come from SQLite (the trace says so) and the keys to delete
// are remembered until it is back. A deleted product is removed from its
// tag sets (SREM), found through its cached tag set or, when that is not
// cached, by scanning tag:* keys.
//
// Every call yields an OperationTrace published through ProductService.
#pragma once

#include "catalogresult.h"

#include <QHash>
#include <QObject>
#include <QSet>

class ProductService;
class TracedRedis;
class TracedStore;
class CatalogCall;

class ProductTags final : public QObject
{
    Q_OBJECT

public:
    static constexpr const char *EmptyMarker = "#none";
    /// At most this many products of one tag are loaded for display.
    static constexpr int MaxListed = 200;

    /// service (not owned) must outlive this object.
    explicit ProductTags(ProductService *service, QObject *parent = nullptr);

    /// The products carrying tag (normalised first; Invalid for a bad tag).
    /// result.fromCache: the ids came from tag:{name}.
    void productsWithTag(const QString &tag, QObject *context, CatalogCallback done);
    /// result.tags of one product. NotFound for a missing product.
    /// causedBy: the trace id of the operation this read follows up (the
    /// get that showed the product), so the trace nests it there.
    void tagsOf(qint64 id, QObject *context, CatalogCallback done, quint64 causedBy = 0);
    /// Replaces the product's tags. Invalid (field "tags") for bad input,
    /// NotFound for a missing product; nothing is written then.
    void setTags(qint64 id, const QStringList &tags, QObject *context, CatalogCallback done);
    /// Every tag with its number of products, from SQLite (counts change
    /// with every tagging, so they are not cached).
    void allTags(QObject *context, CatalogCallback done);

    /// Keys waiting for Redis to come back to be deleted.
    QSet<QByteArray> pendingInvalidations() const { return m_pending; }

signals:
    /// A product's tags changed (through this object or the repository):
    /// affected = old and new tags.
    void tagsChanged(qint64 id, const QStringList &affected);

private:
    void onRepositoryTagsChanged(qint64 id, const QStringList &affected);
    void onProductRemoved(qint64 id);
    void onRedisConnected();
    /// DEL keys (or remember them), as steps of call; then() afterwards.
    void invalidate(
        const std::shared_ptr<CatalogCall> &call, const QList<QByteArray> &keys, std::function<void()> then);
    /// MULTI DEL key, SADD key members (or the marker), EXPIRE, EXEC.
    void fill(const std::shared_ptr<CatalogCall> &call, const QByteArray &key, const QList<QByteArray> &members,
        quint64 epoch, std::function<void()> then);
    void scanAndRemove(const std::shared_ptr<CatalogCall> &call, qint64 id, const QByteArray &cursor, int rounds);

    ProductService *m_service;
    TracedRedis *m_redisCalls; ///< children: replies are dropped with this object
    TracedStore *m_storeCalls;
    QSet<QByteArray> m_pending;
    QHash<qint64, int> m_ownWrites; ///< setTags() calls in flight per id (their callback invalidates)
    quint64 m_epoch = 0; ///< bumped by every invalidation; a fill from an older epoch is skipped
};
