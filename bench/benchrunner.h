// BenchRunner: runs scenarios A B A B ... and reports them.
//
// For each scenario: start its redis-server (or use --redis URL), set up,
// alternate baseline and CacheLab rounds, evaluate, tear down, stop the
// server. Reports are one JSON object per scenario (printed as one line with
// --json) or a row of the human table.
#pragma once

#include "redisurl.h"
#include "scenario.h"

#include <optional>
#include <QJsonObject>
#include <QList>

struct BenchOptions final
{
    std::optional<qint64> n; ///< --n; else each scenario's default
    int rounds = 3; ///< --rounds (at least 3)
    std::optional<RedisUrl> redis; ///< --redis URL; else a child per scenario
    bool allowFlush = false; ///< --flush: an external db may be emptied
    QJsonObject settings; ///< --settings JSON for every ProductService
    bool json = false;
    bool verbose = false;
};

struct ScenarioReport final
{
    QString name;
    QString description;
    qint64 n = 0;
    Goal goal;
    SampleUnit unit = SampleUnit::Throughput;
    QList<Sample> baseline;
    QList<Sample> cachelab;
    Evaluation evaluation;
    bool skipped = false;
    QString error; ///< set when the scenario could not run (setUp or a round failed)
    QString redisVersion;
    QJsonObject settings; ///< --settings, when given
    double wallSeconds = 0;

    QJsonObject toJson() const;
};

class BenchRunner final
{
public:
    explicit BenchRunner(BenchOptions options)
        : m_options(std::move(options))
    { }

    ScenarioReport run(Scenario &scenario);

    /// The human table for reports already run.
    static QString table(const QList<ScenarioReport> &reports);
    static int cores();

private:
    BenchOptions m_options;
};
