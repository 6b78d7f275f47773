// Connecting to an outside Redis whose keyspace notifications are off: the
// window asks before changing notify-keyspace-events, says in the status bar
// what it changed, and puts the old value back on exit when asked to. A "no"
// changes nothing. The embedded-style quiet setup asks nothing. Real
// redis-server started without notifications, offscreen.
#include "backend.h"
#include "mainwindow.h"
#include "notificationquestion.h"
#include "notificationsetup.h"
#include "uitestfixture.h"

#include <QCheckBox>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>

using namespace UiTest;

class TestNotificationQuestion final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void asksAndChangesOnlyAfterYes();
    void noChangesNothing();
    void oldValueComesBackOnExit();
    void keptWhenNotAskedToRestore();
    void coveredServerIsNotAsked();
    void quietSetupDoesNotAsk();

private:
    QString serverFlags() const;
    void open(bool ask);
    QMessageBox *question() const;
    void shutdown();

    TestRedisServer m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<MainWindow> m_window;
};

QString TestNotificationQuestion::serverFlags() const
{
    const QList<QByteArray> reply = m_server.syncList({ "CONFIG", "GET", "notify-keyspace-events" });
    return reply.size() == 2 ? QString::fromLatin1(reply.at(1)) : QStringLiteral("<no reply>");
}

void TestNotificationQuestion::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    startServer(m_server, false);
}

void TestNotificationQuestion::init()
{
    // Someone else's server, with a setting of its own ("Ex": expired events only).
    m_server.syncString({ "CONFIG", "SET", "notify-keyspace-events", "Ex" });
    QCOMPARE(serverFlags(), QStringLiteral("xE"));
}

void TestNotificationQuestion::cleanup()
{
    m_window.reset();
    m_backend.reset();
    m_dir.reset();
}

void TestNotificationQuestion::open(bool ask)
{
    m_dir = std::make_unique<QTemporaryDir>();
    Backend::Config config;
    config.redis = m_server.url();
    config.dbPath = m_dir->filePath(QStringLiteral("products.sqlite"));
    config.dataDir = m_dir->path();
    config.seedDemoData = false;
    config.askBeforeNotifications = ask;
    m_backend = std::make_unique<Backend>(config);
    m_window = std::make_unique<MainWindow>(m_backend.get(), WindowOptions {});
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_backend->start();
    waitReady(*m_backend);
}

QMessageBox *TestNotificationQuestion::question() const
{
    auto *box = m_window->findChild<QMessageBox *>(QStringLiteral("notificationsQuestion"));
    return box && box->isVisible() ? box : nullptr;
}

void TestNotificationQuestion::shutdown()
{
    QSignalSpy done(m_backend.get(), &Backend::shutDown);
    m_window->close();
    m_backend->shutdown();
    QVERIFY(done.count() > 0 || done.wait(5000));
}

