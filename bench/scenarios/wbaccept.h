// wb-accept: how fast write-behind acknowledges writes. N updates (default
// 100,000) over N/10 warm ids through ProductService, write-behind, 64 in
// flight, timed until the last one is acknowledged (held by Redis, not yet
// in SQLite: the worker is paused while a round runs and drained between
// rounds, untimed). Baseline: the one-script-per-write ceiling, the very
// wb-write script sent once per write over raw hiredis, 64 in flight, on
// keys of its own. Only sending several writes in one script call can beat
// that ceiling. Goal: ratio >= 1.5. Also reported: the p50 and p99 of one
// write's time from update() to its answer with 64 in flight (what a
// write-behind save costs a client of a busy service).
#pragma once

#include "productfixture.h"
#include "scenario.h"

class WbAcceptScenario final : public Scenario
{
public:
    static constexpr int Window = 64;

    QString name() const override { return QStringLiteral("wb-accept"); }
    QString description() const override;
    qint64 defaultN() const override { return 100000; }
    Goal goal() const override { return { GoalDirection::AtLeast, 1.5, QStringLiteral(">= 1.5") }; }

    bool setUp(const BenchContext &ctx, QString *error) override;
    Sample runBaseline(int round) override;
    Sample runCacheLab(int round) override;
    void tearDown() override;
    Evaluation evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const override;

private:
    qint64 ids() const { return std::max<qint64>(1, m_ctx.n / 10); }

    BenchContext m_ctx;
    ProductFixture m_fixture;
    qint64 m_round = 0;
};
