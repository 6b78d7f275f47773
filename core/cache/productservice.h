// ProductService: the one door to products for the dashboard, the HTTP API
// and the benchmark.
//
// It is the "document": a QObject that owns the caching strategies, the
// write-behind worker, the invalidation channel and the metrics; views
// observe its signals and send it commands. The service itself starts each
// call, hands it to a strategy or to one of the features in
// core/cache/features/ (invalidation, eviction settings, recent list,
// warm-up, price adjustment, the WATCHed update) and finishes it.
//
// Every call returns at once; its callback runs later on the service's
// thread, exactly once (never inside the call itself), unless the context
// object was destroyed first. Nothing here blocks or spins a nested event
// loop.
//
// Strategy switching: each call remembers the strategy it started with and
// finishes under it; the write-behind queue keeps draining whatever the
// current strategy is.
//
// Redis outages: reads fall back to SQLite (trace: "cache unavailable");
// writes under cache-aside/read-through/write-through still commit to SQLite
// and the keys they could not invalidate are deleted once Redis is back;
// write-behind refuses writes with ServiceStatus::Unavailable.
#pragma once

#include "backendhost.h"
#include "cachemetrics.h"
#include "cachesettings.h"
#include "evictionsettings.h"
#include "operationkind.h"
#include "operationstarter.h"
#include "operationtrace.h"
#include "productwrite.h"
#include "serviceresult.h"
#include "strategykind.h"
#include "tracesink.h"

#include <functional>
#include <memory>
#include <QObject>
#include <QSet>
#include <QTimer>

class CacheBackend;
class CacheInvalidator;
class CacheStrategy;
class CacheWarmer;
class EvictionConfig;
class InvalidationBus;
class Operation;
class PendingWriteBarrier;
class PriceAdjuster;
class ProductRepository;
class RecentProducts;
class RedisClient;
class WriteBehindQueue;

using ServiceCallback = std::function<void(const ServiceResult &)>;
using EvictionCallback = std::function<void(const EvictionSettings &, const ServiceResult &)>;
/// Asked on a cache miss before SQLite is read: then(false) means "this id
/// was certainly never created" and the get answers NotFound without a
/// database read (the Bloom filter guarding against cache penetration).
/// It must answer then(true) whenever it is unsure (filter not built yet,
/// Redis error). It may add its own trace steps to the operation.
using ExistenceCheck = std::function<void(const std::shared_ptr<Operation> &op, qint64 id, std::function<void(bool mayExist)> then)>;

class ProductService final : public QObject, public TraceSink, private BackendHost
{
    Q_OBJECT

public:
    /// Neither object is owned; both must outlive the service. The client
    /// may be disconnected at first: the service loads its Lua scripts,
    /// recovers the write-behind queue and replays deferred invalidations on
    /// every connected().
    ProductService(RedisClient *redis, ProductRepository *repository, QObject *parent = nullptr);
    ~ProductService() override;

    RedisClient *redis() const { return m_redis; }
    ProductRepository *repository() const { return m_repository; }
    /// Random per process; tags this instance's pub/sub invalidations so it
    /// can ignore its own.
    QString instanceId() const { return m_instanceId; }

    // --- strategy and settings -------------------------------------------------
    StrategyKind strategy() const { return m_strategy; }
    /// Takes effect for calls made from now on; calls in flight finish
    /// under the strategy they started with.
    void setStrategy(StrategyKind strategy);
    /// false (and no change) when the name is not one of strategyNames().
    bool setStrategyByName(const QString &name);

    CacheSettings settings() const { return m_settings; }
    /// Clamps and applies; emits settingsChanged() when something changed.
    void setSettings(const CacheSettings &settings);

    /// Passes through to ProductRepository::setArtificialLatency (0..2000 ms).
    void setArtificialDbLatency(int ms);
    int artificialDbLatency() const;

