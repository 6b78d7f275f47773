// Drives the key browser's TTL editing offscreen against a real redis-server:
// "Set TTL" from the details area, "Persist" from the table's context menu,
// bad input, a key that disappeared, a write-behind hash with an unflushed
// write (refused), and the trace each action leaves.
#include "backend.h"
#include "keybrowserpanel.h"
#include "keyspacewatcher.h"
#include "keytablemodel.h"
#include "productservice.h"
#include "redisclient.h"
#include "testredisserver.h"
#include "tracelistmodel.h"
#include "tracepanel.h"
#include "uitestfixture.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace UiTest;

class TestKeyBrowserTtl final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void setTtlFromDetailsArea();
    void invalidTtlIsRefused();
    void persistFromContextMenu();
    void setTtlActionPrefillsTheField();
    void vanishedKeyIsReported();
    void unflushedWriteIsRefused();

private:
    template<typename T> T *widget(const char *name) { return findNamed<T>(m_panel, name); }
    bool select(const QByteArray &key);
    qint64 shownTtlMs(const QByteArray &key) const
    {
        return m_panel->model()->remainingMs(m_panel->model()->rowOfKey(key));
    }

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<QWidget> m_window;
    KeyBrowserPanel *m_panel = nullptr;
    TracePanel *m_trace = nullptr;
};

void TestKeyBrowserTtl::initTestCase()
{
    startServer(m_server, true);
    if (QTest::currentTestFailed())
        return;
    m_server.syncString({ "SET", "ttl:plain", "x" });
    m_server.syncInteger({ "HSET", "ttl:hash", "name", "Mug" });
    m_server.syncInteger({ "EXPIRE", "ttl:hash", "600" });
    m_server.syncString({ "SET", "ttl:doomed", "x" });
    m_server.syncInteger({ "HSET", "ttl:dirty", "name", "Queued", "version", "2", "dirty", "1" });

    m_backend = makeBackend(m_server, m_dir, false);
    m_backend->start();
    waitReady(*m_backend);
    if (QTest::currentTestFailed())
        return;

    m_window = std::make_unique<QWidget>();
    m_window->resize(900, 700);
    m_panel = makeKeyBrowser(*m_backend, m_window.get());
    // As in the main window: the key actions hand their traces to the
    // service (their TraceSink), whose traceRecorded() the panel shows.
    m_trace = new TracePanel(m_backend->service(), m_window.get());
    auto *layout = new QHBoxLayout(m_window.get());
    layout->addWidget(m_panel);
    layout->addWidget(m_trace);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->scanner()->isConnected(), 10000);
    widget<QLineEdit>("keyFilter")->setText(QStringLiteral("ttl:*"));
    m_panel->rescan();
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowCount(), 4, 10000);
}

void TestKeyBrowserTtl::cleanupTestCase()
{
    m_window.reset();
    m_backend.reset();
}

bool TestKeyBrowserTtl::select(const QByteArray &key)
{
    if (!m_panel->selectKey(key))
        return false;
    return m_panel->selectedKey() == key;
}

void TestKeyBrowserTtl::setTtlFromDetailsArea()
{
    QVERIFY(select("ttl:plain"));
    auto *status = widget<QLabel>("keyActionStatus");
    auto *button = widget<QPushButton>("setTtlButton");
    QVERIFY(status && button);
    QVERIFY(button->isEnabled());
    const int tracesBefore = m_trace->model()->rowCount();

    type(widget<QLineEdit>("ttlEdit"), QStringLiteral("300"));
    QTest::mouseClick(button, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(status->isVisible() && status->text().contains(QStringLiteral("300")), 5000);
    QCOMPARE(status->property("failed").toBool(), false);
    // The row shows the new TTL as soon as the reply is in, not after a rescan.
    const qint64 shown = shownTtlMs("ttl:plain");
    QVERIFY2(shown > 290000 && shown <= 300000, qPrintable(QString::number(shown)));
    const int row = m_panel->model()->rowOfKey("ttl:plain");
    QVERIFY(m_panel->view()
                ->model()
                ->index(row, KeyTableModel::TtlColumn)
                .data()
                .toString()
                .contains(QStringLiteral("min")));
    const qint64 ttl = m_server.syncInteger({ "TTL", "ttl:plain" });
    QVERIFY(ttl > 290 && ttl <= 300);

    // Traced like every other operation.
    QCOMPARE(m_trace->model()->rowCount(), tracesBefore + 1);
    QCOMPARE(m_trace->model()->traceAt(0).operation, QStringLiteral("key-expire"));
    QVERIFY(m_trace->model()->traceAt(0).toText().contains(QStringLiteral("EXPIRE ttl:plain 300")));
    // ...and counted in the metrics like every other operation.
    quint64 counted = 0;
    for (const LatencyStats &l : m_backend->service()->metrics().latencies) {
        if (l.operation == QLatin1String("key-expire"))
            counted += l.count;
    }
    QCOMPARE(counted, quint64(1));

    // Enter in the field works too.
    type(widget<QLineEdit>("ttlEdit"), QStringLiteral("1000"));
    QTest::keyClick(widget<QLineEdit>("ttlEdit"), Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("1000")), 5000);
    QVERIFY(shownTtlMs("ttl:plain") > 990000);
}

