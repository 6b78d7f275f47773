// LfuCounterLab: how Redis's 8-bit LFU counter grows with hits, for
// lfu-log-factor 0, 1, 10 and 100, beside the table in redis.conf.
//
// The counter is Morris-style: a key starts at 5 (LFU_INIT_VAL); each
// access raises it by one with probability 1 / ((counter - 5) * factor + 1),
// and it stops at 255. So it grows like a logarithm of the hits, and two
// runs of the same experiment give slightly different numbers. The lab
// measures it on a private redis-server (maxmemory-policy allkeys-lfu,
// lfu-decay-time 0, INCR as in redis.conf's own note), reads it back with
// OBJECT FREQ, and computes the spread of the same random process in-app
// (many seeded trials), so a reading is judged against the range chance
// allows rather than against one number.
#pragma once

#include "lab.h"

#include <map>
#include <vector>

class LfuCounterLab final : public Lab
{
    Q_OBJECT

public:
    explicit LfuCounterLab(QObject *parent = nullptr);

    QString name() const override { return QStringLiteral("lfu-counter"); }
    QString title() const override;
    QString description() const override;
    QString referenceText() const override;

    /// redis.conf's table: factor -> {hits -> counter}.
    static const std::map<int, std::map<qint64, int>> &docsTable();
    /// The in-app model: counters after `hits` (sorted ascending) for
    /// `trials` runs of Redis's increment rule; one vector per checkpoint.
    static std::vector<std::vector<int>> modelCounters(int factor, const std::vector<qint64> &hits, int trials,
        std::uint64_t seed);

protected:
    void plan() override;
    void conclude() override;

private:
    std::vector<qint64> checkpoints() const;
    /// factor -> (hits -> OBJECT FREQ), every reading taken (the chart's line).
    std::map<int, std::map<qint64, int>> m_readings;
    /// factor -> per checkpoint the model's counters, sorted.
    std::map<int, std::vector<std::vector<int>>> m_model;
};
