// UiTest::openWindow: the main window on a real backend, the way a person
// sees it right after ./scripts/run, for the tests that drive the whole
// window. Like the helpers in uitestfixture.h it uses QTest's macros: after
// calling it, return when QTest::currentTestFailed() says it failed.
#pragma once

#include "keyspacewatcher.h"
#include "mainwindow.h"
#include "productspanel.h"
#include "productstablemodel.h"
#include "uitestfixture.h"

#include <QAbstractItemModel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>

namespace UiTest {

/// Settings in test mode and empty, a redis-server with keyspace events, a
/// Backend with the demo products in dir and the window shown; waits until
/// the backend is ready, subscribed to keyspace events, and the products
/// table shows the demo products.
inline void openWindow(
    TestRedisServer &server, const QTemporaryDir &dir, std::unique_ptr<Backend> &backend, std::unique_ptr<MainWindow> &window)
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    QVERIFY(dir.isValid());
    startServer(server, true);
    if (QTest::currentTestFailed())
        return;
    backend = makeBackend(server, dir, true);
    window = std::make_unique<MainWindow>(backend.get(), WindowOptions {});
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    backend->start(); // makes the keyspace watcher
    QSignalSpy subscribed(backend->keyspaceWatcher(), &KeyspaceWatcher::subscribed);
    waitReady(*backend);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(subscribed.count() > 0 || subscribed.wait(10000));
    QTRY_COMPARE_WITH_TIMEOUT(window->productsPanel()->model()->rowCount(), 12, 10000); // the demo products
}

} // namespace UiTest
