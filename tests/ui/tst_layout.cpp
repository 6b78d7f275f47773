// The window on a given screen with a 12 pt system font: it fits the screen
// it opens on (status bar included), and no dock title, tab, chart text or
// button text is cut. CTest runs this twice (tests/ui/CMakeLists.txt): on a
// 1280x800 screen, and on a 1920x1080 screen at QT_SCALE_FACTOR=1.5 (1280x720
// logical pixels, the projector case). The screen comes from the offscreen
// platform's configfile; CACHELAB_TEST_FONT_PT sets the system font.
#include "backend.h"
#include "elisionchecks.h"
#include "keybrowserpanel.h"
#include "keytablemodel.h"
#include "mainwindow.h"
#include "metricspanel.h"
#include "presentationcontroller.h"
#include "productspanel.h"
#include "productstablemodel.h"
#include "uitestfixture.h"
#include "windowfixture.h"

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QScrollArea>
#include <QScrollBar>
#include <QTableView>

using namespace UiTest;

class TestLayout final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void windowFitsTheScreen();
    void nothingIsCut();
    void keyNamesShowWhole();
    void strategyNamesAndExplanationShowWhole();
    void formPanelsNeverScrollSideways();
    void presentationModeFitsAndIsLarger();

private:
    void waitLaidOut();
    static QString report(const QStringList &problems) { return problems.join(QStringLiteral("\n  ")); }

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<MainWindow> m_window;
};

void TestLayout::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    const double points = qEnvironmentVariable("CACHELAB_TEST_FONT_PT", QStringLiteral("12")).toDouble();
    QFont font = QApplication::font();
    font.setPointSizeF(points);
    QApplication::setFont(font);
    qInfo("screen %dx%d logical, scale %.2f, font %.1f pt", QGuiApplication::primaryScreen()->geometry().width(),
        QGuiApplication::primaryScreen()->geometry().height(), QGuiApplication::primaryScreen()->devicePixelRatio(),
        points);

    QVERIFY(m_dir.isValid());
    openWindow(m_server, m_dir, m_backend, m_window);
    if (QTest::currentTestFailed())
        return;
    QTRY_VERIFY_WITH_TIMEOUT(m_window->keyBrowserPanel()->model()->rowCount() > 0, 10000);
    waitLaidOut();
}

void TestLayout::cleanupTestCase()
{
    m_window.reset();
    m_backend.reset();
}

void TestLayout::waitLaidOut()
{
    // The real panels replace the placeholders after ready(); sizes are
    // applied on the next turn. Wait until the metrics charts have a size.
    auto *chart = m_window->findChild<QChartView *>(QStringLiteral("latencyChart"));
    QVERIFY(chart);
    QTRY_VERIFY_WITH_TIMEOUT(chart->chart()->plotArea().width() > 0, 5000);
    QApplication::processEvents();
}

void TestLayout::windowFitsTheScreen()
{
    const QRect available = m_window->screen()->availableGeometry();
    // What each panel asks for, for the log when it does not fit.
    for (QDockWidget *dock : m_window->findChildren<QDockWidget *>()) {
        if (dock->isVisible())
            qInfo("%s: %dx%d, at least %dx%d", qPrintable(dock->objectName()), dock->width(), dock->height(),
                dock->minimumSizeHint().width(), dock->minimumSizeHint().height());
    }
    QVERIFY2(available.contains(m_window->frameGeometry()),
        qPrintable(QStringLiteral("window %1,%2 %3x%4 on a screen of %5x%6")
                       .arg(m_window->frameGeometry().x())
                       .arg(m_window->frameGeometry().y())
                       .arg(m_window->frameGeometry().width())
                       .arg(m_window->frameGeometry().height())
                       .arg(available.width())
                       .arg(available.height())));
    // It uses the screen: at least most of it.
    QVERIFY(m_window->width() >= available.width() * 9 / 10);
    QVERIFY(m_window->height() >= available.height() * 8 / 10);
    // The status bar (where the write-behind queue is) is on screen.
    QStatusBar *status = m_window->statusBar();
    QVERIFY(status->isVisible());
    const QRect bar(status->mapToGlobal(QPoint(0, 0)), status->size());
    QVERIFY2(available.contains(bar),
        qPrintable(QStringLiteral("status bar at y %1..%2, screen ends at %3")
                       .arg(bar.top())
                       .arg(bar.bottom())
                       .arg(available.bottom())));
    QVERIFY(m_window->findChild<QWidget *>(QStringLiteral("statusQueue"))->isVisible());
}

void TestLayout::nothingIsCut()
{
    QStringList problems = ElisionChecks::dockTitles(m_window.get());
    problems += ElisionChecks::chartTexts(m_window.get());
    problems += ElisionChecks::buttonTexts(m_window.get());
    QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("\n  ") + report(problems)));
}

