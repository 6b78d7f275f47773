// Backend: everything the dashboard needs, wired together, with no widgets.
//
// Owns the Redis side (an embedded redis-server unless a URL was given, the
// command connection) and the SQLite side (the product repository on its
// database thread). start() returns at once; ready() follows when the
// database is open (with demo products when it was empty). Redis may come up
// later or go away at any time: the rest of the app then runs degraded.
// The window, the HTTP API and the tests all build on one Backend.
#pragma once

#include "redisurl.h"

#include <QObject>
#include <QString>
#include <memory>

class EmbeddedRedis;
class ProductRepository;
class RedisClient;

class Backend final : public QObject
{
    Q_OBJECT

public:
    struct Config
    {
        QString redisUrl;        ///< empty: embedded redis-server
        QString dbPath;          ///< file or ":memory:"; empty: <dataDir>/products.sqlite
        QString dataDir;         ///< app data location (embedded Redis data lives under it)
        bool seedDemoData = true;
    };

    explicit Backend(Config config, QObject *parent = nullptr);
    ~Backend() override;

    /// Validates the config, starts Redis (embedded or external) and opens
    /// the database. Emits ready() or failed().
    void start();

    bool isEmbedded() const { return m_config.redisUrl.isEmpty(); }
    /// "embedded redis-server 127.0.0.1:41233" or the redacted URL.
    QString redisDescription() const;
    RedisUrl redisUrl() const { return m_url; }
    QString databasePath() const;

    RedisClient *redis() const { return m_redis; }
    ProductRepository *repository() const { return m_repository; }
    EmbeddedRedis *embeddedRedis() const { return m_embedded; }

signals:
    void ready();
    /// A problem that stops the app from starting (bad URL, no redis-server, DB unusable).
    void failed(const QString &message);
    /// The Redis connection (or the embedded server) came up.
    void redisReady();

private:
    void connectRedis(const RedisUrl &url);
    void openDatabase();

    Config m_config;
    RedisUrl m_url;
    EmbeddedRedis *m_embedded = nullptr;
    RedisClient *m_redis = nullptr;
    ProductRepository *m_repository = nullptr;
    bool m_failed = false;
};
