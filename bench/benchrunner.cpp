// BenchRunner: A/B rounds, JSON lines and the human table (see benchrunner.h).
#include "benchrunner.h"

#include "benchloop.h"
#include "benchserver.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>

#include <cmath>
#include <cstdio>

namespace {

QString unitSuffix(SampleUnit unit)
{
    switch (unit) {
    case SampleUnit::Throughput:
        return QStringLiteral("ops_s");
    case SampleUnit::Seconds:
        return QStringLiteral("seconds");
    case SampleUnit::Micros:
        return QStringLiteral("p50_us");
    case SampleUnit::Fraction:
        return QStringLiteral("fraction");
    }
    return {};
}

double finiteOrZero(double v)
{
    return std::isfinite(v) ? v : 0.0;
}

// Every report carries *_ops_s and *_seconds whatever its unit, so a reader
// (and the smoke test) always finds the same fields.
double opsPerSecond(const Sample &s)
{
    return s.seconds > 0 ? double(s.ops) / s.seconds : 0;
}

QList<double> values(const QList<Sample> &samples, double (*pick)(const Sample &))
{
    QList<double> out;
    for (const Sample &s : samples) {
        if (s.ok)
            out << pick(s);
    }
    return out;
}

QJsonArray roundsJson(const QList<Sample> &samples)
{
    QJsonArray rounds;
    for (const Sample &s : samples) {
        QJsonObject o = s.extra;
        o.insert(QStringLiteral("ok"), s.ok);
        o.insert(QStringLiteral("ops"), s.ops);
        o.insert(QStringLiteral("seconds"), finiteOrZero(s.seconds));
        o.insert(QStringLiteral("value"), finiteOrZero(s.value));
        if (!s.error.isEmpty())
            o.insert(QStringLiteral("error"), s.error);
        rounds.append(o);
    }
    return rounds;
}

QString human(double v, SampleUnit unit)
{
    switch (unit) {
    case SampleUnit::Throughput:
        return v >= 1e6 ? QStringLiteral("%1 M/s").arg(v / 1e6, 0, 'f', 2)
                        : QStringLiteral("%1 k/s").arg(v / 1e3, 0, 'f', 1);
    case SampleUnit::Seconds:
        return QStringLiteral("%1 s").arg(v, 0, 'f', 3);
    case SampleUnit::Micros:
        return QStringLiteral("%1 us").arg(v, 0, 'f', 1);
    case SampleUnit::Fraction:
        return QStringLiteral("%1 %").arg(v * 100, 0, 'f', 2);
    }
    return {};
}

} // namespace

int BenchRunner::cores()
{
    return QThread::idealThreadCount();
}

QJsonObject ScenarioReport::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("scenario"), name);
    o.insert(QStringLiteral("n"), n);
    o.insert(QStringLiteral("cores"), BenchRunner::cores());
    o.insert(QStringLiteral("redis_version"), redisVersion);
    o.insert(QStringLiteral("goal"), goal.ratio);
    o.insert(QStringLiteral("goal_direction"),
        goal.direction == GoalDirection::AtLeast ? QStringLiteral(">=") : QStringLiteral("<="));
    o.insert(QStringLiteral("goal_text"), goal.text);
    o.insert(QStringLiteral("unit"), unitSuffix(unit));
    o.insert(QStringLiteral("wall_seconds"), finiteOrZero(wallSeconds));
    if (!settings.isEmpty())
        o.insert(QStringLiteral("settings"), settings);
    if (skipped) {
        o.insert(QStringLiteral("skipped"), true);
        o.insert(QStringLiteral("reason"), error);
        o.insert(QStringLiteral("met"), QJsonValue());
        return o;
    }
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    o.insert(QStringLiteral("rounds"), qint64(std::min(baseline.size(), cachelab.size())));

    const double bOps = Scenario::medianOf(values(baseline, opsPerSecond));
    const double cOps = Scenario::medianOf(values(cachelab, opsPerSecond));
    const double bSec = Scenario::medianOf(values(baseline, [](const Sample &s) { return s.seconds; }));
    const double cSec = Scenario::medianOf(values(cachelab, [](const Sample &s) { return s.seconds; }));
    o.insert(QStringLiteral("baseline_ops_s"), finiteOrZero(bOps));
    o.insert(QStringLiteral("cachelab_ops_s"), finiteOrZero(cOps));
    o.insert(QStringLiteral("baseline_seconds"), finiteOrZero(bSec));
    o.insert(QStringLiteral("cachelab_seconds"), finiteOrZero(cSec));
    if (unit == SampleUnit::Micros || unit == SampleUnit::Fraction) {
        const QString suffix = unitSuffix(unit);
        o.insert(QStringLiteral("baseline_") + suffix, finiteOrZero(Scenario::median(baseline)));
        o.insert(QStringLiteral("cachelab_") + suffix, finiteOrZero(Scenario::median(cachelab)));
    }
    o.insert(QStringLiteral("ratio"), finiteOrZero(evaluation.ratio));
    o.insert(QStringLiteral("met"), error.isEmpty() && evaluation.met);
    for (auto it = evaluation.fields.begin(); it != evaluation.fields.end(); ++it)
        o.insert(it.key(), it.value());
    if (!evaluation.notes.isEmpty())
        o.insert(QStringLiteral("notes"), QJsonArray::fromStringList(evaluation.notes));
    o.insert(QStringLiteral("baseline_rounds"), roundsJson(baseline));
    o.insert(QStringLiteral("cachelab_rounds"), roundsJson(cachelab));
    return o;
}

