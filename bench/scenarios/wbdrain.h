// wb-drain: N updates (default 100,000) over N/10 ids through write-behind
// until SQLite holds every final row (file DB), against the same final rows
// upserted with the sqlite3 C API in batched transactions (same statement
// as the repository's versioned upsert). Both figures are N updates divided
// by the time to reach the final state. Goal: ratio >= 0.50.
//
// Each CacheLab round also measures a ceiling: the same N writes sent as the
// very script CacheLab runs (wb-write) over raw hiredis, 64 in flight, with
// no service, no trace and no SQLite. No client of this design can accept the
// writes faster than Redis runs that script, so ceiling / baseline bounds the
// ratio any implementation could reach on this machine.
#pragma once

#include "scenario.h"

class WbDrainScenario final : public Scenario
{
public:
    /// Saves the bench keeps in flight.
    static constexpr int Window = 64;
    static constexpr int SqlBatch = 1000;

    QString name() const override { return QStringLiteral("wb-drain"); }
    QString description() const override;
    qint64 defaultN() const override { return 100000; }
    Goal goal() const override { return { GoalDirection::AtLeast, 0.50, QStringLiteral(">= 0.50") }; }

    bool setUp(const BenchContext &ctx, QString *error) override;
    Sample runBaseline(int round) override;
    Sample runCacheLab(int round) override;
    Evaluation evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const override;

private:
    /// Raw hiredis, EVALSHA wb-write pipelined Window deep: updates per second.
    double redisCeiling(QString *error) const;
    qint64 ids() const { return std::max<qint64>(1, m_ctx.n / 10); }
    /// Update k writes id 1 + k % ids with price k, so the final price of
    /// every id is >= n - ids and every earlier one is below.
    qint64 finalPriceFloor() const { return m_ctx.n - ids(); }
    /// A fresh copy of the seeded database for one run.
    bool freshCopy(const QString &name, QString *path, QString *error) const;

    BenchContext m_ctx;
    QString m_template;
};
