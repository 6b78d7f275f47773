// startup: the cachelab program from launch until its window is up and the
// embedded Redis answers through it (the first GET /product/1 of the HTTP
// API answered 200: the service read the product through Redis), against a
// bare redis-server from launch to its first PONG, in the same run. n is the
// number of products in the database file the program opens.
// Goals: <= 0.25 s; <= 1.5x the bare start + 200 ms; <= 80 MiB resident
// (the cachelab process; the embedded server's own is reported beside it).
#pragma once

#include "scenario.h"

class StartupScenario final : public Scenario
{
public:
    static constexpr double AbsoluteGoalSeconds = 0.25;
    static constexpr double RelativeGoalFactor = 1.5;
    static constexpr double RelativeGoalExtraSeconds = 0.2;
    static constexpr double MemoryGoalMiB = 80;

    QString name() const override { return QStringLiteral("startup"); }
    QString description() const override;
    qint64 defaultN() const override { return 20; }
    Goal goal() const override
    {
        return { GoalDirection::AtMost, RelativeGoalFactor,
            QStringLiteral("<= 0.25 s, <= 1.5x bare start + 200 ms, <= 80 MiB") };
    }
    SampleUnit unit() const override { return SampleUnit::Seconds; }
    QString skipReason() const override;

    bool setUp(const BenchContext &ctx, QString *error) override;
    Sample runBaseline(int round) override;
    Sample runCacheLab(int round) override;
    Evaluation evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const override;

private:
    static QString appBinary();

    BenchContext m_ctx;
    QString m_dbTemplate; ///< a seeded database; each round starts from a copy
};
