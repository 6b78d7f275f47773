// The real key browser panel, offscreen, against keys CacheLab did not write:
// binary names (NUL, 0xff, newlines), a 10 MB string and a 200,000-field
// hash. Every key is listed, selecting each shows a bounded preview with its
// size, and the GUI thread keeps turning: a 10 ms timer's longest gap while
// all of this loads is the freeze detector (a generous bound, not a speed
// goal: speed belongs in cachelab-bench).
#include "backend.h"
#include "keybrowserpanel.h"
#include "keyscanner.h"
#include "keytablemodel.h"
#include "redisclient.h"
#include "testredisserver.h"
#include "uitestfixture.h"

#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>

namespace {
const QByteArray NulKey("hostile:nul\0inside", 18);
const QByteArray OnlyNul("\0", 1);
const QByteArray InvalidUtf8("hostile:\xff\xfe\x80", 11);
const QByteArray NewlineKey("hostile:line\nbreak\r\nend", 23);
const QByteArray BigString("hostile:big-string");
const QByteArray HugeHash("hostile:huge-hash");
constexpr qint64 BigStringBytes = 10 * 1024 * 1024;
constexpr int HugeHashFields = 200000;
} // namespace

using namespace UiTest;

class TestKeyBrowserHostile final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void listsEveryKey();
    void binaryKeysShowTheirValue();
    void bigStringPreviewIsTruncated();
    void hugeHashPreviewIsBounded();
    void guiThreadNeverFroze();

private:
    bool selectAndWait(const QByteArray &key);
    QString cell(const QByteArray &key, int column) const
    {
        const int row = m_panel->model()->rowOfKey(key);
        return row < 0 ? QString() : m_panel->model()->index(row, column).data().toString();
    }

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<QWidget> m_window;
    KeyBrowserPanel *m_panel = nullptr;
    QLabel *m_title = nullptr;
    QTreeWidget *m_preview = nullptr;
    // Freeze detector: the longest time between two ticks of a 10 ms timer.
    QTimer m_probe;
    QElapsedTimer m_sinceTick;
    qint64 m_longestGapMs = 0;
};

void TestKeyBrowserHostile::initTestCase()
{
    startServer(m_server, true);
    if (QTest::currentTestFailed())
        return;

    m_server.syncString({ "SET", NulKey, "value of the NUL key" });
    m_server.syncString({ "SET", OnlyNul, QByteArray("nul\0value", 9) });
    m_server.syncString({ "SET", InvalidUtf8, QByteArray("\xc3\x28 invalid \xff", 12) });
    m_server.syncInteger({ "HSET", NewlineKey, "field\nwith newline", "value\r\nwith CRLF" });
    m_server.syncString({ "SET", BigString, QByteArray(BigStringBytes, 'x') });
    for (int from = 0; from < HugeHashFields; from += 20000) {
        QList<QByteArray> cmd { "HSET", HugeHash };
        for (int i = from; i < from + 20000; ++i)
            cmd << "f" + QByteArray::number(i) << "v" + QByteArray::number(i);
        m_server.syncInteger(cmd);
    }
    QCOMPARE(m_server.syncInteger({ "HLEN", HugeHash }), qint64(HugeHashFields));
    QCOMPARE(m_server.syncInteger({ "STRLEN", BigString }), BigStringBytes);

    m_backend = makeBackend(m_server, m_dir, false);
    m_backend->start();
    waitReady(*m_backend);
    if (QTest::currentTestFailed())
        return;

    m_window = std::make_unique<QWidget>();
    m_window->resize(900, 700);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));

    // From here on the probe watches every event-loop turn of the test.
    m_probe.setTimerType(Qt::PreciseTimer);
    m_probe.setInterval(10);
    connect(
        &m_probe, &QTimer::timeout, this, [this] { m_longestGapMs = std::max(m_longestGapMs, m_sinceTick.restart()); });
    m_sinceTick.start();
    m_probe.start();

    // The panel starts scanning as soon as its scanner connects: built
    // after the probe started, so the probe sees that too.
    m_panel = makeKeyBrowser(*m_backend, m_window.get());
    m_panel->resize(900, 700);
    m_panel->show();
    m_title = m_panel->findChild<QLabel *>(QStringLiteral("keyPreviewTitle"));
    m_preview = m_panel->findChild<QTreeWidget *>(QStringLiteral("keyPreview"));
    QVERIFY(m_title && m_preview);
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->scanner()->isConnected(), 10000);
    auto *filter = m_panel->findChild<QLineEdit *>(QStringLiteral("keyFilter"));
    QVERIFY(filter);
    filter->setText(QStringLiteral("*")); // binary keys too, not only the app's prefix
    m_panel->rescan();
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->scanner()->isScanning(), 10000);
}