    // --- product operations ---------------------------------------------------------
    /// One product. NotFound for a missing id (possibly from the negative cache).
    /// The view is counted for this window's own viewer id (a per-process session id).
    void get(qint64 id, QObject *context, ServiceCallback done);
    /// The same, counted for another viewer (an HTTP API client's session):
    /// the recent list, the most-viewed sorted set and the product's
    /// unique-viewers HyperLogLog record the view.
    void get(qint64 id, const QByteArray &viewer, QObject *context, ServiceCallback done);
    /// All products, ordered by id. Under write-behind, unflushed writes are
    /// overlaid so a list never goes back in time.
    void list(QObject *context, ServiceCallback done);
    /// id <= 0 creates (id assigned), otherwise updates. Validated first.
    void save(const Product &product, QObject *context, ServiceCallback done);
    void create(const QString &name, qint64 price, QObject *context, ServiceCallback done);
    /// The article's upsert (HTTP POST /product with an id): inserts a row
    /// with this id or replaces it (version +1), then invalidates. Under
    /// write-behind an existing row gets a queued update; a missing id is
    /// inserted in SQLite directly once the queue has drained.
    void upsert(qint64 id, const QString &name, qint64 price, QObject *context, ServiceCallback done);
    /// expectedVersion > 0 makes it a compare-and-set (Conflict when stale).
    void update(
        qint64 id, const QString &name, qint64 price, qint64 expectedVersion, QObject *context, ServiceCallback done);
    /// The article's "update with a Redis transaction", done right: SQLite
    /// first and checked, then WATCH/MULTI/EXEC sets the hash and its TTL
    /// atomically, refusing to overwrite a newer cached version.
    /// (Under write-behind the queued write is itself one atomic script.)
    void updateInTransaction(
        qint64 id, const QString &name, qint64 price, qint64 expectedVersion, QObject *context, ServiceCallback done);
    void remove(qint64 id, QObject *context, ServiceCallback done);
    /// "Adjust price by N" with optimistic concurrency: reads the product,
    /// writes price+delta guarded by the version it read (under write-behind
    /// the queued write's own version check in Redis, otherwise the SQLite
    /// version check followed by a WATCHed cache update), and on a conflict reads again and
    /// retries, up to 16 times. result.retries counts the retries; Conflict
    /// when every attempt lost. The result must stay within price limits
    /// (Invalid otherwise, nothing written).
    void adjustPrice(qint64 id, qint64 delta, QObject *context, ServiceCallback done);

    // --- cache management -------------------------------------------------------------
    /// Drops product:{id} (never unflushed write-behind data). count = keys removed.
    void invalidate(qint64 id, QObject *context, ServiceCallback done);
    /// Drops the app's keys matching a glob *below the prefix*
    /// ("product:1*"), found with SCAN. Unflushed write-behind data is kept.
    void invalidatePattern(const QString &pattern, QObject *context, ServiceCallback done);
    /// Drops every product hash, negative entry, guard, lock and the recent
    /// list; keeps the write-behind queue and unflushed hashes.
    void invalidateAll(QObject *context, ServiceCallback done);
    /// The last recentLimit distinct ids viewed, newest first, with their
    /// products (one pipelined round trip for the hashes; misses loaded).
    void recentProducts(QObject *context, ServiceCallback done);
    /// Loads every product into the cache in pipelined batches. count = filled.
    void warmUp(QObject *context, ServiceCallback done);
    /// Runs the write-behind worker now instead of waiting for the interval.
    void flushWriteBehind(QObject *context, ServiceCallback done);
    /// Flushes batch after batch until the queue is empty (or a flush fails).
    void drainWriteBehind(QObject *context, ServiceCallback done);
    /// Drops product:{id} for a change another instance made, with the same
    /// version guard as a pub/sub invalidation (the change-log stream's
    /// consumer uses it). `via` says where the change came from, for the
    /// trace. count = keys removed; Unavailable/Error when Redis did not
    /// confirm the invalidation (the caller should try again later).
    void applyRemoteChange(const QString &origin, qint64 id, qint64 version, bool deleted, const QString &via,
        QObject *context, ServiceCallback done);

    // --- eviction (CONFIG SET / GET) ----------------------------------------------------
    /// Applies maxmemory, maxmemory-policy and maxmemory-samples. The result
    /// carries a warning when an allkeys-* policy is chosen while write-behind
    /// items are pending.
    void applyEvictionSettings(const EvictionSettings &settings, QObject *context, EvictionCallback done);
    void readEvictionSettings(QObject *context, EvictionCallback done);

    // --- state ------------------------------------------------------------------------
    bool isCacheAvailable() const { return m_cacheAvailable; }
    /// Queue + processing length, last seen (updated live).
    int queueDepth() const;
    /// Ids whose invalidation is waiting for Redis to come back.
    QSet<qint64> pendingInvalidations() const;
    MetricsSnapshot metrics() const;
    void resetMetrics();

    /// The worker (pause/resume, batch figures). Owned by the service.
    WriteBehindQueue *writeBehindQueue() const { return m_queue.get(); }

    /// Sends batched views (recent list, most viewed, unique viewers) now;
    /// readers of those keys call it first.
    void flushViews();
    /// Installs the Bloom-filter guard consulted on cache misses (none by default).
    void setExistenceCheck(ExistenceCheck check);