void TestKeyBrowserTtl::invalidTtlIsRefused()
{
    QVERIFY(select("ttl:hash"));
    auto *status = widget<QLabel>("keyActionStatus");
    const qint64 before = m_server.syncInteger({ "TTL", "ttl:hash" });
    for (const QString &bad : { QStringLiteral("-5"), QStringLiteral("0"), QStringLiteral("soon") }) {
        type(widget<QLineEdit>("ttlEdit"), bad);
        QTest::mouseClick(widget<QPushButton>("setTtlButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(status->isVisible() && status->property("failed").toBool(), 5000);
        QVERIFY2(status->text().contains(QStringLiteral("TTL")), qPrintable(status->text()));
        QCOMPARE(widget<QLineEdit>("ttlEdit")->text(), bad); // kept for correcting
        status->hide();
    }
    QCOMPARE(m_trace->model()->traceAt(0).outcome, TraceOutcome::Invalid);
    const qint64 after = m_server.syncInteger({ "TTL", "ttl:hash" });
    QVERIFY(after > 0 && after <= before); // unchanged (and the key still exists)
}

void TestKeyBrowserTtl::persistFromContextMenu()
{
    const int row = m_panel->model()->rowOfKey("ttl:hash");
    QVERIFY(row >= 0);
    QTRY_VERIFY_WITH_TIMEOUT(shownTtlMs("ttl:hash") > 0, 5000);
    // Right-click on the row: the view asks for its context menu.
    QTableView *view = m_panel->view();
    const QPoint pos = view->visualRect(view->model()->index(row, KeyTableModel::KeyColumn)).center();
    emit view->customContextMenuRequested(pos);
    QCOMPARE(m_panel->selectedKey(), QByteArray("ttl:hash"));
    QMenu *menu = m_panel->contextMenu();
    QTRY_VERIFY_WITH_TIMEOUT(menu->isVisible(), 5000);
    auto *persist = menu->findChild<QAction *>(QStringLiteral("persistAction"));
    QVERIFY(persist && persist->isEnabled());
    persist->trigger();
    menu->hide();

    auto *status = widget<QLabel>("keyActionStatus");
    QTRY_VERIFY_WITH_TIMEOUT(status->isVisible() && status->text().contains(QStringLiteral("no longer expires")), 5000);
    QCOMPARE(shownTtlMs("ttl:hash"), qint64(-1));
    QCOMPARE(view->model()->index(row, KeyTableModel::TtlColumn).data().toString(), QStringLiteral("no TTL"));
    QCOMPARE(m_server.syncInteger({ "TTL", "ttl:hash" }), qint64(-1));
    QCOMPARE(m_trace->model()->traceAt(0).operation, QStringLiteral("key-persist"));
}

void TestKeyBrowserTtl::setTtlActionPrefillsTheField()
{
    QVERIFY(select("ttl:plain"));
    QTRY_VERIFY_WITH_TIMEOUT(shownTtlMs("ttl:plain") > 0, 5000);
    auto *field = widget<QLineEdit>("ttlEdit");
    field->clear();
    auto *action = m_panel->contextMenu()->findChild<QAction *>(QStringLiteral("setTtlAction"));
    QVERIFY(action);
    action->trigger();
    bool ok = false;
    const qint64 prefilled = field->text().toLongLong(&ok);
    QVERIFY2(ok && prefilled > 900 && prefilled <= 1000, qPrintable(field->text()));
    QCOMPARE(m_window->focusWidget(), field); // focus goes there once the window is active
}

void TestKeyBrowserTtl::vanishedKeyIsReported()
{
    QVERIFY(select("ttl:doomed"));
    // Deleted behind the browser's back, before its event could arrive.
    m_server.syncInteger({ "DEL", "ttl:doomed" });
    type(widget<QLineEdit>("ttlEdit"), QStringLiteral("30"));
    QTest::mouseClick(widget<QPushButton>("setTtlButton"), Qt::LeftButton);
    auto *status = widget<QLabel>("keyActionStatus");
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("no longer exists")), 5000);
    QVERIFY(status->property("failed").toBool());
    QCOMPARE(m_server.syncInteger({ "EXISTS", "ttl:doomed" }), qint64(0));
    // The row goes away as a deleted key does.
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowOfKey("ttl:doomed"), -1, 5000);
}

void TestKeyBrowserTtl::unflushedWriteIsRefused()
{
    QVERIFY(select("ttl:dirty"));
    type(widget<QLineEdit>("ttlEdit"), QStringLiteral("60"));
    QTest::mouseClick(widget<QPushButton>("setTtlButton"), Qt::LeftButton);
    auto *status = widget<QLabel>("keyActionStatus");
    QTRY_VERIFY_WITH_TIMEOUT(
        status->isVisible() && status->text().contains(QStringLiteral("holds a write not yet in SQLite")), 5000);
    QVERIFY(status->text().contains(QStringLiteral("flush write-behind first")));
    QVERIFY(status->property("failed").toBool());
    QCOMPARE(m_server.syncInteger({ "TTL", "ttl:dirty" }), qint64(-1));
    QCOMPARE(m_trace->model()->traceAt(0).operation, QStringLiteral("key-expire"));
    QCOMPARE(m_trace->model()->traceAt(0).outcome, TraceOutcome::Error);
}

QTEST_MAIN(TestKeyBrowserTtl)
#include "tst_keybrowserttl.moc"
