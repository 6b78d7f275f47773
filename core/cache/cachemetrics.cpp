// CacheMetrics: counters plus a ring buffer of latencies per series.
#include "cachemetrics.h"

#include <algorithm>
#include <cmath>
#include <QJsonArray>

double MetricsSnapshot::hitRatio() const
{
    const quint64 reads = hits + negativeHits + misses;
    return reads == 0 ? 0.0 : double(hits + negativeHits) / double(reads);
}

QJsonObject MetricsSnapshot::toJson() const
{
    QJsonArray lat;
    for (const LatencyStats &l : latencies) {
        lat.append(QJsonObject { { QStringLiteral("operation"), l.operation },
            { QStringLiteral("strategy"), strategyName(l.strategy) }, { QStringLiteral("count"), qint64(l.count) },
            { QStringLiteral("errors"), qint64(l.errors) }, { QStringLiteral("p50Micros"), l.p50Micros },
            { QStringLiteral("p95Micros"), l.p95Micros }, { QStringLiteral("p99Micros"), l.p99Micros },
            { QStringLiteral("maxMicros"), l.maxMicros } });
    }
    return QJsonObject { { QStringLiteral("hits"), qint64(hits) }, { QStringLiteral("misses"), qint64(misses) },
        { QStringLiteral("negativeHits"), qint64(negativeHits) }, { QStringLiteral("hitRatio"), hitRatio() },
        { QStringLiteral("fills"), qint64(fills) }, { QStringLiteral("staleSkips"), qint64(staleSkips) },
        { QStringLiteral("readDeadlines"), qint64(readDeadlines) },
        { QStringLiteral("invalidations"), qint64(invalidations) }, { QStringLiteral("coalesced"), qint64(coalesced) },
        { QStringLiteral("dbReads"), qint64(dbReads) }, { QStringLiteral("dbWrites"), qint64(dbWrites) },
        { QStringLiteral("redisCommands"), qint64(redisCommands) },
        { QStringLiteral("writeBehindQueued"), qint64(writeBehindQueued) },
        { QStringLiteral("writeBehindFlushed"), qint64(writeBehindFlushed) },
        { QStringLiteral("writeBehindCoalesced"), qint64(writeBehindCoalesced) },
        { QStringLiteral("queueDepth"), queueDepth }, { QStringLiteral("latencies"), lat } };
}

void CacheMetrics::recordOperation(const QString &operation, StrategyKind strategy, qint64 micros, bool failed)
{
    Series &s = m_series[qMakePair(operation, int(strategy))];
    ++s.count;
    if (failed)
        ++s.errors;
    if (s.window.size() < size_t(WindowSize)) {
        s.window.push_back(micros);
    } else {
        s.window[s.next] = micros;
        s.next = (s.next + 1) % size_t(WindowSize);
    }
}

void CacheMetrics::reset()
{
    const int depth = queueDepth;
    *this = CacheMetrics();
    queueDepth = depth; // a live figure, not a counter
}

MetricsSnapshot CacheMetrics::snapshot() const
{
    MetricsSnapshot m;
    m.hits = hits;
    m.misses = misses;
    m.negativeHits = negativeHits;
    m.fills = fills;
    m.staleSkips = staleSkips;
    m.readDeadlines = readDeadlines;
    m.invalidations = invalidations;
    m.coalesced = coalesced;
    m.dbReads = dbReads;
    m.dbWrites = dbWrites;
    m.redisCommands = redisCommands;
    m.writeBehindQueued = writeBehindQueued;
    m.writeBehindFlushed = writeBehindFlushed;
    m.writeBehindCoalesced = writeBehindCoalesced;
    m.queueDepth = queueDepth;
    for (auto it = m_series.cbegin(); it != m_series.cend(); ++it) {
        LatencyStats l;
        l.operation = it.key().first;
        l.strategy = StrategyKind(it.key().second);
        l.count = it.value().count;
        l.errors = it.value().errors;
        std::vector<qint64> sorted = it.value().window;
        std::sort(sorted.begin(), sorted.end());
        // Nearest-rank percentile: the smallest sample with at least p% at or below it.
        auto pct = [&](double p) -> qint64 {
            if (sorted.empty())
                return 0;
            size_t rank = size_t(std::ceil(p / 100.0 * double(sorted.size())));
            rank = std::clamp<size_t>(rank, 1, sorted.size());
            return sorted[rank - 1];
        };
        l.p50Micros = pct(50);
        l.p95Micros = pct(95);
        l.p99Micros = pct(99);
        l.maxMicros = sorted.empty() ? 0 : sorted.back();
        m.latencies << l;
    }
    std::sort(m.latencies.begin(), m.latencies.end(), [](const LatencyStats &a, const LatencyStats &b) {
        return a.operation != b.operation ? a.operation < b.operation : int(a.strategy) < int(b.strategy);
    });
    return m;
}
