// ApproxLruLab: Redis's sampled LRU against exact LRU, by the protocol of
// Redis's own LRU test: fill the cache to maxmemory, touch half of the keys,
// add new keys (each forces an eviction), then see which keys survived.
//
// Exact LRU evicts exactly the old keys nobody touched. Redis instead samples
// maxmemory-samples keys per eviction (plus a pool of good candidates kept
// between evictions) and evicts the idlest it saw, so some touched keys go
// too. The lab runs samples 1, 5 and 10 on a private redis-server and scores
// each: the share of keys Redis evicted that exact LRU would have kept.
// Redis's LRU clock ticks once a second, so the lab waits for a tick
// (INFO lru_clock changes) between the phases: otherwise fill and touch would
// look equally old.
#pragma once

#include "lab.h"

#include <vector>

class ApproxLruLab final : public Lab
{
    Q_OBJECT

public:
    explicit ApproxLruLab(QObject *parent = nullptr);

    QString name() const override { return QStringLiteral("approx-lru"); }
    QString title() const override;
    QString description() const override;
    QString referenceText() const override;

    static const std::vector<int> &sampleSettings();
    static constexpr int ValueBytes = 8000;

protected:
    void plan() override;
    void conclude() override;

private:
    struct Run
    {
        int samples = 0;
        std::vector<char> kept; ///< per key: still in Redis at the end
        qint64 maxmemory = 0;
    };
    void planRun(std::size_t run);
    void waitForTick(StepDone done, qint64 since, int polls);
    /// The access sequence the protocol makes: keys 0..K-1, 0..K/2-1, K..3K/2-1.
    std::vector<int> sequence() const;

    int m_keys = 0;
    std::vector<Run> m_runs;
    qint64 m_clock = 0; ///< lru_clock last read
    QByteArray m_scriptSha;
};
