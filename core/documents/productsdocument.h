// ProductsDocument: the products as SQLite stores them, and beside each row
// what Redis holds for it.
//
// The products panel (and every panel that names products) observes this
// object instead of asking the store or Redis itself. The rows are reloaded
// from ProductRepository::list() whenever the store's change feed reports a
// change (this app, the HTTP API, the sqlite3 shell). The cache side is one
// pipelined HMGET (version, dirty, absent) over every row's product hash,
// sent 120 ms after a keyspace event touched a product key, after the
// service changed or invalidated a product, and after Redis (re)connected;
// a reload asks for it at once. Both refreshes are coalesced: at most one
// list() and one pipeline in flight.
//
// A cached copy compares with its row as fresh (same version), stale (Redis
// holds another version), pending (an unflushed write-behind write), a
// negative entry, or not cached. That comparison happens when the HMGET
// answers, against the rows known then.
#pragma once

#include "keyspaceevent.h"
#include "product.h"

#include <optional>
#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>

class KeyspaceWatcher;
class ProductRepository;
class ProductService;
class RedisReply;

class ProductsDocument final : public QObject
{
    Q_OBJECT

public:
    enum class CacheState { Unknown, NotCached, Fresh, Stale, Pending, Absent };

    /// What the cache column shows for one row.
    struct CacheInfo
    {
        CacheState state = CacheState::Unknown;
        qint64 version = 0; ///< the cached version (0: none, -2: negative entry)
    };

    /// What one product hash holds, as far as this document cares.
    struct CachedCopy
    {
        qint64 version = 0; ///< 0: no hash (or no version field)
        bool dirty = false; ///< a write-behind write is not flushed yet
        bool absent = false; ///< a negative entry ("this id does not exist")
    };

    static constexpr int CacheRefreshDelayMs = 120;

    /// Starts following the store, the service and the watcher, and loads
    /// the rows at once. databasePath is only reported (databasePath()).
    ProductsDocument(ProductService *service, ProductRepository *repository, KeyspaceWatcher *watcher,
        const QString &databasePath, QObject *parent = nullptr);

    /// True once the rows were read successfully at least once.
    bool isLoaded() const { return m_loaded; }
    const QList<Product> &products() const { return m_products; }
    std::optional<Product> product(qint64 id) const;
    QList<qint64> ids() const;
    CacheInfo cacheInfo(qint64 id) const { return m_cache.value(id); }
    QString databasePath() const { return m_databasePath; }

    /// Reads the rows again (coalesced); the cache state follows.
    void reload();
    /// Reads what Redis holds for every row (one pipeline; skipped while
    /// one is in flight). Without Redis every row becomes "not cached".
    void refreshCacheState();

    /// The one place that reads a product hash for this document: the
    /// reply to HMGET key version dirty absent.
    static CachedCopy parseCachedHash(qint64 id, const RedisReply &reply);

signals:
    /// The rows were read again (products() holds them).
    void productsChanged();
    /// The rows could not be read; products() keeps the last good ones.
    void loadFailed(const QString &error);
    /// The cache state of these ids changed (state or cached version).
    void cacheStateChanged(const QList<qint64> &ids);

private:
    void onEvents(const QList<KeyspaceEvent> &events);
    void applyCachedCopies(const QHash<qint64, CachedCopy> &copies);

    ProductService *m_service;
    ProductRepository *m_repository;
    QString m_databasePath;
    QList<Product> m_products;
    QHash<qint64, CacheInfo> m_cache;
    QTimer m_cacheTimer;
    bool m_loaded = false;
    bool m_reloading = false;
    bool m_reloadAgain = false;
    bool m_cacheInFlight = false;
};
