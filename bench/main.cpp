// cachelab-bench: every CacheLab figure next to its baseline, in one run.
//
//   cachelab-bench --list
//   cachelab-bench SCENARIO|all [--n N] [--rounds R] [--json] [--redis URL [--flush]] [--verbose]
//
// Each scenario starts its own redis-server (unless --redis is given), runs
// baseline and CacheLab rounds alternately and prints one JSON line (--json)
// or a table row. Exit status: 0 when every scenario ran (goals met or not;
// --strict makes a missed goal exit 3), 1 when one could not run, 2 on bad usage.
#include "benchrunner.h"
#include "scenarios.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

namespace {

void printLine(const QString &text, FILE *to = stdout)
{
    std::fputs(text.toUtf8().constData(), to);
    std::fputc('\n', to);
    std::fflush(to);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("cachelab-bench"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CACHELAB_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Measures CacheLab against the fastest plain way to do the same work, in the same run."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("scenario"), QStringLiteral("A scenario name (see --list) or \"all\"."));
    const QCommandLineOption listOpt(QStringLiteral("list"), QStringLiteral("List the scenarios and exit."));
    const QCommandLineOption nOpt(
        QStringLiteral("n"), QStringLiteral("Size of each scenario (default: its own)."), QStringLiteral("N"));
    const QCommandLineOption roundsOpt(QStringLiteral("rounds"), QStringLiteral("A/B rounds, at least 3 (default 3)."),
        QStringLiteral("R"), QStringLiteral("3"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("One JSON object per scenario and line."));
    const QCommandLineOption redisOpt(QStringLiteral("redis"),
        QStringLiteral("Use this server instead of a private redis-server per scenario."), QStringLiteral("URL"));
    const QCommandLineOption flushOpt(
        QStringLiteral("flush"), QStringLiteral("Allow emptying a non-empty database of the --redis server."));
    const QCommandLineOption settingsOpt(QStringLiteral("settings"),
        QStringLiteral("CacheSettings as JSON laid over every scenario's own, e.g. '{\"trackRecent\":false}'."),
        QStringLiteral("JSON"));
    const QCommandLineOption strictOpt(QStringLiteral("strict"), QStringLiteral("Exit 3 when a goal is missed."));
    const QCommandLineOption verboseOpt(QStringLiteral("verbose"), QStringLiteral("Per-round figures on stderr."));
    parser.addOptions({ listOpt, nOpt, roundsOpt, jsonOpt, redisOpt, flushOpt, settingsOpt, strictOpt, verboseOpt });
    parser.process(app);

    const QList<ScenarioEntry> scenarios = allScenarios();
    if (parser.isSet(listOpt)) {
        for (const ScenarioEntry &entry : scenarios) {
            const auto s = entry.create();
            printLine(QStringLiteral("%1  %2 (goal %3, default n %4)")
                          .arg(s->name().leftJustified(16), s->description(), s->goal().text)
                          .arg(s->defaultN()));
        }
        return 0;
    }

    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1) {
        printLine(QStringLiteral("cachelab-bench: name one scenario or \"all\" (see --list)."), stderr);
        return 2;
    }
    BenchOptions options;
    options.json = parser.isSet(jsonOpt);
    options.verbose = parser.isSet(verboseOpt);
    options.allowFlush = parser.isSet(flushOpt);
    bool ok = true;
    options.rounds = parser.value(roundsOpt).toInt(&ok);
    if (!ok || options.rounds < 3) {
        printLine(QStringLiteral("cachelab-bench: --rounds must be 3 or more."), stderr);
        return 2;
    }
    if (parser.isSet(nOpt)) {
        const qint64 n = parser.value(nOpt).toLongLong(&ok);
        if (!ok || n < 1) {
            printLine(QStringLiteral("cachelab-bench: --n must be a positive number."), stderr);
            return 2;
        }
        options.n = n;
    }
    if (parser.isSet(redisOpt)) {
        QString error;
        options.redis = RedisUrl::parse(parser.value(redisOpt), &error);
        if (!options.redis) {
            printLine(QStringLiteral("cachelab-bench: --redis: %1").arg(error), stderr);
            return 2;
        }
    }

    if (parser.isSet(settingsOpt)) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(parser.value(settingsOpt).toUtf8(), &parseError);
        if (!doc.isObject()) {
            printLine(
                QStringLiteral("cachelab-bench: --settings is not a JSON object: %1").arg(parseError.errorString()),
                stderr);
            return 2;
        }
        options.settings = doc.object();
    }

    QList<ScenarioEntry> chosen;
    const QString wanted = positional.constFirst();
    for (const ScenarioEntry &entry : scenarios) {
        if (wanted == QLatin1String("all") || entry.name == wanted)
            chosen << entry;
    }
    if (chosen.isEmpty()) {
        printLine(QStringLiteral("cachelab-bench: no scenario \"%1\" (see --list).").arg(wanted), stderr);
        return 2;
    }

    BenchRunner runner(options);
    QList<ScenarioReport> reports;
    bool anyError = false;
    bool anyMissed = false;
    for (const ScenarioEntry &entry : chosen) {
        const auto scenario = entry.create();
        if (!options.json)
            std::fprintf(stderr, "running %s ...\n", qPrintable(entry.name));
        ScenarioReport report = runner.run(*scenario);
        anyError = anyError || (!report.error.isEmpty() && !report.skipped);
        anyMissed = anyMissed || (!report.skipped && !report.evaluation.met);
        if (options.json)
            printLine(QString::fromUtf8(QJsonDocument(report.toJson()).toJson(QJsonDocument::Compact)));
        reports << report;
    }
    if (!options.json)
        printLine(BenchRunner::table(reports));
    if (anyError)
        return 1;
    return parser.isSet(strictOpt) && anyMissed ? 3 : 0;
}
