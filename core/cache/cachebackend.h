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
#include "productrepository.h"
#include "redisclient.h"
#include "storeresult.h"

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
class RedisScript;

/// What a cache lookup found.
struct CacheEntry final
{
    enum class State { Hit, Miss, Negative, Unavailable, Error };
    State state = State::Miss;
    std::optional<Product> product;
    bool dirty = false; ///< unflushed write-behind data
    qint64 deltaMs = 0; ///< XFetch: how long the last load took
    qint64 expiresAtMs = 0; ///< XFetch: when the entry expires (ms since epoch)
    QString error;
};

/// What a load through the cache produced.
struct LoadResult final
{
    ServiceStatus status = ServiceStatus::Ok;
    std::optional<Product> product;
    bool fromCache = false;
    QString error;
};

class CacheBackend final : public QObject
{
    Q_OBJECT

public:
    using Loader = std::function<void(const OperationPtr &, qint64, std::function<void(const StoreResult &)>)>;
    using FillHook = std::function<void(qint64 id, std::function<void()> proceed)>;

    CacheBackend(RedisClient *redis, ProductRepository *repository, QObject *parent = nullptr);

    RedisClient *redis() const { return m_redis; }
    ProductRepository *repository() const { return m_repository; }
    const CacheSettings &settings() const { return m_settings; }
    void setSettings(const CacheSettings &settings);
    const CacheKeys &keys() const { return m_keys; }
    CacheMetrics &metrics() { return m_metrics; }
    bool cacheUp() const;

    /// Background operations (flush, deferred invalidation, change feed).
    std::function<OperationPtr(const QString &name, qint64 productId)> beginBackground;

    // --- Redis with tracing ---------------------------------------------------------------
    using Classifier = std::function<TraceOutcome(const RedisReply &)>;
    void command(const OperationPtr &op, const RedisCommand &cmd, const Classifier &classify,
        std::function<void(const RedisReply &)> then);
    void pipeline(const OperationPtr &op, const QList<RedisCommand> &cmds, const QString &label,
        std::function<void(const QList<RedisReply> &)> then);
    void transaction(const OperationPtr &op, const QList<RedisCommand> &cmds, const QString &label,
        std::function<void(const RedisReply &)> then);
    void script(const OperationPtr &op, const RedisScript &script, const QList<QByteArray> &keys,
        const QList<QByteArray> &args, const Classifier &classify, std::function<void(const RedisReply &)> then);
    /// EVALSHA commands for a pipeline (NOSCRIPT in a pipeline is retried one by one).
    void scriptPipeline(const OperationPtr &op, const RedisScript &script,
        const QList<QPair<QList<QByteArray>, QList<QByteArray>>> &calls, const QString &label,
        std::function<void(const QList<RedisReply> &)> then);
    /// SCRIPT LOAD of every script (on each connect).
    void loadScripts();

    // --- SQL with tracing -------------------------------------------------------------------
    using StoreCall = std::function<void(ProductRepository &, QObject *, StoreCallback)>;
    void sql(const OperationPtr &op, bool write, const QString &what, const StoreCall &call,
        std::function<void(const StoreResult &)> then);
    void dbGet(const OperationPtr &op, qint64 id, std::function<void(const StoreResult &)> then);
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
    static WriteCall upsertCall(qint64 id, const QString &name, qint64 price);
    static WriteCall updateCall(qint64 id, const QString &name, qint64 price, qint64 expectedVersion);
    static WriteCall removeCall(qint64 id);
    /// The loader read-through caches use: a SQLite read with its trace step.
    Loader dbLoader();