void TestNotificationQuestion::asksAndChangesOnlyAfterYes()
{
    open(true);
    QTRY_VERIFY_WITH_TIMEOUT(question(), 10000);
    QMessageBox *box = question();
    // It names the setting, what it is now and what it would be.
    QVERIFY2(box->text().contains(QStringLiteral("notify-keyspace-events")), qPrintable(box->text()));
    QVERIFY(box->text().contains(QStringLiteral("xE")));
    QVERIFY(box->text().contains(QStringLiteral("xEKA")));
    // Nothing is changed while the question is open.
    QCOMPARE(serverFlags(), QStringLiteral("xE"));
    QCOMPARE(m_backend->notificationSetup()->state(), NotificationSetup::State::Asking);

    QTest::mouseClick(box->findChild<QPushButton *>(QStringLiteral("notificationsAllow")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_backend->notificationSetup()->state(), NotificationSetup::State::Changed, 5000);
    QVERIFY(NotificationSetup::covers(serverFlags()));
    QVERIFY(serverFlags().contains(QLatin1Char('E'))); // flags are added, none taken away
    // The status bar says what was changed, from what to what.
    const QString said = m_window->statusBar()->currentMessage();
    QVERIFY2(said.contains(QStringLiteral("notify-keyspace-events")) && said.contains(QStringLiteral("\"xE\""))
            && said.contains(QStringLiteral("comes back")),
        qPrintable(said));
    shutdown();
}

void TestNotificationQuestion::noChangesNothing()
{
    open(true);
    QTRY_VERIFY_WITH_TIMEOUT(question(), 10000);
    QTest::mouseClick(question()->findChild<QPushButton *>(QStringLiteral("notificationsDecline")), Qt::LeftButton);
    QTRY_COMPARE(m_backend->notificationSetup()->state(), NotificationSetup::State::Declined);
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("left as they were")));
    // A reconnect does not ask again in this session, and changes nothing.
    m_server.syncInteger({ "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes" });
    QTRY_VERIFY_WITH_TIMEOUT(!m_backend->redis()->isConnected(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(m_backend->redis()->isConnected(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(m_backend->notificationSetup()->state(), NotificationSetup::State::Declined, 5000);
    QVERIFY(!question());
    QCOMPARE(serverFlags(), QStringLiteral("xE"));
    shutdown();
    QCOMPARE(serverFlags(), QStringLiteral("xE"));
}

void TestNotificationQuestion::oldValueComesBackOnExit()
{
    open(true);
    QTRY_VERIFY_WITH_TIMEOUT(question(), 10000);
    QVERIFY(question()->checkBox()->isChecked()); // restoring is the default
    QTest::mouseClick(question()->findChild<QPushButton *>(QStringLiteral("notificationsAllow")), Qt::LeftButton);
    // The server has it before the app has read the reply: wait for the app.
    QTRY_COMPARE_WITH_TIMEOUT(m_backend->notificationSetup()->state(), NotificationSetup::State::Changed, 5000);
    QVERIFY(NotificationSetup::covers(serverFlags()));
    QVERIFY(m_backend->notificationSetup()->restoresOnExit());
    QCOMPARE(m_backend->notificationSetup()->previousFlags(), QStringLiteral("xE"));
    QSignalSpy restored(m_backend->notificationSetup(), &NotificationSetup::restored);
    shutdown();
    QCOMPARE(restored.count(), 1);
    QCOMPARE(serverFlags(), QStringLiteral("xE"));
}

void TestNotificationQuestion::keptWhenNotAskedToRestore()
{
    open(true);
    QTRY_VERIFY_WITH_TIMEOUT(question(), 10000);
    question()->checkBox()->setChecked(false);
    QTest::mouseClick(question()->findChild<QPushButton *>(QStringLiteral("notificationsAllow")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_backend->notificationSetup()->state(), NotificationSetup::State::Changed, 5000);
    QVERIFY(NotificationSetup::covers(serverFlags()));
    QVERIFY(!m_backend->notificationSetup()->restoresOnExit());
    QVERIFY(!m_window->statusBar()->currentMessage().contains(QStringLiteral("comes back")));
    shutdown();
    QVERIFY(NotificationSetup::covers(serverFlags()));
}

void TestNotificationQuestion::coveredServerIsNotAsked()
{
    m_server.syncString({ "CONFIG", "SET", "notify-keyspace-events", "KEA" });
    open(true);
    QTRY_COMPARE_WITH_TIMEOUT(m_backend->notificationSetup()->state(), NotificationSetup::State::Covered, 5000);
    QVERIFY(!question());
    shutdown();
    QVERIFY(NotificationSetup::covers(serverFlags()));
}

void TestNotificationQuestion::quietSetupDoesNotAsk()
{
    open(false); // what the embedded server gets
    QTRY_COMPARE_WITH_TIMEOUT(m_backend->notificationSetup()->state(), NotificationSetup::State::Covered, 5000);
    QVERIFY(!question());
    QVERIFY(NotificationSetup::covers(serverFlags()));
    shutdown();
}

QTEST_MAIN(TestNotificationQuestion)
#include "tst_notificationquestion.moc"
