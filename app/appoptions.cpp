// AppOptions: hand-rolled parsing so every error names its option and the
// help text stays in one place (QCommandLineParser exits by itself on
// --help, which the tests and --screenshot flows do not want).
#include "appoptions.h"

#include "redisurl.h"

#include <QCoreApplication>
#include <QHostAddress>

QStringList AppOptions::strategyNames()
{
    return {QStringLiteral("none"), QStringLiteral("cache-aside"), QStringLiteral("read-through"),
            QStringLiteral("write-through"), QStringLiteral("write-behind")};
}

QString AppOptions::helpText()
{
    return QStringLiteral(
        "Usage: cachelab [options]\n"
        "       cachelab lab --list | NAME [--seed N] [--param KEY=VALUE]... [--json] [--out DIR]\n"
        "\n"
        "See Redis caching in front of a SQL database.\n"
        "\n"
        "Options:\n"
        "  --redis URL          connect to this Redis instead of starting an embedded one\n"
        "                       redis://[user:password@]host[:port][/db]\n"
        "                       rediss://...?ca=FILE&cert=FILE&key=FILE   (TLS)\n"
        "                       unix:///path/to/redis.sock\n"
        "  --db PATH|:memory:   SQLite database file (default: products.sqlite in the app data folder)\n"
        "  --strategy NAME      none | cache-aside | read-through | write-through | write-behind\n"
        "                       (default: cache-aside)\n"
        "  --ttl SECONDS        time to live of cached products, 1..86400 (default: 60)\n"
        "  --demo               play a short scripted activity so the window comes alive\n"
        "  --presentation       start in presentation mode: the lesson's panels, zoomed\n"
        "  --palette NAME       light | dark: colours for the window instead of the desktop's\n"
        "  --api-port PORT      serve the HTTP API (the article's REST routes) on this port, 1..65535\n"
        "                       (default: off)\n"
        "  --api-bind ADDR      address the HTTP API listens on (default: 127.0.0.1; anything\n"
        "                       else exposes it to the network and logs a warning)\n"
        "  --screenshot FILE    render the window after the demo has run, save a PNG, exit\n"
        "  --help               show this help and exit\n"
        "  --version            show the version and exit\n"
        "\n"
        "cachelab lab runs a teaching lab without the window on its own redis-server and prints\n"
        "its result (one JSON object with --json); --out DIR also saves its charts (PNG, SVG)\n"
        "and tables (CSV). Exit status 0: matches its reference, 1: does not, 2: bad command\n"
        "line, 3: could not run.\n"
        "\n"
        "Environment:\n"
        "  CACHELAB_REDIS_SERVER  redis-server binary for the embedded server\n");
}

namespace {

bool takeValue(const QStringList &args, int &i, const QString &name, QString *value, QString *error)
{
    const QString arg = args.at(i);
    const QString prefix = name + QLatin1Char('=');
    if (arg.startsWith(prefix)) {
        *value = arg.mid(prefix.size());
    } else if (i + 1 < args.size()) {
        *value = args.at(++i);
    } else {
        *error = QStringLiteral("%1 needs a value").arg(name);
        return false;
    }
    if (value->isEmpty()) {
        *error = QStringLiteral("%1 needs a non-empty value").arg(name);
        return false;
    }
    return true;
}

bool matches(const QString &arg, const QString &name)
{
    return arg == name || arg.startsWith(name + QLatin1Char('='));
}

} // namespace

std::optional<AppOptions> AppOptions::parse(const QStringList &arguments, QString *error)
{
    AppOptions o;
    QString value;
    for (int i = 1; i < arguments.size(); ++i) {
        const QString arg = arguments.at(i);
        if (arg == QLatin1String("--help") || arg == QLatin1String("-h")) {
            o.showHelp = true;
        } else if (arg == QLatin1String("--version") || arg == QLatin1String("-v")) {
            o.showVersion = true;
        } else if (arg == QLatin1String("--demo")) {
            o.demo = true;
        } else if (arg == QLatin1String("--presentation")) {
            o.presentation = true;
        } else if (matches(arg, QStringLiteral("--palette"))) {
            if (!takeValue(arguments, i, QStringLiteral("--palette"), &o.palette, error))
                return std::nullopt;
            if (o.palette != QLatin1String("light") && o.palette != QLatin1String("dark")) {
                *error = QStringLiteral("--palette: '%1' is not light or dark").arg(o.palette);
                return std::nullopt;
            }
        } else if (matches(arg, QStringLiteral("--redis"))) {
            if (!takeValue(arguments, i, QStringLiteral("--redis"), &o.redisUrl, error))
                return std::nullopt;
            // Checked here, so a bad URL ends the program with status 2 like
            // every other bad option, instead of a window with nothing to show.
            QString why;
            if (!RedisUrl::parse(o.redisUrl, &why)) {
                *error = QStringLiteral("--redis: %1").arg(why);
                return std::nullopt;
            }
        } else if (matches(arg, QStringLiteral("--db"))) {
            if (!takeValue(arguments, i, QStringLiteral("--db"), &o.dbPath, error))
                return std::nullopt;
        } else if (matches(arg, QStringLiteral("--strategy"))) {
            if (!takeValue(arguments, i, QStringLiteral("--strategy"), &value, error))
                return std::nullopt;
            if (!strategyNames().contains(value)) {
                *error = QStringLiteral("--strategy: unknown strategy '%1' (use one of: %2)")
                             .arg(value, strategyNames().join(QStringLiteral(", ")));
                return std::nullopt;
            }
            o.strategy = value;
        } else if (matches(arg, QStringLiteral("--ttl"))) {
            if (!takeValue(arguments, i, QStringLiteral("--ttl"), &value, error))
                return std::nullopt;
            bool ok = false;
            const int ttl = value.toInt(&ok);
            if (!ok || ttl < 1 || ttl > 86400) {
                *error = QStringLiteral("--ttl: '%1' is not a whole number of seconds between 1 and 86400").arg(value);
                return std::nullopt;
            }
            o.ttlSeconds = ttl;
        } else if (matches(arg, QStringLiteral("--api-port"))) {
            if (!takeValue(arguments, i, QStringLiteral("--api-port"), &value, error))
                return std::nullopt;
            bool ok = false;
            const int port = value.toInt(&ok);
            if (!ok || port < 1 || port > 65535) {
                *error = QStringLiteral("--api-port: '%1' is not a port number between 1 and 65535").arg(value);
                return std::nullopt;
            }
            o.apiPort = port;
        } else if (matches(arg, QStringLiteral("--api-bind"))) {
            if (!takeValue(arguments, i, QStringLiteral("--api-bind"), &value, error))
                return std::nullopt;
            if (QHostAddress(value).isNull()) {
                *error = QStringLiteral("--api-bind: '%1' is not an IPv4 or IPv6 address").arg(value);
                return std::nullopt;
            }
            o.apiBind = value;
        } else if (matches(arg, QStringLiteral("--screenshot"))) {
            if (!takeValue(arguments, i, QStringLiteral("--screenshot"), &o.screenshotPath, error))
                return std::nullopt;
            if (!o.screenshotPath.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) {
                *error = QStringLiteral("--screenshot: '%1' must end in .png").arg(o.screenshotPath);
                return std::nullopt;
            }
        } else {
            *error = QStringLiteral("unknown option '%1' (see --help)").arg(arg);
            return std::nullopt;
        }
    }
    return o;
}
