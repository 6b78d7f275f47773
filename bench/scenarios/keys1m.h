// keys-1m: the key browser model (KeyScanner + KeyTableModel, wired the way
// the dashboard's key browser wires them) loads 1,000,000 keys, half with a
// TTL, against a bare SCAN COUNT 1000 loop over raw hiredis (names only).
// Goals: time <= 2.0x baseline; model memory <= 128 MiB (RSS delta of this
// process); longest event-loop stall <= 50 ms (10 ms timer-lag probe).
//
// keys-10m: the same at ten million keys, with the memory goal per key
// (<= 48 bytes, names included). While the keys load, a view's work is
// timed every 100 ms: one screen of rows read as a view paints them at a
// random scroll position, and a key looked up as selecting it does.
#pragma once

#include "rawredis.h"
#include "scenario.h"

class KeyScanner;
class KeyTableModel;

class Keys1mScenario : public Scenario
{
public:
    static constexpr double MemoryGoalMiB = 128;
    static constexpr double StallGoalMs = 50;
    /// Rows a key browser window shows; the dashboard fetches TYPE/PTTL for
    /// visible rows only.
    static constexpr int VisibleRows = 40;

    QString name() const override { return QStringLiteral("keys-1m"); }
    QString description() const override;
    qint64 defaultN() const override { return 1000000; }
    Goal goal() const override
    {
        return { GoalDirection::AtMost, 2.0, QStringLiteral("time <= 2.0x, <= 128 MiB, stall <= 50 ms") };
    }
    SampleUnit unit() const override { return SampleUnit::Seconds; }
    QStringList serverArgs() const override;

    bool setUp(const BenchContext &ctx, QString *error) override;
    Sample runBaseline(int round) override;
    Sample runCacheLab(int round) override;
    void tearDown() override;
    Evaluation evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const override;

protected:
    virtual double memoryGoalMiB(qint64 keys) const;

private:
    bool populate(QString *error);
    /// After a load: TYPE/PTTL/MEMORY USAGE for every row, the way a user
    /// scrolling through all of them would cause. Reported, not a goal.
    void measureFullDetails(KeyScanner &scanner, KeyTableModel &model, Sample *into);

    BenchContext m_ctx;
    RawRedis m_raw;
};

class Keys10mScenario final : public Keys1mScenario
{
public:
    static constexpr double MemoryGoalBytesPerKey = 48;

    QString name() const override { return QStringLiteral("keys-10m"); }
    qint64 defaultN() const override { return 10000000; }
    Goal goal() const override
    {
        return { GoalDirection::AtMost, 2.0, QStringLiteral("time <= 2.0x, <= 48 B/key, stall <= 50 ms") };
    }

protected:
    double memoryGoalMiB(qint64 keys) const override;
};
