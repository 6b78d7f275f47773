// CacheBackend: the Redis and SQL building blocks the strategies share.
//
// Every block writes its own trace steps and counts itself in the metrics,
// so a strategy reads as the sequence of steps it takes. Nothing blocks:
// each block takes a continuation. The backend is the callback context for
// Redis and SQL replies, so destroying the service drops them all.
#pragma once

#include "backendhost.h"
#include "cachekeys.h"
#include "cachemetrics.h"
#include "cachesettings.h"
#include "operation.h"
#include "productcache.h"
#include "productedit.h"
#include "producthash.h"
#include "readdeadlines.h"
#include "productrepository.h"
#include "redisclient.h"
#include "storeresult.h"
#include "tracedredis.h"
#include "tracedstore.h"

#include <functional>
#include <optional>
#include <deque>
#include <set>
#include <QElapsedTimer>
#include <QHash>
#include <QSet>
#include <QObject>
#include <QRandomGenerator>
#include <QTimer>

class ProductRepository;
class InvalidationWatermark;
class MissProtection;
class VersionedWrites;
class ViewRecorder;
class WriteInvalidation;
class RedisScript;

class CacheBackend final : public QObject
{
    Q_OBJECT

public:
    using Loader = ProductCache::Loader;
    using FillHook = std::function<void(qint64 id, std::function<void()> proceed)>;

    /// Neither pointer is owned; host (the service) outlives the backend.
    CacheBackend(RedisClient *redis, ProductRepository *repository, BackendHost &host, QObject *parent = nullptr);
    ~CacheBackend() override;

    RedisClient *redis() const { return m_redis; }
    ProductRepository *repository() const { return m_repository; }
    const CacheSettings &settings() const { return m_settings; }
    void setSettings(const CacheSettings &settings);
    const CacheKeys &keys() const { return m_keys; }
    CacheMetrics &metrics() { return m_metrics; }
    bool cacheUp() const;

    /// The service: background operations (flush, deferred invalidation,
    /// change-log replay), the queue drain, the invalidation channel and the
    /// existence check.
    BackendHost &host() const { return m_host; }

    // --- traced calls (core/trace) ---------------------------------------------------------
    TracedRedis &tracedRedis() { return *m_tracedRedis; }
    TracedStore &tracedStore() { return *m_tracedStore; }
    /// SCRIPT LOAD of every script (on each connect).
    void loadScripts();

    /// Every product write in SQLite, versioned (see VersionedWrites).
    VersionedWrites &writes() { return *m_writes; }
    /// The cached copy's removal after a committed write (see WriteInvalidation).
    WriteInvalidation &invalidation() { return *m_invalidation; }

    /// The loader read-through caches use: a SQLite read with its trace step.
    Loader dbLoader();

    // --- the read path ----------------------------------------------------------------------
    /// product:{id} itself: lookup, fill, negative fill.
    ProductCache &productCache() { return *m_cache; }
    /// The Bloom filter and the stampede guard on a miss.
    MissProtection &missProtection() { return *m_protection; }
    ReadDeadlines &readDeadlines() { return *m_deadlines; }
    /// The cache failed (Redis down or too slow): the database alone answers.
    void readAround(const OperationPtr &op, qint64 id, std::function<void(const LoadResult &)> then);
    /// The protected miss path with `loader`, then the fill (for reads
    /// that already looked in the cache themselves: the recent list).
    void loadAndFill(
        const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then);
    QPair<QList<QByteArray>, QList<QByteArray>> fillCall(const Product &product, qint64 loadMs)
    {
        return m_cache->fillCall(product, loadMs);
    }
    qint64 ttlMs() { return m_cache->ttlMs(); }
    /// Views of products (the recent list, most viewed, unique viewers).
    ViewRecorder &views() { return *m_views; }
    // Shortcuts for the service and its features.
    void flushViews();
    void forgetViews(qint64 id);

    static ServiceResult fromStore(const StoreResult &r);
    /// Ends a get: records the view in the recent list when found.
    void finishGet(const OperationPtr &op, qint64 id, const LoadResult &r);


    // --- durable invalidation (the change-log watermark) ------------------------------------
    /// On every connect: invalidates (with guards) every change in SQLite's
    /// change table after the watermark and raises the versions hash to
    /// each, so a write whose invalidation died with its process is still
    /// applied. A gap (changes pruned past the mark) drops every product key.
    void replayChangeLog();
    /// The change-log watermark (see InvalidationWatermark).
    InvalidationWatermark &watermark() { return *m_watermark; }
    // Shortcuts for the service and write-behind.
    void noteChangesSeen(qint64 seq);
    void holdWriteTicket(const OperationPtr &op);
    void afterReplay(std::function<void()> next);
    bool isReplaying() const;

    /// Test hook: holds each fill until proceed() is called.
    void setFillHook(FillHook hook) { m_cache->setFillHook(std::move(hook)); }
    /// Test hook: a write-behind write that had to ask SQLite for the version
    /// waits, after that read and before its script, until proceed().
    void setWriteBehindVersionHook(FillHook hook) { m_wbVersionHook = std::move(hook); }
    const FillHook &writeBehindVersionHook() const { return m_wbVersionHook; }
    /// Test hook: an SQL write that has to claim its committed version
    /// waits, after the commit and before the claim, until proceed().
    void setClaimHook(FillHook hook) { m_claimHook = std::move(hook); }
    const FillHook &claimHook() const { return m_claimHook; }

signals:
    void pendingInvalidationsChanged(int count);
    void keysInvalidated(const QList<QByteArray> &keys);

private:
    RedisClient *m_redis;
    ProductRepository *m_repository;
    BackendHost &m_host;
    TracedRedis *m_tracedRedis; ///< children of this object
    TracedStore *m_tracedStore;
    CacheSettings m_settings;
    CacheKeys m_keys;
    CacheMetrics m_metrics;
    ReadDeadlines *m_deadlines; ///< a child of this object
    std::unique_ptr<ProductCache> m_cache;
    std::unique_ptr<MissProtection> m_protection;
    FillHook m_wbVersionHook;
    FillHook m_claimHook;
    VersionedWrites *m_writes; ///< children of this object
    WriteInvalidation *m_invalidation;
    ViewRecorder *m_views;
    InvalidationWatermark *m_watermark;
};
