// Backend: everything the dashboard needs, wired together, with no widgets.
//
// Owns the Redis side (an embedded redis-server unless a URL was given, the
// command connection, the keyspace-event watcher and the INFO poller), the
// SQLite side (the product repository on its database thread) and the
// ProductService that joins them. start() returns at once; ready() follows
// when the database is open (with demo products when it was empty) and the
// service exists. Redis may come up later or go away at any time: the rest
// of the app then runs degraded. The window, the HTTP API and the tests all
// build on one Backend.
//
// The documents the window's panels observe (core/documents: the products
// with their cache state, the recent list; the key scanner and its TTL
// actions; the demo's sample keys) are owned here too. Each is built on its
// first use after ready(), so a Backend without a window (the HTTP API,
// tests) sends none of their traffic; every window shares the same ones.
#pragma once

#include "redisurl.h"

#include <memory>
#include <optional>
#include <QObject>
#include <QString>

class ChangeStream;
class DemoKeys;
class EmbeddedRedis;
class ExistenceFilter;
class InfoPoller;
class KeyActions;
class KeyScanner;
class KeyspaceWatcher;
class ProductsDocument;
class ProductRepository;
class ProductSearch;
class ProductTags;
class ProductService;
class RecentProductsDocument;
class NotificationSetup;
class RedisClient;

class Backend final : public QObject
{
    Q_OBJECT

public:
    struct Config
    {
        QString redisUrl; ///< empty (and no redis below): embedded redis-server
        std::optional<RedisUrl> redis; ///< a parsed URL; wins over redisUrl (tests)
        QString dbPath; ///< file or ":memory:"; empty: <dataDir>/products.sqlite
        QString dataDir; ///< app data location (embedded Redis data lives under it)
        bool seedDemoData = true;
        QString strategy; ///< one of strategyNames(); empty keeps the service default
        int ttlSeconds = 0; ///< 0 keeps the service default
        bool enableNotifications = true; ///< turn keyspace notifications on where they are off (see below)
        /// An outside server's notify-keyspace-events is changed only after
        /// the window asked (NotificationSetup::Policy::Ask); the embedded
        /// server is always set up without asking.
        bool askBeforeNotifications = false;
        int infoIntervalMs = 1000;
        bool enableChangeStream = true; ///< the cachelab:changes stream and its consumer group
    };

    explicit Backend(Config config, QObject *parent = nullptr);
    ~Backend() override;

    /// Validates the config, starts Redis (embedded or external) and opens
    /// the database. Emits ready() or failed().
    void start();
    /// Gives the write-behind worker its chance to flush what is queued (at
    /// most ShutdownFlushMs; what is left stays in Redis's queue for the next
    /// start), then asks the embedded redis-server (if any) to exit cleanly,
    /// without blocking; shutDown() follows (at most ~3 s more). Closing the
    /// window and SIGINT/SIGTERM/SIGHUP all end here. A second call is ignored.
    void shutdown();
    static constexpr int ShutdownFlushMs = 3000;

    bool isEmbedded() const { return !m_config.redis && m_config.redisUrl.isEmpty(); }
    bool isReady() const { return m_ready; }
    /// "embedded redis-server 127.0.0.1:41233" or the redacted URL.
    QString redisDescription() const;
    RedisUrl redisUrl() const { return m_url; }
    QString databasePath() const;

    RedisClient *redis() const { return m_redis; }
    ProductRepository *repository() const { return m_repository; }
    EmbeddedRedis *embeddedRedis() const { return m_embedded; }
    /// Null until ready().
    ProductService *service() const { return m_service; }
    /// Product tags (Redis sets over SQLite). Null until ready().
    ProductTags *tags() const { return m_tags; }
    /// Product search (RediSearch or SQLite FTS5). Null until ready().
    ProductSearch *search() const { return m_search; }
    KeyspaceWatcher *keyspaceWatcher() const { return m_watcher; }
    InfoPoller *infoPoller() const { return m_info; }
    /// Keyspace notifications on the server: read on connect, then set,
    /// asked about or left alone; null when disabled in the Config.
    NotificationSetup *notificationSetup() const { return m_notifications; }
    /// The change-log stream (XADD per write, consumer group); null until
    /// ready() or when disabled in the Config.
    ChangeStream *changeStream() const { return m_changeStream; }
    /// The Bloom filter guarding gets of ids that never existed; null until ready().
    /// The Bloom filter guarding misses; null until ready().
    ExistenceFilter *existenceFilter() const { return m_existence; }

    // --- documents: null before ready(), built on first use, then kept ---------------------
    /// The SQLite rows with what Redis holds for each.
    ProductsDocument *productsDocument();
    /// The recent_products list.
    RecentProductsDocument *recentProducts();
    /// The key browser's scanner, on a connection of its own (connected on first use).
    KeyScanner *keyScanner();
    /// TTL actions (EXPIRE, PERSIST) on the scanner's connection, traced.
    KeyActions *keyActions();
    /// The sample keys --demo writes.
    DemoKeys *demoKeys();

signals:
    /// shutdown() finished: the embedded server has exited (or there was none).
    void shutDown();
    void ready();
    /// A problem that stops the app from starting (bad URL, no redis-server, DB unusable).
    void failed(const QString &message);
    /// The Redis connection (or the embedded server) came up.
    void redisReady();
    /// Something worth a status-bar line (notifications could not be enabled, ...).
    void warning(const QString &message);

private:
    void connectRedis(const RedisUrl &url);
    void openDatabase();
    void maybeReady();
    void stopServer();
    bool m_shuttingDown = false;

    Config m_config;
    RedisUrl m_url;
    EmbeddedRedis *m_embedded = nullptr;
    RedisClient *m_redis = nullptr;
    ProductRepository *m_repository = nullptr;
    ProductService *m_service = nullptr;
    ProductTags *m_tags = nullptr;
    ProductSearch *m_search = nullptr;
    KeyspaceWatcher *m_watcher = nullptr;
    InfoPoller *m_info = nullptr;
    NotificationSetup *m_notifications = nullptr;
    ChangeStream *m_changeStream = nullptr;
    ExistenceFilter *m_existence = nullptr;
    ProductsDocument *m_productsDocument = nullptr;
    RecentProductsDocument *m_recentProducts = nullptr;
    KeyScanner *m_keyScanner = nullptr;
    KeyActions *m_keyActions = nullptr;
    DemoKeys *m_demoKeys = nullptr;
    bool m_dbOpen = false;
    bool m_failed = false;
    bool m_ready = false;
};