    // --- cache blocks -----------------------------------------------------------------------
    /// HGETALL product:{id}, classified; counts hits/misses.
    void lookup(const OperationPtr &op, qint64 id, std::function<void(const CacheEntry &)> then);
    /// The miss path: load with the configured stampede protection, then
    /// fill (or negative-fill). `loader` reads SQLite.
    void loadAndFill(
        const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then);
    /// Lookup, then loadAndFill on a miss; XFetch early refresh on a hit when selected.
    void readThrough(
        const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then);
    /// Compare-and-set fill (or MULTI HSET+PEXPIRE with the guard off). then(filled).
    void fill(const OperationPtr &op, const Product &product, qint64 loadMs, std::function<void(bool)> then);
    /// KEYS and ARGV of the fill script for one product (warm-up pipelines it).
    QPair<QList<QByteArray>, QList<QByteArray>> fillCall(const Product &product, qint64 loadMs);
    void fillNegative(const OperationPtr &op, qint64 id, std::function<void()> then);
    /// After a committed SQL write: DEL + guard (guardVersion 0 = none,
    /// DeletedGuard for deletes). When Redis is down the id is remembered
    /// and invalidated on reconnect. Publishes on the invalidation channel.
    /// raiseVersionTo > 0 also raises the versions hash (a change made by
    /// another writer: nobody may be given that version again).
    void invalidateAfterWrite(const OperationPtr &op, qint64 id, qint64 guardVersion,
        std::function<void(qint64 removed)> then, qint64 raiseVersionTo = 0);
    /// Records a view of a product by op->viewer: the recent list (LREM +
    /// LPUSH + LTRIM), the most-viewed sorted set (ZINCRBY) and the
    /// product's unique-viewers HyperLogLog (PFADD). Views are batched for
    /// ViewBatchMs (or ViewBatchMax views) and sent as one MULTI without
    /// waiting for its reply; a get answers at once.
    void sendRecentView(const OperationPtr &op, qint64 id);
    /// Sends the batched views now. Readers of the recent list or the
    /// leaderboard call it first, so they see every view made before.
    void flushViews();
    /// A deleted product leaves the leaderboard and its viewer count.
    void forgetViews(qint64 id);
    static constexpr int ViewBatchMs = 20;
    // Large enough that a burst of hits sends one MULTI per ViewBatchMs
    // (its size depends on the distinct ids, not the views); small enough
    // to bound a batch held in memory and one transaction.
    static constexpr int ViewBatchMax = 1024;

    /// SQL write, then invalidate (cache-aside, read-through; deletes everywhere).
    /// For deletes the guard is DeletedGuard; else the new row version.
    void writeThenInvalidate(const OperationPtr &op, const QString &what, const WriteCall &call, bool isDelete);
    /// SQL list with its trace step.
    void dbList(const OperationPtr &op, std::function<void(const StoreResult &)> then);
    static ServiceResult fromStore(const StoreResult &r);
    /// The trace outcome of a store result / of a Redis error reply (a
    /// client-side error means Redis is unreachable). Shared with core/catalog.
    static TraceOutcome storeOutcome(const StoreResult &r);
    static TraceOutcome redisErrorOutcome(const RedisReply &r);
    /// Ends a get: records the view in the recent list when found.
    void finishGet(const OperationPtr &op, qint64 id, const LoadResult &r);

    /// Time-to-live for a fresh fill, with the configured jitter.
    qint64 ttlMs();
    static Product productFromHash(
        qint64 id, const QList<QPair<QByteArray, QByteArray>> &pairs, CacheEntry *entry = nullptr);

    // --- deferred invalidations (Redis was down) -------------------------------------------
    QHash<qint64, qint64> pendingInvalidations() const { return m_pending; }
    void replayPendingInvalidations();

    // --- durable invalidation (the change-log watermark) ------------------------------------
    /// On every connect: invalidates (with guards) every change in SQLite's
    /// change table after the watermark and raises the versions hash to
    /// each, so a write whose invalidation died with its process is still
    /// applied. A gap (changes pruned past the mark) drops every product key.
    void replayChangeLog();
    /// The change feed saw changes up to seq (own or not).
    void noteChangesSeen(qint64 seq) { m_seenSeq = std::max(m_seenSeq, seq); }
    /// Makes op hold a write ticket (see Operation::hold).
    void holdWriteTicket(const OperationPtr &op);
    QByteArray watermarkKey() const;
    /// Runs next() once a running change-log replay has finished (at once
    /// otherwise): write-behind writes wait for it after a reconnect, so no
    /// version is derived from a cached copy the replay is about to correct.
    void afterReplay(std::function<void()> next);
    bool isReplaying() const { return m_replaying; }
    /// Set by the service: drops every droppable product key (used when the
    /// change log has a gap). then() runs when done.
    std::function<void(const OperationPtr &, std::function<void()>)> dropAll;

