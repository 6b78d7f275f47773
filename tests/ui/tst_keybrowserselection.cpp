// The key browser's selection and its details, offscreen against a real
// redis-server with keyspace events: a selected key that expires does not
// hand the selection to its neighbour; a filter that hides the selected key
// clears the details; emptying the filter scans every key again; columns
// sort (and the selection stays on its key); the scan progress bar does not
// move the Scan button.
#include "backend.h"
#include "keybrowserpanel.h"
#include "keytablemodel.h"
#include "redisclient.h"
#include "testredisserver.h"
#include "uitestfixture.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QTableView>
#include <QToolButton>
#include <QTreeWidget>

using namespace UiTest;

class TestKeyBrowserSelection final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void expiringSelectionDoesNotJump();
    void filterHidingTheKeyClearsDetails();
    void clearingTheFilterRescans();
    void columnsSort();
    void progressBarKeepsTheScanButtonInPlace();

private:
    template<typename T> T *widget(const char *name) { return findNamed<T>(m_panel, name); }
    QList<QByteArray> shownKeys() const;
    void scan(const QString &pattern);

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<QWidget> m_window;
    KeyBrowserPanel *m_panel = nullptr;
};

QList<QByteArray> TestKeyBrowserSelection::shownKeys() const
{
    QList<QByteArray> keys;
    for (int row = 0; row < m_panel->model()->rowCount(); ++row)
        keys << m_panel->model()->keyAt(row);
    return keys;
}

void TestKeyBrowserSelection::scan(const QString &pattern)
{
    auto *filter = widget<QLineEdit>("keyFilter");
    filter->setText(pattern);
    m_panel->rescan();
}

void TestKeyBrowserSelection::initTestCase()
{
    startServer(m_server, true);
    if (QTest::currentTestFailed())
        return;
    m_backend = makeBackend(m_server, m_dir, false);
    m_backend->start();
    waitReady(*m_backend);
    if (QTest::currentTestFailed())
        return;
    m_window = std::make_unique<QWidget>();
    m_window->resize(700, 600);
    m_panel = makeKeyBrowser(*m_backend, m_window.get());
    auto *layout = new QHBoxLayout(m_window.get());
    layout->addWidget(m_panel);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->scanner()->isConnected(), 10000);
}

void TestKeyBrowserSelection::cleanupTestCase()
{
    m_window.reset();
    m_backend.reset();
}

void TestKeyBrowserSelection::init()
{
    m_server.syncString({ "FLUSHDB" });
    for (const char *key : { "sel:a", "sel:b", "sel:c", "sel:d" })
        m_server.syncString({ "SET", key, "x" });
    m_panel->view()->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    scan(QStringLiteral("sel:*"));
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowCount(), 4, 10000);
}

void TestKeyBrowserSelection::expiringSelectionDoesNotJump()
{
    QVERIFY(m_panel->selectKey("sel:b"));
    QCOMPARE(m_panel->selectedKey(), QByteArray("sel:b"));
    auto *title = widget<QLabel>("keyPreviewTitle");
    QTRY_VERIFY(title->text().contains(QStringLiteral("sel:b")));

    m_server.syncInteger({ "PEXPIRE", "sel:b", "200" });
    // The row fades and leaves after Redis reports "expired".
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->model()->rowOfKey("sel:b") < 0, 10000);
    // No neighbour took its place: nothing is selected, the details say it is gone.
    QVERIFY2(m_panel->selectedKey().isEmpty(), m_panel->selectedKey().constData());
    QVERIFY(!m_panel->view()->selectionModel()->hasSelection());
    QVERIFY(!m_panel->view()->currentIndex().isValid());
    QVERIFY2(title->text().contains(QStringLiteral("gone")), qPrintable(title->text()));
    QVERIFY(!title->text().contains(QStringLiteral("sel:c")));
    QCOMPARE(widget<QTreeWidget>("keyPreview")->topLevelItemCount(), 0);

    // Another key expiring leaves an unrelated selection alone.
    QVERIFY(m_panel->selectKey("sel:a"));
    m_server.syncInteger({ "PEXPIRE", "sel:c", "100" });
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->model()->rowOfKey("sel:c") < 0, 10000);
    QCOMPARE(m_panel->selectedKey(), QByteArray("sel:a"));
    QCOMPARE(m_panel->view()->currentIndex().data(KeyTableModel::KeyBytesRole).toByteArray(), QByteArray("sel:a"));
}

