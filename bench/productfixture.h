// ProductFixture: a real CacheLab stack for the service scenarios.
//
// A file SQLite database (ProductRepository on its database thread) with
// `rows` products, a RedisClient on the scenario's server and a
// ProductService in front of both, built the way the app builds them. Every
// wait here spins the event loop with a bound; the service itself never
// blocks.
#pragma once

#include "cachesettings.h"
#include "redisurl.h"
#include "strategykind.h"

#include <functional>
#include <memory>
#include <QJsonObject>
#include <QString>

class ProductRepository;
class ProductService;
class RedisClient;

class ProductFixture final
{
public:
    ProductFixture();
    ~ProductFixture();

    /// Opens (creating) the database at dbPath and seeds ids 1..rows
    /// (name "product <id>", price id * 100, version 1) when it is empty.
    bool openDatabase(const QString &dbPath, qint64 rows, QString *error);
    /// Connects a RedisClient and builds the service; waits until the
    /// service reports the cache available.
    bool startService(const RedisUrl &url, StrategyKind strategy, QString *error);
    /// Settings (CacheSettings JSON keys) laid over every applySettings()
    /// call: the bench's --settings option.
    void setSettingsOverride(const QJsonObject &json) { m_override = json; }
    /// Applies settings (clamped by the service), then the override.
    void applySettings(const std::function<void(CacheSettings &)> &edit);
    /// Stops the service, client and repository (in that order).
    void shutdown();

    ProductService *service() const { return m_service.get(); }
    ProductRepository *repository() const { return m_repository.get(); }
    RedisClient *redis() const { return m_redis.get(); }
    QString dbPath() const { return m_dbPath; }

    /// get(id) through the service, waited for; ok and fromCache reported.
    bool getOnce(qint64 id, bool *fromCache, QString *error);
    /// Runs the write-behind worker until the queue is empty (bounded).
    bool drainWriteBehind(int timeoutMs, QString *error);

private:
    QJsonObject m_override;
    QString m_dbPath;
    std::unique_ptr<ProductRepository> m_repository;
    std::unique_ptr<RedisClient> m_redis;
    std::unique_ptr<ProductService> m_service;
};
