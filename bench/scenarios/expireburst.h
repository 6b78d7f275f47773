// expire-burst: 100,000 keys expire within a few seconds; every `expired`
// keyspace event must reach the dashboard's event path: KeyspaceWatcher
// (configured as Backend configures it: keyspace mode, batched every
// 100 ms) -> eventsBatched -> a per-kind counter (what the events panel
// counts) and KeyTableModel::applyEvents (the key browser, which must end
// empty). The event log model itself lives in ui/ and is a bounded ring, so
// the counter is the figure. Baseline: the number of keys set, and a raw
// hiredis PSUBSCRIBE on the same pattern counting the same events.
// Goal: 100% delivered, subscriber never cut off by the output-buffer limit.
// Also reported: rows the key browser model still holds afterwards (it must
// hold none) and the longest event-loop stall during the burst.
#pragma once

#include "scenario.h"

class ExpireBurstScenario final : public Scenario
{
public:
    QString name() const override { return QStringLiteral("expire-burst"); }
    QString description() const override;
    qint64 defaultN() const override { return 100000; }
    Goal goal() const override
    {
        return { GoalDirection::AtLeast, 1.0, QStringLiteral("100% delivered, no disconnect") };
    }
    SampleUnit unit() const override { return SampleUnit::Fraction; }
    QStringList serverArgs() const override;

    bool setUp(const BenchContext &ctx, QString *error) override;
    Sample runBaseline(int round) override;
    Sample runCacheLab(int round) override;
    Evaluation evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const override;

private:
    /// Lead time before the first key expires and the window the expiries spread over.
    int leadMs() const;
    int spreadMs() const;
    /// Starts a thread that SETs the burst keys with PX spread over the window.
    class Setter;

    BenchContext m_ctx;
};