void TestKeyBrowserSelection::filterHidingTheKeyClearsDetails()
{
    QVERIFY(m_panel->selectKey("sel:a"));
    auto *title = widget<QLabel>("keyPreviewTitle");
    QTRY_VERIFY(title->text().contains(QStringLiteral("sel:a")));
    auto *preview = widget<QTreeWidget>("keyPreview");
    QTRY_VERIFY(preview->topLevelItemCount() > 0);

    // A pattern that still matches keeps the key and its details.
    scan(QStringLiteral("sel:?"));
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowCount(), 4, 10000);
    QTRY_COMPARE(m_panel->selectedKey(), QByteArray("sel:a"));

    // One that hides it clears them.
    scan(QStringLiteral("sel:[bcd]"));
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowCount(), 3, 10000);
    QVERIFY(m_panel->selectedKey().isEmpty());
    QVERIFY(!title->text().contains(QStringLiteral("sel:a")));
    QCOMPARE(preview->topLevelItemCount(), 0);
    QVERIFY(!widget<QWidget>("setTtlButton")->isEnabled());
}

void TestKeyBrowserSelection::clearingTheFilterRescans()
{
    m_server.syncString({ "SET", "other:key", "x" });
    QCOMPARE(m_panel->model()->rowCount(), 4);
    auto *filter = widget<QLineEdit>("keyFilter");
    // What the field's clear button does: empty the text. No Enter needed.
    type(filter, QString());
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->model()->rowOfKey("other:key") >= 0, 10000);
    QCOMPARE(m_panel->model()->rowCount(), 5);
}

void TestKeyBrowserSelection::columnsSort()
{
    m_server.syncInteger({ "EXPIRE", "sel:c", "100" });
    m_server.syncInteger({ "EXPIRE", "sel:a", "500" });
    m_server.syncString({ "SET", "sel:d", QByteArray(3000, 'x') });
    scan(QStringLiteral("sel:*"));
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowCount(), 4, 10000);
    KeyTableModel *model = m_panel->model();
    // Details of every (visible) row have arrived.
    QTRY_VERIFY_WITH_TIMEOUT(model->remainingMs(model->rowOfKey("sel:a")) > 0
            && model->remainingMs(model->rowOfKey("sel:b")) == -1
            && model->index(model->rowOfKey("sel:d"), KeyTableModel::SizeColumn)
                    .data(KeyTableModel::SizeBytesRole)
                    .toLongLong()
                > 0,
        10000);
    QVERIFY(m_panel->selectKey("sel:b"));
    QHeaderView *header = m_panel->view()->horizontalHeader();
    QVERIFY(header->sectionsClickable());

    // A click on the Key header: by name, descending on the second click.
    const auto clickHeader = [header](int column) {
        const int x = header->sectionViewportPosition(column) + header->sectionSize(column) / 2;
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
    };
    clickHeader(KeyTableModel::KeyColumn);
    QTRY_COMPARE(shownKeys(), (QList<QByteArray> { "sel:a", "sel:b", "sel:c", "sel:d" }));
    clickHeader(KeyTableModel::KeyColumn);
    QTRY_COMPARE(shownKeys(), (QList<QByteArray> { "sel:d", "sel:c", "sel:b", "sel:a" }));
    // The selection moved with its key.
    QCOMPARE(m_panel->view()->currentIndex().data(KeyTableModel::KeyBytesRole).toByteArray(), QByteArray("sel:b"));
    QCOMPARE(m_panel->selectedKey(), QByteArray("sel:b"));

    // TTL: shortest first, keys without a TTL after them.
    m_panel->view()->sortByColumn(KeyTableModel::TtlColumn, Qt::AscendingOrder);
    QTRY_COMPARE(shownKeys().mid(0, 2), (QList<QByteArray> { "sel:c", "sel:a" }));
    // Size, largest first.
    m_panel->view()->sortByColumn(KeyTableModel::SizeColumn, Qt::DescendingOrder);
    QTRY_COMPARE(shownKeys().first(), QByteArray("sel:d"));
    // New keys of a small table take their sorted place.
    m_panel->view()->sortByColumn(KeyTableModel::KeyColumn, Qt::AscendingOrder);
    model->addKeys({ QByteArrayLiteral("sel:ab") });
    QCOMPARE(shownKeys().mid(0, 3), (QList<QByteArray> { "sel:a", "sel:ab", "sel:b" }));
}

void TestKeyBrowserSelection::progressBarKeepsTheScanButtonInPlace()
{
    auto *scanButton = widget<QToolButton>("rescanButton");
    auto *progress = widget<QProgressBar>("keyScanProgress");
    auto *count = widget<QLabel>("keyCount");
    QVERIFY(scanButton && progress && count);
    QVERIFY(progress->isHidden());
    const QRect before = scanButton->geometry();
    // What a long scan shows: the bar, and a count of many keys.
    progress->show();
    count->setText(QStringLiteral("1,234,567 keys"));
    QApplication::processEvents();
    QTRY_COMPARE(scanButton->geometry(), before);
    progress->hide();
    count->setText(QStringLiteral("4 keys"));
    QApplication::processEvents();
    QCOMPARE(scanButton->geometry(), before);
}

QTEST_MAIN(TestKeyBrowserSelection)
#include "tst_keybrowserselection.moc"
