// ExistenceFilter: a Bloom filter of every product id that was ever created.
//
// Cache penetration: a get for an id that never existed misses Redis and
// reaches SQLite every time (negative caching only helps from the second
// request of each id). The filter answers "certainly never created" for most
// such ids without any database read; it never says that about an id that
// exists (no false negatives), but may say "may exist" for an id that does
// not (false positives, at a rate chosen when it is sized).
//
// Storage, chosen on every connect from MODULE LIST:
//  - RedisBloom ("bf" module): BF.RESERVE / BF.MADD / BF.EXISTS;
//  - otherwise a plain Redis bitmap of m bits with k hash positions per id
//    (double hashing of one 64-bit mix of the id), sized for the expected
//    number of ids and the target false-positive rate. Checks and adds are
//    small Lua scripts, so "key missing" and "bits read" are one atomic step.
// The filter describes one SQLite database, so it lives at
// CacheKeys::bloomFor(database path), whatever the key prefix: every instance
// on that file (any prefix) adds to and reads the same filter. A hash beside
// it (":meta") holds m, k, n and the mode, so all of them use the same sizes.
//
// Correctness rules:
//  - a missing filter key (evicted, FLUSHALL, never built) means "unsure",
//    never "no": the answer is "may exist" and a rebuild starts;
//  - a build reads every id from SQLite into a temporary key and RENAMEs it
//    onto the real key, so a half-built filter is never consulted; ids that
//    appear while it runs are added to the new filter too. Ids another
//    instance added to the live key meanwhile are kept: the swap ORs the live
//    bitmap into the new one when both have the same m and k. (RedisBloom
//    filters cannot be merged: there, another instance's ids come back when
//    this instance sees their rows in SQLite, through productChanged.)
//  - any Redis error answers "may exist": a real product is never blocked;
//  - deleted ids stay in the filter (a Bloom filter cannot remove items);
//    the negative cache answers for them.
#pragma once

#include "cachekeys.h"

#include <functional>
#include <memory>
#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QSet>
#include <QTimer>

class Operation;
class ProductService;
class RedisClient;
class TracedRedis;
class RedisReply;

class ExistenceFilter final : public QObject
{
    Q_OBJECT

public:
    enum class Mode { Unknown, Bitmap, Module };
    enum class State {
        NotBuilt, ///< nothing built yet (or Redis down): every answer is "may exist"
        Building, ///< reading SQLite / writing the temporary key; the old filter still answers
        Ready, ///< built and consulted
        Disabled, ///< switched off: every answer is "may exist", Redis is not asked
    };
    enum class Answer {
        No, ///< certainly never created
        Maybe, ///< the filter has every bit of the id (exists, or a false positive)
        Unsure, ///< no usable filter (missing, not built, Redis error): treat as "may exist"
    };

    struct Settings
    {
        /// Target false-positive rate, 0.0001..0.5. Default 1 %.
        double falsePositiveRate = 0.01;
        /// Ids the filter is sized for; 0 = automatic: max(10000, 2 × rows).
        qint64 expectedItems = 0;
        bool enabled = true;

        Settings clamped() const;
        bool operator==(const Settings &o) const = default;
    };

    struct Stats
    {
        Mode mode = Mode::Unknown;
        State state = State::NotBuilt;
        qint64 bits = 0; ///< m (for the module: what its sizing implies)
        int hashes = 0; ///< k
        qint64 items = 0; ///< n: ids inserted (distinct, as far as the filter can tell)
        qint64 capacity = 0; ///< ids it was sized for
        double targetRate = 0; ///< the configured false-positive rate
        double estimatedRate = 0; ///< (1 - e^(-kn/m))^k
        quint64 checks = 0; ///< gets that consulted the filter
        quint64 shortCircuited = 0; ///< gets answered NotFound without SQLite
        quint64 maybes = 0; ///< "may exist" answers from a built filter
        quint64 falsePositives = 0; ///< "may exist", then SQLite found nothing
        quint64 unsure = 0; ///< no filter to consult (missing, error, not built)
        quint64 builds = 0;
        qint64 lastBuildMs = 0; ///< wall time of the last build
        QDateTime builtAt;
        QString lastError;

        /// falsePositives / (falsePositives + shortCircuited): of the gets for
        /// ids that did not exist, the share the filter let through. -1 before any.
        double measuredRate() const;
    };

    /// Sizing: bits for n items at false-positive rate p (m = -n ln p / ln²2)
    /// and the hash count k = m/n ln 2 (1..30).
    static qint64 optimalBits(qint64 items, double rate);
    static int optimalHashes(qint64 bits, qint64 items);
    static double estimatedRate(qint64 bits, int hashes, qint64 items);
    /// The k bit positions of an id in a bitmap of m bits (double hashing).
    static QList<quint64> positions(qint64 id, qint64 bits, int hashes);
    static QString modeName(Mode mode);
    static QString stateName(State state);

