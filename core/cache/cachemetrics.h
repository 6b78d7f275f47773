// CacheMetrics: counters and latency percentiles of the service.
//
// One instance lives in ProductService; snapshot() gives a plain value the
// dashboard and the HTTP API can show. Latencies are kept per
// (operation, strategy) in a bounded window of the most recent samples, so a
// long demo does not grow memory and the percentiles follow the present.
#pragma once

#include "strategykind.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <vector>

struct LatencyStats final
{
    QString operation;
    StrategyKind strategy = StrategyKind::None;
    quint64 count = 0; ///< all calls since reset
    quint64 errors = 0; ///< calls that ended Error/Unavailable
    qint64 p50Micros = 0;
    qint64 p95Micros = 0;
    qint64 p99Micros = 0;
    qint64 maxMicros = 0;
};

struct MetricsSnapshot final
{
    quint64 hits = 0;
    quint64 misses = 0;
    quint64 negativeHits = 0;
    quint64 fills = 0;
    quint64 staleSkips = 0;
    quint64 invalidations = 0;
    quint64 coalesced = 0; ///< gets that joined another load instead of reading SQL
    quint64 dbReads = 0; ///< SQL read calls issued by the service
    quint64 dbWrites = 0; ///< SQL write calls (incl. write-behind flushes)
    quint64 redisCommands = 0;
    quint64 writeBehindQueued = 0;
    quint64 writeBehindFlushed = 0; ///< items written to SQLite by the worker
    quint64 writeBehindCoalesced = 0; ///< accepted writes whose id was already queued
    quint64 readDeadlines = 0; ///< reads answered without Redis because it did not answer in time
    int queueDepth = 0; ///< queue + processing, last seen
    QList<LatencyStats> latencies;

    /// hits / (hits + misses); negative hits count as hits. 0 when no reads.
    double hitRatio() const;
    QJsonObject toJson() const;
};

class CacheMetrics final
{
public:
    static constexpr int WindowSize = 2048;

    void recordOperation(const QString &operation, StrategyKind strategy, qint64 micros, bool failed);
    void reset();
    MetricsSnapshot snapshot() const;

    quint64 hits = 0;
    quint64 misses = 0;
    quint64 negativeHits = 0;
    quint64 fills = 0;
    quint64 staleSkips = 0;
    quint64 invalidations = 0;
    quint64 coalesced = 0;
    quint64 dbReads = 0;
    quint64 dbWrites = 0;
    quint64 redisCommands = 0;
    quint64 writeBehindQueued = 0;
    quint64 writeBehindFlushed = 0;
    quint64 writeBehindCoalesced = 0;
    quint64 readDeadlines = 0;
    int queueDepth = 0;

private:
    struct Series
    {
        quint64 count = 0;
        quint64 errors = 0;
        std::vector<qint64> window; ///< ring buffer of the latest samples
        size_t next = 0;
    };
    QHash<QPair<QString, int>, Series> m_series;
};

Q_DECLARE_METATYPE(MetricsSnapshot)