    /// Publishes the trace of an operation run outside the service (tags,
    /// search): gives it the next operation id, counts it in the metrics and
    /// emits traceRecorded(), so it shows up like the service's own.
    /// Returns the id it was given.
    quint64 recordTrace(OperationTrace trace) override;

    /// Every cache fill waits until the hook calls proceed(), so a slow
    /// reader and a writer interleave in a chosen order: the stale-set lab
    /// steps its race through it, and the tests set races up with it. An
    /// empty hook lets fills go at once again.
    void setFillHook(std::function<void(qint64 id, std::function<void()> proceed)> hook);
    /// Test hook: a write-behind write that read its version from SQLite
    /// waits until proceed(), so a test can let others write in between.
    void setWriteBehindVersionHookForTesting(std::function<void(qint64 id, std::function<void()> proceed)> hook);
    /// Test hook: an SQL write that claims its version after the commit (no
    /// reservation was possible) waits between the commit and the claim.
    void setClaimHookForTesting(std::function<void(qint64 id, std::function<void()> proceed)> hook);

signals:
    void traceRecorded(const OperationTrace &trace);
    void strategyChanged(StrategyKind strategy);
    void settingsChanged(const CacheSettings &settings);
    void queueDepthChanged(int depth);
    /// Redis reachable or not; degraded() is simply !available.
    void cacheAvailabilityChanged(bool available);
    /// A product changed or disappeared: own writes, write-behind flushes
    /// and the store's change feed (including outside changes).
    void productChanged(qint64 id);
    void productRemoved(qint64 id);
    /// An acknowledged write made through this service (see ProductWrite).
    /// Emitted before the caller's callback runs.
    void productWritten(const ProductWrite &write);
    /// Keys this service removed from Redis (manual, event or remote invalidation).
    void keysInvalidated(const QList<QByteArray> &keys);
    void pendingInvalidationsChanged(int count);
    /// Emitted at most every 200 ms while operations run.
    void metricsChanged();
    void evictionSettingsChanged(const EvictionSettings &settings);
    /// Something a person should know (allkeys-* with pending queue, ...).
    void warning(const QString &message);

private:
    friend class Operation;
    std::shared_ptr<Operation> begin(
        OperationKind operation, qint64 productId, QObject *context, ServiceCallback done);
    std::shared_ptr<Operation> beginWith(
        StrategyKind strategy, OperationKind operation, qint64 productId, QObject *context, ServiceCallback done);
    // OperationStarter, for the features:
    OperationPtr beginBackground(OperationKind operation, qint64 productId, ServiceCallback done) override;
    OperationPtr beginChild(
        const OperationPtr &parent, OperationKind operation, std::function<void(ServiceResult)> then) override;
    // BackendHost, for CacheBackend and what is built on it:
    void drainQueuedWrites(const OperationPtr &op, std::function<void()> next) override;
    void dropAllProductKeys(const OperationPtr &op, std::function<void()> then) override;
    void publishInvalidation(const QList<qint64> &ids, const QList<qint64> &versions, bool all) override;
    void checkExistence(const OperationPtr &op, qint64 id, std::function<void(bool mayExist)> then) override;
    bool hasExistenceCheck() const override { return bool(m_existenceCheck); }
    void finish(Operation &op, ServiceResult result);
    /// Counts a finished trace in the metrics (Error and Unavailable as failures).
    void count(const OperationTrace &trace);
    CacheStrategy *strategyObject(StrategyKind kind) const;
    void onRedisConnected();
    void onRedisDisconnected();
    void setCacheAvailable(bool available);

    RedisClient *m_redis = nullptr;
    ProductRepository *m_repository = nullptr;
    QString m_instanceId;
    QByteArray m_viewerId;
    StrategyKind m_strategy = StrategyKind::CacheAside;
    CacheSettings m_settings;
    std::unique_ptr<CacheBackend> m_backend;
    std::vector<std::unique_ptr<CacheStrategy>> m_strategies;
    std::unique_ptr<WriteBehindQueue> m_queue;
    std::unique_ptr<InvalidationBus> m_bus;
    // The features, each in core/cache/features/:
    std::unique_ptr<PendingWriteBarrier> m_barrier;
    std::unique_ptr<CacheInvalidator> m_invalidator;
    std::unique_ptr<EvictionConfig> m_eviction;
    std::unique_ptr<RecentProducts> m_recent;
    std::unique_ptr<CacheWarmer> m_warmer;
    std::unique_ptr<PriceAdjuster> m_priceAdjuster;
    bool m_cacheAvailable = false;
    quint64 m_nextOperationId = 1;
    int m_inCall = 0; ///< >0 while a public call runs: results are then delivered later
    QTimer m_metricsTimer;
    ExistenceCheck m_existenceCheck;
};
