// write-latency: p50 of a ProductService::update() call under write-behind
// against the p50 under write-through, same service, same file DB, one call
// at a time. Goal: ratio <= 0.20 (lower is better).
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
    Goal goal() const override { return { GoalDirection::AtMost, 0.20, QStringLiteral("<= 0.20") }; }
    SampleUnit unit() const override { return SampleUnit::Micros; }

    bool setUp(const BenchContext &ctx, QString *error) override;
    Sample runBaseline(int round) override;
    Sample runCacheLab(int round) override;
    void tearDown() override;

private:
    Sample runSaves(StrategyKind strategy);

    BenchContext m_ctx;
    ProductFixture m_fixture;
    qint64 m_counter = 0;
};