ScenarioReport BenchRunner::run(Scenario &scenario)
{
    QElapsedTimer wall;
    wall.start();
    ScenarioReport report;
    report.name = scenario.name();
    report.description = scenario.description();
    report.goal = scenario.goal();
    report.unit = scenario.unit();
    report.n = m_options.n.value_or(scenario.defaultN());
    report.settings = m_options.settings;

    const auto finish = [&]() -> ScenarioReport {
        report.wallSeconds = double(wall.nsecsElapsed()) / 1e9;
        return report;
    };

    if (const QString why = scenario.skipReason(); !why.isEmpty()) {
        report.skipped = true;
        report.error = why;
        return finish();
    }

    BenchServer server;
    QString error;
    const bool up = m_options.redis ? server.useExternal(*m_options.redis, m_options.allowFlush, &error)
                                    : server.startChild(scenario.serverArgs(), &error);
    if (!up) {
        report.error = error;
        return finish();
    }
    report.redisVersion = server.version();

    QTemporaryDir work;
    BenchContext ctx;
    ctx.server = &server;
    ctx.n = report.n;
    ctx.rounds = std::max(3, m_options.rounds);
    ctx.verbose = m_options.verbose;
    ctx.workDir = work.path();
    ctx.settings = m_options.settings;

    if (!scenario.setUp(ctx, &error)) {
        report.error = QStringLiteral("set-up failed: %1").arg(error);
        scenario.tearDown();
        return finish();
    }
    for (int round = 0; round < ctx.rounds; ++round) {
        // A then B, every round: both sides see the same machine weather.
        Sample b = scenario.runBaseline(round);
        Sample c = scenario.runCacheLab(round);
        if (m_options.verbose) {
            std::fprintf(stderr, "[%s] round %d: baseline %s, cachelab %s\n", qPrintable(report.name), round + 1,
                qPrintable(b.ok ? human(b.value, report.unit) : b.error),
                qPrintable(c.ok ? human(c.value, report.unit) : c.error));
        }
        if (!b.ok && report.error.isEmpty())
            report.error = QStringLiteral("baseline round %1: %2").arg(round + 1).arg(b.error);
        if (!c.ok && report.error.isEmpty())
            report.error = QStringLiteral("cachelab round %1: %2").arg(round + 1).arg(c.error);
        report.baseline << b;
        report.cachelab << c;
        if (!b.ok || !c.ok)
            break; // a broken side makes further rounds meaningless
    }
    report.evaluation = scenario.evaluate(report.baseline, report.cachelab);
    scenario.tearDown();
    return finish();
}

QString BenchRunner::table(const QList<ScenarioReport> &reports)
{
    QString out;
    QTextStream ts(&out);
    const auto row = [&ts](const QStringList &cells) {
        static const int widths[] = { 16, 14, 14, 8, 9, 7 };
        for (qsizetype i = 0; i < cells.size(); ++i) {
            if (i < 6)
                ts << cells.at(i).leftJustified(widths[i]) << ' ';
            else
                ts << cells.at(i);
        }
        ts << '\n';
    };
    row({ QStringLiteral("scenario"), QStringLiteral("baseline"), QStringLiteral("cachelab"), QStringLiteral("ratio"),
        QStringLiteral("goal"), QStringLiteral("met"), QStringLiteral("notes") });
    row({ QString(16, QLatin1Char('-')), QString(14, QLatin1Char('-')), QString(14, QLatin1Char('-')),
        QString(8, QLatin1Char('-')), QString(9, QLatin1Char('-')), QString(7, QLatin1Char('-')),
        QStringLiteral("-----") });
    for (const ScenarioReport &r : reports) {
        if (r.skipped) {
            row({ r.name, QStringLiteral("-"), QStringLiteral("-"), QStringLiteral("-"), r.goal.text,
                QStringLiteral("skip"), r.error });
            continue;
        }
        QStringList notes = r.evaluation.notes;
        if (!r.error.isEmpty())
            notes.prepend(QStringLiteral("ERROR: ") + r.error);
        row({ r.name, human(Scenario::median(r.baseline), r.unit), human(Scenario::median(r.cachelab), r.unit),
            QString::number(r.evaluation.ratio, 'f', 3), r.goal.text,
            r.error.isEmpty() && r.evaluation.met ? QStringLiteral("yes") : QStringLiteral("NO"),
            notes.join(QStringLiteral("; ")) });
    }
    ts << "cores: " << cores() << ", rounds: A/B alternated, medians shown\n";
    return out;
}
