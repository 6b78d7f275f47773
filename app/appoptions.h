// AppOptions: the cachelab command line, parsed and validated.
//
// Kept apart from main() so the parser can be tested without a window.
#pragma once

#include <optional>
#include <QString>
#include <QStringList>

struct AppOptions final
{
    QString redisUrl; ///< empty: start the embedded redis-server
    QString dbPath; ///< empty: products.sqlite in the app data dir
    QString strategy = QStringLiteral("cache-aside");
    int ttlSeconds = 60;
    bool demo = false;
    bool presentation = false; ///< start in presentation mode (the Teach layout, zoomed)
    QString palette; ///< empty: the desktop's; "light" or "dark"
    QString screenshotPath; ///< non-empty: render, save the PNG, exit
    int screenshotDelayMs = 4000; ///< long enough for the demo's first keys to expire
    int apiPort = 0; ///< 0: the HTTP API is off
    QString apiBind = QStringLiteral("127.0.0.1"); ///< address the HTTP API listens on
    bool showHelp = false;
    bool showVersion = false;

    /// The strategy names accepted everywhere (option, menu, API, bench).
    static QStringList strategyNames();

    /// Parses argv (argv[0] included). On a bad option returns nullopt and
    /// sets *error to one line that names the option and what is wrong.
    static std::optional<AppOptions> parse(const QStringList &arguments, QString *error);
    static QString helpText();
};
