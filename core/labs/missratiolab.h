// MissRatioLab: hit ratio against cache size, for a Zipf workload, under
// every policy at once: exact LRU, LFU and random eviction simulated in-app,
// Che's approximation for LRU, Belady's offline optimum as the floor, and
// the real Redis with allkeys-lru, allkeys-lfu and allkeys-random at a
// maxmemory that holds the same number of keys.
//
// The same seeded trace goes to every policy. Hit ratios count the requests
// after a warm-up (the first fifth of the trace), so the empty cache's first
// fill does not blur the steady state Che's formula describes. Redis's
// maxmemory is set from a measured bytes-per-key and corrected twice during
// the warm-up from DBSIZE (client buffers count against maxmemory too), so
// "10%" means the same number of keys for Redis as for the simulations; the
// keys Redis really held are reported beside each point.
#pragma once

#include "cachesim.h"
#include "lab.h"

#include <QElapsedTimer>

#include <memory>
#include <vector>

class MissRatioLab final : public Lab
{
    Q_OBJECT

public:
    explicit MissRatioLab(QObject *parent = nullptr);

    QString name() const override { return QStringLiteral("miss-ratio-curve"); }
    QString title() const override;
    QString description() const override;
    QString referenceText() const override;

    /// The cache sizes swept, as fractions of the key count.
    static const std::vector<double> &fractions();
    /// Bytes in each value Redis stores (large, so a key's own overhead and
    /// the client buffers are small beside it).
    static constexpr int ValueBytes = 8000;

protected:
    bool usesServer() const override { return param(QStringLiteral("redis")) != 0; }
    void plan() override;
    void conclude() override;

private:
    struct Point
    {
        double fraction = 0;
        int capacity = 0;
        std::unique_ptr<CacheSim::Lru> lru;
        std::unique_ptr<CacheSim::Lfu> lfu;
        std::unique_ptr<CacheSim::Opt> opt;
        std::unique_ptr<CacheSim::RandomEviction> random;
        double che = 0;
        // Redis, per policy (0 lru, 1 lfu, 2 random)
        qint64 hits[3] = { 0, 0, 0 };
        qint64 counted[3] = { 0, 0, 0 };
        qint64 held[3] = { 0, 0, 0 };
        qint64 replayMs[3] = { 0, 0, 0 };
        qint64 refused[3] = { 0, 0, 0 }; ///< fills Redis refused with OOM (counted as misses)
    };
    void planReplay(int policy, std::size_t point);

    int m_keys = 0;
    std::int64_t m_warmup = 0;
    std::vector<int> m_trace;
    std::vector<std::int64_t> m_nextUse;
    std::vector<QByteArray> m_keyNames;
    std::vector<Point> m_points;
    QByteArray m_scriptSha;
    qint64 m_baseMemory = 0;
    double m_bytesPerKey = 0;
    qint64 m_maxmemory = 0; ///< the replay's current setting
    QElapsedTimer m_replayClock;
};
