// CacheSettings: the knobs of the caching service, as one value.
//
// ProductService::setSettings() applies a whole value at once (clamped to the
// documented ranges) and emits settingsChanged(), so a settings panel, the
// HTTP API and the benchmark all go through one door.
#pragma once

#include <optional>
#include <QJsonObject>
#include <QMetaType>
#include <QString>

/// How concurrent misses of one key are kept from all hitting the database.
enum class StampedeMode {
    Off, ///< "off": every miss loads from the database
    SingleFlight, ///< "single-flight": one load per key in this process, others join it
    RedisLock, ///< "lock": SET lock NX PX token; others wait for the fill
    EarlyRefresh, ///< "xfetch": probabilistic early refresh before expiry
};

QString stampedeModeName(StampedeMode mode);
std::optional<StampedeMode> stampedeModeFromName(const QString &name);
QStringList stampedeModeNames();

struct CacheSettings final
{
    /// Prepended to every key this app writes ("" → "product:1").
    QString keyPrefix;
    /// TTL of a cached product. 1..86400 s. Default 60.
    int ttlSeconds = 60;
    /// Each TTL is randomised by ±this percent against synchronised expiry. 0..50.
    int ttlJitterPercent = 0;
    /// TTL of a "this id does not exist" entry. 0 disables negative caching. 0..3600 s.
    int negativeTtlSeconds = 10;
    /// How long an invalidation guard refuses older fills. Must outlive the
    /// slowest database read. 1..3600 s.
    int guardTtlSeconds = 30;
    /// How long a read waits for Redis before it is answered from SQLite
    /// instead (marked degraded; a late reply is discarded). Whether the
    /// connection is healthy is still decided by the client's command
    /// timeout. 0 waits as long as that. 0..10000 ms.
    int readDeadlineMs = 250;
    /// The stale-set guard (compare-and-set fills + invalidation guards).
    /// Off only to demonstrate the race it prevents.
    bool staleSetGuard = true;

    StampedeMode stampede = StampedeMode::SingleFlight;
    /// Redis lock expiry (lock mode). 100..60000 ms.
    int lockTtlMs = 5000;
    /// How long a waiter polls for the lock holder's fill before loading
    /// itself (lock mode). 100..60000 ms.
    int lockWaitMs = 3000;
    /// XFetch beta: > 1 refreshes earlier, < 1 later. 0.1..10.
    double xfetchBeta = 1.0;

    /// Write-behind: most queue items moved per flush. 1..10000.
    int writeBehindBatchSize = 100;
    /// Write-behind: pause between flushes when the queue is not empty. 10..60000 ms.
    int writeBehindFlushIntervalMs = 1000;

    /// Length of the recent-products list. 1..100. Default 10.
    int recentLimit = 10;
    /// Whether get() records the id in the recent list.
    bool trackRecent = true;
    /// Products per pipelined batch during warm-up. 1..10000.
    int warmUpBatchSize = 100;

    /// Pub/sub channel that carries invalidations between instances.
    QString invalidationChannel = QStringLiteral("cachelab:invalidate");
    /// Publish this instance's invalidations / act on other instances' ones.
    bool publishInvalidations = true;

    /// Returns a copy with every field clamped to its range.
    CacheSettings clamped() const;
    QJsonObject toJson() const;
    /// Unknown keys are ignored; missing keys keep the value of `base`.
    static CacheSettings fromJson(const QJsonObject &json, const CacheSettings &base);
    static CacheSettings fromJson(const QJsonObject &json) { return fromJson(json, CacheSettings()); }

    bool operator==(const CacheSettings &o) const = default;
};

Q_DECLARE_METATYPE(CacheSettings)