    /// Called by InvalidationBus / the service to publish. Set by the service.
    std::function<void(const QList<qint64> &ids, const QList<qint64> &versions, bool all)> publish;

    /// Consulted on a miss before the loader runs (see ExistenceCheck in
    /// productservice.h); unset = always "may exist".
    std::function<void(const OperationPtr &, qint64, std::function<void(bool)>)> existenceCheck;

    /// Test hook: holds each fill until proceed() is called.
    void setFillHook(FillHook hook) { m_fillHook = std::move(hook); }
    /// Test hook: a write-behind write that had to ask SQLite for the version
    /// waits, after that read and before its script, until proceed().
    void setWriteBehindVersionHook(FillHook hook) { m_wbVersionHook = std::move(hook); }
    const FillHook &writeBehindVersionHook() const { return m_wbVersionHook; }

signals:
    void pendingInvalidationsChanged(int count);
    void keysInvalidated(const QList<QByteArray> &keys);

private:
    void loadChecked(
        const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then);
    void singleFlightLoad(
        const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then);
    void lockedLoad(
        const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then);
    void lockPoll(const OperationPtr &op, qint64 id, const Loader &loader, const QByteArray &token, qint64 startedMs,
        int attempt, const std::function<void(const LoadResult &)> &then);
    void plainLoad(
        const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then);
    void remember(qint64 id, qint64 guardVersion);
    /// Calls onDeadline() once the read deadline passes unless *answered was
    /// set first (by the reply); sets *answered itself when it fires.
    void armReadDeadline(const OperationPtr &op, const std::shared_ptr<bool> &answered, const char *step,
        const QByteArray &key, std::function<void()> onDeadline);
    void fireReadDeadlines();
    struct ReadDeadline
    {
        qint64 dueMs;
        std::shared_ptr<bool> answered;
        OperationPtr op;
        const char *step;
        QByteArray key;
        std::function<void()> onDeadline;
    };
    std::deque<ReadDeadline> m_readDeadlines;
    QTimer m_deadlineTimer;
    QElapsedTimer m_clock;
    void moveClearOfQueue(
        const OperationPtr &op, StoreResult r, bool isDelete, std::function<void(const StoreResult &)> then);
    qint64 m_lastAllocatedId = 0;
    void claimVersion(const OperationPtr &op, StoreResult r, bool isDelete, std::function<void(const StoreResult &)> then);
    void replayChangesAfter(const OperationPtr &op, qint64 mark, int round);
    void replayChangesAfterWith(const OperationPtr &op, qint64 mark, int round, const StoreResult &r);
    void advanceWatermark();
    void endReplay(const OperationPtr &op, const QString &error);
    void endReplayNow(const OperationPtr &op, const QString &error);
    bool m_markBlocked = false;
    int m_replayAttempts = 0;
    qint64 m_replayTarget = -1;
    QList<std::function<void()>> m_afterReplay;
    bool m_idFloorReady = false;
    qint64 m_publishedMark = -1;
    qint64 m_readyMark = 0;
    bool m_markKnown = false;
    void startMark(qint64 seq);
    std::set<quint64> m_activeTickets;
    quint64 m_nextTicket = 1;
    qint64 m_seenSeq = 0;
    struct MarkCandidate
    {
        qint64 seq = -1;
        quint64 ticket = 0;
    };
    MarkCandidate m_markCandidate;
    QTimer m_markTimer;
    bool m_replaying = false;
    mutable QByteArray m_watermarkKey;

    RedisClient *m_redis;
    ProductRepository *m_repository;
    CacheSettings m_settings;
    CacheKeys m_keys;
    CacheMetrics m_metrics;
    QHash<qint64, qint64> m_pending;
    struct Waiter
    {
        OperationPtr op;
        std::function<void(const LoadResult &)> then;
    };
    QHash<qint64, QList<Waiter>> m_inflight;
    FillHook m_fillHook;
    FillHook m_wbVersionHook;
    struct View
    {
        qint64 id;
        QByteArray viewer;
    };
    QList<RedisCommand> viewCommands(const QList<View> &views) const;
    QList<View> m_views;
    QTimer m_viewTimer;
    QRandomGenerator m_random;
};
