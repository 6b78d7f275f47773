// cachelab: parse the command line, start the backend (embedded or external
// Redis plus the SQLite store), show the dashboard.
#include "appoptions.h"
#include "backend.h"
#include "httpapi.h"
#include "crashwriter.h"
#include "labcommand.h"
#include "mainwindow.h"
#include "signalwatcher.h"
#include "theme.h"
#include "windowoptions.h"

#include <QApplication>
#include <QDir>
#include <QMessageBox>
#include <QStandardPaths>
#include <QTimer>

#include <cstdio>
#include <cstring>
#include <memory>

namespace {

QStringList rawArguments(int argc, char **argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    return args;
}

} // namespace

int main(int argc, char **argv)
{
    // Parse before QApplication exists, so --help, --version and option
    // errors work on a machine without a display.
    if (CrashWriter::wanted(argc, argv))
        return CrashWriter::run(argc, argv); // the write-paths lab's writer process
    if (LabCommand::wanted(argc, argv))
        return LabCommand::run(argc, argv);
    QString error;
    const auto options = AppOptions::parse(rawArguments(argc, argv), &error);
    if (!options) {
        std::fprintf(stderr, "cachelab: %s\n", qPrintable(error));
        return 2;
    }
    if (options->showHelp) {
        std::fputs(qPrintable(AppOptions::helpText()), stdout);
        return 0;
    }
    if (options->showVersion) {
        std::printf("cachelab %s (Qt %s)\n", CACHELAB_VERSION, qVersion());
        return 0;
    }
    const bool headless = qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    if (!options->screenshotPath.isEmpty() && headless && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen"); // a screenshot needs no screen

    QApplication app(argc, argv);
    Q_INIT_RESOURCE(cachelab); // the resources live in the static cachelab_ui library
    QApplication::setApplicationName(QStringLiteral("CacheLab"));
    QApplication::setOrganizationName(QStringLiteral("CacheLab"));
    QApplication::setApplicationVersion(QStringLiteral(CACHELAB_VERSION));
    QGuiApplication::setDesktopFileName(QStringLiteral(CACHELAB_APP_ID));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/cachelab.svg")));
    if (!options->palette.isEmpty())
        Theme::usePalette(options->palette == QLatin1String("dark"));

    Backend::Config config;
    // CACHELAB_REDIS_URL: set by File > Connect when it restarts CacheLab
    // (the environment keeps the password out of the process list).
    config.redisUrl = options->redisUrl.isEmpty() ? qEnvironmentVariable("CACHELAB_REDIS_URL") : options->redisUrl;
    config.strategy = options->strategy;
    config.ttlSeconds = options->ttlSeconds;
    config.dbPath = options->dbPath;
    // A server someone else runs: ask before changing its notify-keyspace-events.
    config.askBeforeNotifications = true;
    config.dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(config.dataDir);

    Backend backend(config);
    const bool interactive
        = options->screenshotPath.isEmpty() && QGuiApplication::platformName() != QLatin1String("offscreen");
    int exitCode = 0;
    QObject::connect(&backend, &Backend::failed, &app, [&](const QString &message) {
        std::fprintf(stderr, "cachelab: %s\n", qPrintable(message));
        if (interactive)
            QMessageBox::critical(nullptr, QStringLiteral("CacheLab"), message);
        exitCode = 3;
        QCoreApplication::exit(3);
    });
    // Started before the window is built: the embedded redis-server and the
    // database open run while the widgets are made (about 0.1 s), instead of
    // after. The window catches up with a backend that is already ready.
    backend.start();
    if (exitCode != 0)
        return exitCode; // failed at once (no redis-server binary, a bad CACHELAB_REDIS_URL): said above

    WindowOptions windowOptions;
    windowOptions.dbPath = options->dbPath;
    windowOptions.demo = options->demo;
    windowOptions.presentation = options->presentation;
    windowOptions.screenshotPath = options->screenshotPath;
    MainWindow window(&backend, windowOptions);
    // The HTTP API starts once the service exists; failing to listen ends the app (exit 2).
    std::unique_ptr<HttpApi> api;
    if (options->apiPort > 0) {
        QObject::connect(&backend, &Backend::ready, &app, [&] {
            const QHostAddress address(options->apiBind);
            if (!address.isLoopback())
                qWarning("cachelab: the HTTP API listens on %s, not only on this machine: anyone who can reach "
                         "it can read and change products",
                    qPrintable(options->apiBind));
            api = std::make_unique<HttpApi>(backend.service());
            QString apiError;
            if (!api->listen(address, quint16(options->apiPort), &apiError)) {
                std::fprintf(stderr, "cachelab: %s\n", qPrintable(apiError));
                api.reset();
                exitCode = 2;
                QCoreApplication::exit(2);
                return;
            }
            std::printf("cachelab: HTTP API on http://%s:%u/\n",
                qPrintable(address.protocol() == QAbstractSocket::IPv6Protocol
                        ? QStringLiteral("[%1]").arg(address.toString())
                        : address.toString()),
                unsigned(api->port()));
            std::fflush(stdout);
        });
    }
    if (!options->screenshotPath.isEmpty()) {
        QObject::connect(&backend, &Backend::ready, &app, [&] {
            QTimer::singleShot(options->screenshotDelayMs, &window, [&] {
                if (!window.saveScreenshot(options->screenshotPath)) {
                    std::fprintf(stderr, "cachelab: cannot write %s\n", qPrintable(options->screenshotPath));
                    QCoreApplication::exit(4);
                    return;
                }
                std::printf("cachelab: wrote %s\n", qPrintable(options->screenshotPath));
                backend.shutdown(); // quits once the embedded server has exited
            });
        });
    }

    // Closing the window first lets the embedded redis-server exit cleanly
    // (AOF flushed) on the event loop, then quits; nothing waits on it.
    QApplication::setQuitOnLastWindowClosed(false);
    QObject::connect(&app, &QGuiApplication::lastWindowClosed, &backend, &Backend::shutdown);
    // Ctrl+C, kill and a closed terminal end the app the same way: the window
    // saves its layout, the write-behind worker gets its bounded flush, the
    // embedded server exits cleanly. A second signal ends it at once.
    SignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &SignalWatcher::received, &app, [&](int number) {
        std::fprintf(stderr, "cachelab: %s received, shutting down\n", strsignal(number));
        window.close();
        backend.shutdown(); // a no-op when closing the window already started it
    });
    QObject::connect(&backend, &Backend::shutDown, &app, &QCoreApplication::quit);
    window.show();
    const int rc = app.exec();
    api.reset(); // before the backend and its service
    return exitCode != 0 ? exitCode : rc;
}
