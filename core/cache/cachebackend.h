// CacheBackend: the Redis and SQL building blocks the strategies share.
//
// Every block writes its own trace steps and counts itself in the metrics,
// so a strategy reads as the sequence of steps it takes. Nothing blocks:
// each block takes a continuation. The backend is the callback context for
// Redis and SQL replies, so destroying the service drops them all.
#pragma once

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
class ViewRecorder;
class RedisScript;

class CacheBackend final : public QObject
{
    Q_OBJECT

public:
    using Loader = ProductCache::Loader;
    using FillHook = std::function<void(qint64 id, std::function<void()> proceed)>;

    CacheBackend(RedisClient *redis, ProductRepository *repository, QObject *parent = nullptr);
    ~CacheBackend() override;

    RedisClient *redis() const { return m_redis; }
    ProductRepository *repository() const { return m_repository; }
    const CacheSettings &settings() const { return m_settings; }
    void setSettings(const CacheSettings &settings);
    const CacheKeys &keys() const { return m_keys; }
    CacheMetrics &metrics() { return m_metrics; }
    bool cacheUp() const;

    /// Background operations (flush, deferred invalidation, change feed).
    std::function<OperationPtr(const QString &name, qint64 productId)> beginBackground;

    // --- traced calls (core/trace) ---------------------------------------------------------
    TracedRedis &tracedRedis() { return *m_tracedRedis; }
    TracedStore &tracedStore() { return *m_tracedStore; }
    /// SCRIPT LOAD of every script (on each connect).
    void loadScripts();

    /// A product write: the SQL call, told how to number the new version.
    using WriteCall = std::function<void(ProductRepository &, VersionRule, QObject *, StoreCallback)>;
    /// A product write in SQLite (create, update, upsert, delete; never the
    /// write-behind flush). Its version is reserved in Redis first
    /// (CacheScripts::versionReserve: one above everything any writer was
    /// given for the id) and the SQL write takes it, so no two acknowledged
    /// writes share an id and version. When SQLite was ahead of Redis (an
    /// outside edit) the committed version is claimed afterwards and the row
    /// moved to a fresh one if another writer holds it. With Redis
    /// unreachable the version is numbered OfflineStride above the row's.
    /// `then` sees the row as it ends up.
    void writeSql(const OperationPtr &op, const QString &what, const WriteCall &call, bool isDelete,
        std::function<void(const StoreResult &)> then);
    /// Set by the service: flushes the write-behind queue, then next() (or
    /// fails op when it cannot). Used when a product about to be written
    /// has a write-behind write still queued.
    std::function<void(const OperationPtr &, std::function<void()>)> drainFirst;
    /// How far a SQL write made while Redis is unreachable is numbered
    /// above what SQLite had (versions, and ids of new products): write-behind
    /// writes still queued in Redis hold versions (and ids) SQLite has not
    /// seen, and cannot be asked; a million writes to one id would have to
    /// be waiting unflushed to reach it.
    static constexpr qint64 OfflineStride = 1000000;
    /// The next id for a new product from the counter every instance shares
    /// (raised first to the highest id SQLite ever had). then(0) on failure.
    void allocateId(const OperationPtr &op, std::function<void(qint64)> then);
    /// The next allocation re-reads SQLite's highest id first (after an
    /// insert reported by the change feed, and on every connect).
    void resetIdFloor() { m_idFloorReady = false; }
    /// Fails op after allocateId() gave 0: Unavailable when Redis went away.
    void allocationFailed(const OperationPtr &op);
    /// The SQL call that creates a product: with Redis up, an INSERT under
    /// an id from allocateId() (so write-behind creates on other instances
    /// can never take the same id); with Redis down, SQLite picks the id.
    void newProductCall(const OperationPtr &op, const QString &name, qint64 price,
        std::function<void(const WriteCall &)> then);
    /// The SQL call for a create, update or upsert, and its text for the
    /// trace (a create first takes its id: newProductCall()).
    void prepareWrite(const OperationPtr &op, const ProductEdit &edit,
        std::function<void(const QString &what, const WriteCall &call)> then);
    static WriteCall upsertCall(qint64 id, const QString &name, qint64 price);
    static WriteCall updateCall(qint64 id, const QString &name, qint64 price, qint64 expectedVersion);
    static WriteCall removeCall(qint64 id);
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
    /// After a committed SQL write: DEL + guard (guardVersion 0 = none,
    /// DeletedGuard for deletes). When Redis is down the id is remembered
    /// and invalidated on reconnect. Publishes on the invalidation channel.
    /// raiseVersionTo > 0 also raises the versions hash (a change made by
    /// another writer: nobody may be given that version again).
    void invalidateAfterWrite(const OperationPtr &op, qint64 id, qint64 guardVersion,
        std::function<void(qint64 removed)> then, qint64 raiseVersionTo = 0);
    /// Views of products (the recent list, most viewed, unique viewers).
    ViewRecorder &views() { return *m_views; }
    // Shortcuts for the service and its features.
    void flushViews();
    void forgetViews(qint64 id);