void TestKeyBrowserHostile::cleanupTestCase()
{
    m_probe.stop();
    m_window.reset();
    m_backend.reset();
}

bool TestKeyBrowserHostile::selectAndWait(const QByteArray &key)
{
    if (!m_panel->selectKey(key) || m_panel->selectedKey() != key)
        return false;
    // The title says "Loading …" until the preview of this key has arrived.
    return QTest::qWaitFor(
        [this] { return !m_title->text().startsWith(QStringLiteral("Loading")) && m_preview->topLevelItemCount() > 0; },
        10000);
}

void TestKeyBrowserHostile::listsEveryKey()
{
    for (const QByteArray &key : { NulKey, OnlyNul, InvalidUtf8, NewlineKey, BigString, HugeHash })
        QVERIFY2(m_panel->model()->rowOfKey(key) >= 0, key.toPercentEncoding().constData());
    // The bytes are kept exactly (a lossy conversion would merge or lose keys).
    const int row = m_panel->model()->rowOfKey(NulKey);
    QCOMPARE(
        m_panel->model()->index(row, KeyTableModel::KeyColumn).data(KeyTableModel::KeyBytesRole).toByteArray(), NulKey);
    // Types and sizes arrive for the visible rows.
    QTRY_COMPARE_WITH_TIMEOUT(cell(HugeHash, KeyTableModel::TypeColumn), QStringLiteral("hash"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(cell(BigString, KeyTableModel::SizeColumn).endsWith(QStringLiteral("MB")), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(cell(HugeHash, KeyTableModel::SizeColumn).endsWith(QStringLiteral("MB")), 10000);
}

void TestKeyBrowserHostile::binaryKeysShowTheirValue()
{
    QVERIFY(selectAndWait(NulKey));
    QCOMPARE(m_preview->topLevelItem(0)->text(1), QStringLiteral("value of the NUL key"));

    QVERIFY(selectAndWait(OnlyNul));
    QCOMPARE(m_preview->topLevelItem(0)->text(1), QString::fromUtf8(QByteArray("nul\0value", 9)));

    QVERIFY(selectAndWait(InvalidUtf8));
    QVERIFY(m_preview->topLevelItem(0)->text(1).contains(QStringLiteral(" invalid ")));

    QVERIFY(selectAndWait(NewlineKey));
    QVERIFY(m_title->text().contains(QStringLiteral("hash")));
    QCOMPARE(m_preview->topLevelItem(0)->text(0), QStringLiteral("field\nwith newline"));
    QCOMPARE(m_preview->topLevelItem(0)->text(1), QStringLiteral("value\r\nwith CRLF"));
}

void TestKeyBrowserHostile::bigStringPreviewIsTruncated()
{
    QVERIFY(selectAndWait(BigString));
    QCOMPARE(m_preview->topLevelItemCount(), 1);
    const QString shown = m_preview->topLevelItem(0)->text(1);
    QVERIFY2(!shown.isEmpty() && shown.size() <= KeyScanner::PreviewBytes, qPrintable(QString::number(shown.size())));
    // The title says how big the value is and that only its start is shown.
    QVERIFY2(m_title->text().contains(QString::number(BigStringBytes)), qPrintable(m_title->text()));
    QVERIFY2(m_title->text().contains(QStringLiteral("first %1 shown").arg(KeyScanner::PreviewBytes)),
        qPrintable(m_title->text()));
}

void TestKeyBrowserHostile::hugeHashPreviewIsBounded()
{
    QVERIFY(selectAndWait(HugeHash));
    const int rows = m_preview->topLevelItemCount();
    QVERIFY2(rows > 0 && rows < 1000, qPrintable(QString::number(rows)));
    QVERIFY2(m_title->text().contains(QString::number(HugeHashFields)), qPrintable(m_title->text()));
    QVERIFY2(m_title->text().contains(QStringLiteral("first %1 shown").arg(rows)), qPrintable(m_title->text()));
    QVERIFY(m_preview->topLevelItem(0)->text(0).startsWith(QLatin1Char('f')));
}

void TestKeyBrowserHostile::guiThreadNeverFroze()
{
    // Everything above ran with the probe on: scan, details, five previews.
    QVERIFY(m_probe.isActive());
    qInfo("longest gap between 10 ms ticks while loading: %lld ms", m_longestGapMs);
    QVERIFY2(m_longestGapMs < 1000, qPrintable(QStringLiteral("GUI thread blocked for %1 ms").arg(m_longestGapMs)));
}

QTEST_MAIN(TestKeyBrowserHostile)
#include "tst_keybrowserhostile.moc"
