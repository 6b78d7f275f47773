// redis-benchmark: the hit-seq CacheLab figure against
// `redis-benchmark -c 1 -n N --csv HGETALL product:1`, the tool Redis users
// already trust. Skipped when redis-benchmark is not installed.
// Goal: ratio >= 0.80.
#pragma once

#include "hitseq.h"

class RedisBenchmarkScenario final : public HitSeqScenario
{
public:
    QString name() const override { return QStringLiteral("redis-benchmark"); }
    QString description() const override;
    QString skipReason() const override;
    Sample runBaseline(int round) override;

    static QString findTool();
    /// The "rps" column of redis-benchmark's --csv output; 0 when absent.
    static double parseCsvRps(const QByteArray &csv);
};