    /// SQL write, then invalidate (cache-aside, read-through; deletes everywhere).
    /// For deletes the guard is DeletedGuard; else the new row version.
    void writeThenInvalidate(const OperationPtr &op, const QString &what, const WriteCall &call, bool isDelete);
    static ServiceResult fromStore(const StoreResult &r);
    /// The trace outcome of a store result / of a Redis error reply (a
    /// client-side error means Redis is unreachable). Shared with core/catalog.
    static TraceOutcome storeOutcome(const StoreResult &r) { return TracedStore::outcome(r); }
    static TraceOutcome redisErrorOutcome(const RedisReply &r) { return TracedRedis::errorOutcome(r); }
    /// Ends a get: records the view in the recent list when found.
    void finishGet(const OperationPtr &op, qint64 id, const LoadResult &r);


    // --- deferred invalidations (Redis was down) -------------------------------------------
    QHash<qint64, qint64> pendingInvalidations() const { return m_pending; }
    void replayPendingInvalidations();

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
    /// Set by the service: drops every droppable product key (used when the
    /// change log has a gap). then() runs when done.
    std::function<void(const OperationPtr &, std::function<void()>)> dropAll;

    /// Called by InvalidationBus / the service to publish. Set by the service.
    std::function<void(const QList<qint64> &ids, const QList<qint64> &versions, bool all)> publish;

    /// Consulted on a miss before the loader runs (see ExistenceCheck in
    /// productservice.h); unset = always "may exist".
    std::function<void(const OperationPtr &, qint64, std::function<void(bool)>)> existenceCheck;

    /// Test hook: holds each fill until proceed() is called.
    void setFillHook(FillHook hook) { m_cache->setFillHook(std::move(hook)); }
    /// Test hook: a write-behind write that had to ask SQLite for the version
    /// waits, after that read and before its script, until proceed().
    void setWriteBehindVersionHook(FillHook hook) { m_wbVersionHook = std::move(hook); }
    const FillHook &writeBehindVersionHook() const { return m_wbVersionHook; }

signals:
    void pendingInvalidationsChanged(int count);
    void keysInvalidated(const QList<QByteArray> &keys);

private:
    void remember(qint64 id, qint64 guardVersion);
    void moveClearOfQueue(
        const OperationPtr &op, StoreResult r, bool isDelete, std::function<void(const StoreResult &)> then);
    qint64 m_lastAllocatedId = 0;
    void claimVersion(const OperationPtr &op, StoreResult r, bool isDelete, std::function<void(const StoreResult &)> then);
    bool m_idFloorReady = false;

    RedisClient *m_redis;
    ProductRepository *m_repository;
    TracedRedis *m_tracedRedis; ///< children of this object
    TracedStore *m_tracedStore;
    CacheSettings m_settings;
    CacheKeys m_keys;
    CacheMetrics m_metrics;
    QHash<qint64, qint64> m_pending;
    ReadDeadlines *m_deadlines; ///< a child of this object
    std::unique_ptr<ProductCache> m_cache;
    std::unique_ptr<MissProtection> m_protection;
    FillHook m_wbVersionHook;
    ViewRecorder *m_views; ///< children of this object
    InvalidationWatermark *m_watermark;
};
