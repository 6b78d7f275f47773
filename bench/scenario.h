// Scenario: one benchmark, its baseline and the CacheLab path, side by side.
//
// The runner (benchrunner.h) starts the scenario's redis-server, calls
// setUp(), then alternates runBaseline() and runCacheLab() round by round
// (A B A B ...) so drift on a shared machine hits both sides alike, and
// finally evaluate() turns the per-round samples into a ratio, a goal check
// and any extra figures. Each scenario lives in its own file pair under
// scenarios/ and is listed in scenarios.h.
#pragma once

#include <functional>
#include <memory>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

class BenchServer;

/// How the goal compares the ratio CacheLab / baseline.
enum class GoalDirection { AtLeast, AtMost };

/// What a sample's value means; decides the JSON field names.
enum class SampleUnit {
    Throughput, ///< value = operations per second (higher is better)
    Seconds, ///< value = elapsed seconds for the whole job (lower is better)
    Micros, ///< value = a latency in microseconds (lower is better)
    Fraction, ///< value = a share of work completed, 0..1 (higher is better)
};

/// One timed run of one side.
struct Sample final
{
    bool ok = false;
    QString error; ///< why the run failed (then ok is false)
    qint64 ops = 0; ///< units of work done (gets, keys, events, updates)
    double seconds = 0;
    double value = 0; ///< in the scenario's unit (see SampleUnit)
    QJsonObject extra; ///< per-round figures a scenario wants to report

    static Sample failed(const QString &why)
    {
        Sample s;
        s.error = why;
        return s;
    }
    /// ops in seconds, value = ops / seconds.
    static Sample throughput(qint64 ops, double seconds)
    {
        Sample s;
        s.ok = seconds > 0;
        s.ops = ops;
        s.seconds = seconds;
        s.value = seconds > 0 ? double(ops) / seconds : 0;
        if (!s.ok)
            s.error = QStringLiteral("no time measured");
        return s;
    }
};

struct Goal final
{
    GoalDirection direction = GoalDirection::AtLeast;
    double ratio = 1.0;
    QString text; ///< as in the issue's table, e.g. ">= 0.80"
};

/// What the runner hands to a scenario.
struct BenchContext final
{
    BenchServer *server = nullptr;
    qint64 n = 0; ///< the scenario's main size (--n or its default)
    int rounds = 3;
    bool verbose = false;
    QString workDir; ///< a temporary directory for database files
    QJsonObject settings; ///< --settings: CacheSettings JSON laid over each scenario's own
};

/// The outcome of evaluate(): the ratio and whether every goal was met.
struct Evaluation final
{
    double ratio = 0;
    bool met = false;
    QStringList notes; ///< short human notes for the table ("stall 12 ms")
    QJsonObject fields; ///< extra JSON fields (memory, stalls, lost events, ...)
};

class Scenario
{
public:
    virtual ~Scenario() = default;

    virtual QString name() const = 0;
    /// One line: "CacheLab path | baseline".
    virtual QString description() const = 0;
    virtual qint64 defaultN() const = 0;
    virtual Goal goal() const = 0;
    virtual SampleUnit unit() const { return SampleUnit::Throughput; }
    /// Extra redis-server arguments ("--hz", "100", ...).
    virtual QStringList serverArgs() const { return {}; }
    /// When the scenario cannot run here (a tool is missing), a reason; the
    /// runner then reports it as skipped instead of failing.
    virtual QString skipReason() const { return {}; }

    /// Prepares data and connections; false with *error when it cannot run.
    virtual bool setUp(const BenchContext &ctx, QString *error) = 0;
    virtual Sample runBaseline(int round) = 0;
    virtual Sample runCacheLab(int round) = 0;
    virtual void tearDown() { }

    /// Default: ratio = median(CacheLab) / median(baseline) in the unit,
    /// met = the ratio passes the goal. Scenarios with more goals extend it.
    virtual Evaluation evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const;

    static double median(const QList<Sample> &samples);
    static double medianOf(QList<double> values);
    /// A bound measured in the same run (a raw-client ceiling or floor kept
    /// in each CacheLab sample's extra[key]): its median goes into e.fields
    /// under key, and its ratio to the baseline median, returned, under
    /// ratioField.
    static double addBound(Evaluation &e, const QList<Sample> &baseline, const QList<Sample> &cachelab,
        const QString &key, const QString &ratioField);
};

using ScenarioFactory = std::function<std::unique_ptr<Scenario>()>;