// The key column gets what the fixed columns leave: at 12 pt the
// bookkeeping keys showed as "cac…ges". Every key that fits the column's
// room is shown whole.
void TestLayout::keyNamesShowWhole()
{
    QTableView *keys = m_window->keyBrowserPanel()->view();
    KeyTableModel *model = m_window->keyBrowserPanel()->model();
    QTRY_VERIFY_WITH_TIMEOUT(model->rowOfKey(QByteArrayLiteral("cachelab:changes")) >= 0, 10000);
    const int column = keys->horizontalHeader()->sectionSize(KeyTableModel::KeyColumn);
    const QString key = QStringLiteral("cachelab:changes");
    const int needed = keys->fontMetrics().horizontalAdvance(key) + 12;
    QVERIFY2(needed <= column,
        qPrintable(QStringLiteral("\"%1\" needs %2 px, the key column has %3 of %4")
                       .arg(key)
                       .arg(needed)
                       .arg(column)
                       .arg(keys->viewport()->width())));
}

// Strategy names are never cut (and carry their description as a tooltip);
// the explanation box is as tall as its wrapped text (it was clipped
// mid-sentence at 1280x800), in its dock or by scrolling there.
void TestLayout::strategyNamesAndExplanationShowWhole()
{
    auto *combo = m_window->findChild<QComboBox *>(QStringLiteral("strategyCombo"));
    QVERIFY(combo && combo->isVisible());
    for (int i = 0; i < combo->count(); ++i) {
        const int needed = combo->fontMetrics().horizontalAdvance(combo->itemText(i));
        QVERIFY2(needed < combo->width() - 16,
            qPrintable(
                QStringLiteral("\"%1\" needs %2 px of %3").arg(combo->itemText(i)).arg(needed).arg(combo->width())));
        const QString tip = combo->itemData(i, Qt::ToolTipRole).toString();
        QVERIFY2(tip.startsWith(combo->itemText(i)) && tip.size() > combo->itemText(i).size() + 10, qPrintable(tip));
    }
    auto *explanation = m_window->findChild<QLabel *>(QStringLiteral("explanation"));
    QVERIFY(explanation && explanation->isVisible());
    QTRY_VERIFY2(explanation->height() >= explanation->heightForWidth(explanation->width()),
        qPrintable(QStringLiteral("%1 px high, its text needs %2")
                       .arg(explanation->height())
                       .arg(explanation->heightForWidth(explanation->width()))));
    QVERIFY(explanation->toolTip().contains(QStringLiteral("Read:")));
}

// With a large font the strategy settings go one a row rather than past the
// dock's right edge: the form panels may scroll down, never sideways.
void TestLayout::formPanelsNeverScrollSideways()
{
    for (const char *name : { "strategyDockScroll", "editorDockScroll" }) {
        auto *area = findNamed<QScrollArea>(m_window.get(), name);
        QVERIFY(area);
        QTRY_VERIFY2(!area->horizontalScrollBar()->isVisible(),
            qPrintable(QStringLiteral("%1 scrolls sideways: %2 px shown of %3")
                           .arg(QLatin1String(name))
                           .arg(area->viewport()->width())
                           .arg(area->widget()->width())));
    }
}

// Presentation mode zooms in and still fits: larger fonts, nothing cut,
// the status bar on screen; leaving it restores the font.
void TestLayout::presentationModeFitsAndIsLarger()
{
    auto *controller = m_window->findChild<PresentationController *>();
    QVERIFY(controller);
    const qreal before = QApplication::font().pointSizeF();
    controller->setPresentationMode(true);
    QTRY_VERIFY(QApplication::font().pointSizeF() > before * 1.2);
    // Hiding the other docks settles over a few event-loop turns.
    QTRY_VERIFY(m_window->findChild<QDockWidget *>(QStringLiteral("metricsDock"))->isHidden());
    QTRY_VERIFY(ElisionChecks::dockTitles(m_window.get()).isEmpty());
    QTRY_VERIFY(m_window->keyBrowserPanel()->view()->font().pointSizeF() > before * 1.2);
    const QRect available = m_window->screen()->availableGeometry();
    QTRY_VERIFY(available.contains(m_window->frameGeometry()));
    QStringList problems = ElisionChecks::dockTitles(m_window.get());
    problems += ElisionChecks::buttonTexts(m_window.get());
    QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("\n  ") + report(problems)));
    controller->setPresentationMode(false);
    QTRY_COMPARE(QApplication::font().pointSizeF(), before);
}

QTEST_MAIN(TestLayout)
#include "tst_layout.moc"