    /// Works on the service's Redis connection and repository; rebuilds on
    /// every connect and adds ids on ProductService::productChanged().
    /// install() hooks it into the service's cache-miss path.
    explicit ExistenceFilter(ProductService *service, QObject *parent = nullptr);
    ~ExistenceFilter() override;

    /// ProductService::setExistenceCheck(this filter).
    void install();

    Settings settings() const { return m_settings; }
    /// Takes effect with the next build (rebuilds at once when sizes changed).
    void setSettings(const Settings &settings);

    Stats stats() const;
    Mode mode() const { return m_mode; }
    State state() const { return m_state; }
    bool isReady() const { return m_state == State::Ready; }
    QByteArray key() const { return m_key; }
    QByteArray metaKey() const { return m_key + ":meta"; }
    /// A failed build is retried later (false after NOPERM: retrying cannot help).
    bool retryScheduled() const { return m_rebuildTimer.isActive(); }

    /// Tests only: called when a build has read SQLite and written its
    /// temporary key, before the swap; the swap waits for proceed().
    using SwapGate = std::function<void(std::function<void()> proceed)>;
    void setSwapGateForTest(SwapGate gate) { m_swapGate = std::move(gate); }

    /// Reads SQLite and builds the filter again (into a temporary key, then RENAME).
    void rebuild();
    /// Adds one id (own creates, queued creates and outside inserts arrive
    /// here through productChanged()).
    void add(qint64 id);
    /// Asks the filter directly, without a service call (tests, tools).
    void mayContain(qint64 id, QObject *context, std::function<void(Answer)> done);
    /// The service hook: adds trace steps, counts, answers then(false) only
    /// for "certainly never created".
    void check(const std::shared_ptr<Operation> &op, qint64 id, std::function<void(bool)> then);
    /// Reads n (and the sizes) from Redis again: other instances add too.
    void refreshStats();
    /// Clears the counters (checks, short-circuits, false positives).
    void resetCounters();

signals:
    /// At most every 250 ms.
    void statsChanged();
    /// A build finished (ok) or failed (error text).
    void buildFinished(bool ok, const QString &error);

private:
    void onConnected();
    void onDisconnected();
    void detectModule();
    void startBuild();
    void writeBuild(quint64 generation, const QList<qint64> &ids);
    void swapBuild(quint64 generation, const QByteArray &tmp, const QByteArray &tmpMeta);
    void finishBuild(quint64 generation, bool ok, const QString &error);
    void scheduleRebuild(int delayMs);
    QList<QByteArray> scriptArgs(qint64 id, qint64 bits, int hashes) const;
    void addTo(const QByteArray &filterKey, const QByteArray &metaKey, qint64 bits, int hashes, qint64 id, bool live,
        bool retried = false);
    void query(qint64 id, QObject *context, std::function<void(const RedisReply &reply, Answer answer)> done);
    /// What a check script's reply says (and the rebuild or adoption it calls for).
    Answer interpret(const RedisReply &reply);
    /// Takes m, k, n from the meta hash; false (and a rebuild) when it is unusable.
    bool adoptMeta(const QList<QPair<QByteArray, QByteArray>> &meta);
    void onTraceRecorded(quint64 traceId, bool notFound);
    void touchStats();

    ProductService *m_service;
    RedisClient *m_redis;
    TracedRedis *m_traced; ///< a child of this object: the traced check on a miss
    QByteArray m_key; ///< CacheKeys::bloomFor(the repository's path)
    SwapGate m_swapGate;
    bool m_noRetry = false; ///< the last build failed with NOPERM: no automatic retries
    Settings m_settings;
    Mode m_mode = Mode::Unknown;
    State m_state = State::NotBuilt;
    bool m_filterKnown = false; ///< m/k below describe a filter built (or adopted) in Redis
    qint64 m_bits = 0;
    int m_hashes = 0;
    qint64 m_items = 0;
    qint64 m_capacity = 0;
    double m_builtRate = 0;
    quint64 m_generation = 0; ///< bumped per build; stale replies are ignored
    bool m_building = false;
    QSet<qint64> m_pendingAdds; ///< ids seen while a build runs, written into the new filter
    QByteArray m_buildTmp; ///< the temporary filter being written (empty otherwise): adds go there too
    qint64 m_buildBits = 0;
    int m_buildHashes = 0;
    QSet<quint64> m_maybeTraces; ///< traces of gets the filter let through, awaiting their outcome
    Stats m_counters;
    QTimer m_statsTimer;
    QTimer m_rebuildTimer;
    int m_retryMs = 500;
    QElapsedTimer m_buildClock;
};
