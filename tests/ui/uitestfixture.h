// UiTest: the set-up the dashboard tests share.
//
// A real redis-server (keyspace events on where the panel needs them), a
// Backend on it with a SQLite file in a temporary folder, waited for until
// it is ready and connected; finding widgets by objectName; typing into a
// field the way a person does; a key browser on the backend's documents.
// The helpers that wait use QTest's macros: after calling one, return when
// QTest::currentTestFailed() says it failed.
#pragma once

#include "backend.h"
#include "keybrowserpanel.h"
#include "redisclient.h"
#include "testredisserver.h"

#include <memory>
#include <QTemporaryDir>
#include <QTest>

namespace UiTest {

/// Starts the server, with "notify-keyspace-events KEA" when events is set.
inline void startServer(TestRedisServer &server, bool events)
{
    if (events)
        server.setExtraConfig({ QStringLiteral("notify-keyspace-events KEA") });
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
}

/// A Backend on the server with products.sqlite in dir (demo products when seed).
inline std::unique_ptr<Backend> makeBackend(const TestRedisServer &server, const QTemporaryDir &dir, bool seed)
{
    Backend::Config config;
    config.redis = server.url();
    config.dbPath = dir.filePath(QStringLiteral("products.sqlite"));
    config.dataDir = dir.path();
    config.seedDemoData = seed;
    return std::make_unique<Backend>(config);
}

/// Waits (after start()) until the backend is ready and Redis answers.
inline void waitReady(Backend &backend)
{
    QTRY_VERIFY_WITH_TIMEOUT(backend.isReady(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(backend.redis()->isConnected(), 10000);
}

/// The descendant of root with this objectName; warns naming it when missing.
template<typename T> T *findNamed(const QObject *root, const char *name)
{
    T *w = root->findChild<T *>(QLatin1String(name));
    if (!w)
        qWarning("no widget named %s", name);
    return w;
}

/// Clicks into a field, selects everything and types the text.
inline void type(QWidget *field, const QString &text)
{
    QVERIFY(field);
    QTest::mouseClick(field, Qt::LeftButton);
    QTest::keyClick(field, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClick(field, Qt::Key_Delete);
    QTest::keyClicks(field, text);
}

/// A key browser on the backend's scanner, key actions, watcher and service.
inline KeyBrowserPanel *makeKeyBrowser(Backend &backend, QWidget *parent)
{
    return new KeyBrowserPanel(
        backend.keyScanner(), backend.keyActions(), backend.keyspaceWatcher(), backend.service(), parent);
}

} // namespace UiTest
