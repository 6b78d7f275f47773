// write-latency: p50 of a ProductService::update() call under write-behind
// against the p50 under write-through, same service, same file DB, one call
// at a time. Goal: ratio <= 0.20 (lower is better), or, where the box is so
// idle that one round trip alone costs more than that, a p50 within 1.2x of
// the raw round trip below (the floor no client can beat).
//
// Each CacheLab round also measures a floor: the p50 of the same wb-write
// script called one at a time over raw hiredis (under its own key prefix, so
// CacheLab's worker never sees those writes). A write-behind save is one
// such round trip, so floor / baseline is the lowest ratio any client of
// this design could reach on this machine: on an idle box a loopback round
// trip alone can take 100 us.
#pragma once

#include "productfixture.h"
#include "scenario.h"

class WriteLatencyScenario final : public Scenario
{
public:
    static constexpr qint64 Rows = 1000;

    QString name() const override { return QStringLiteral("write-latency"); }
    QString description() const override;
    qint64 defaultN() const override { return 2000; }
    static constexpr double FloorFactor = 1.2;
    Goal goal() const override
    {
        return { GoalDirection::AtMost, 0.20, QStringLiteral("<= 0.20, or p50 <= 1.2x one raw round trip") };
    }
    SampleUnit unit() const override { return SampleUnit::Micros; }

    bool setUp(const BenchContext &ctx, QString *error) override;
    Sample runBaseline(int round) override;
    Sample runCacheLab(int round) override;
    void tearDown() override;
    Evaluation evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const override;

private:
    Sample runSaves(StrategyKind strategy);
    /// p50 in microseconds of raw EVALSHA wb-write round trips; <= 0 on error.
    double scriptRoundTripP50(QString *error);

    BenchContext m_ctx;
    ProductFixture m_fixture;
    qint64 m_counter = 0;
};
