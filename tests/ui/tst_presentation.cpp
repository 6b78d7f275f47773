// Presentation mode, zoom and named layouts on the real window (offscreen,
// 1280x800 screen, real redis-server): zoom reaches every panel including
// the charts and the sequence diagram; Teach shows only the lesson's four
// panels; Debug brings every panel back; a layout the user saves survives a
// restart; charts follow a palette change while running.
#include "backend.h"
#include "mainwindow.h"
#include "metricspanel.h"
#include "presentationcontroller.h"
#include "productspanel.h"
#include "productstablemodel.h"
#include "theme.h"
#include "tracediagram.h"
#include "tracelistmodel.h"
#include "uitestfixture.h"
#include "windowfixture.h"
#include "zoom.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QDockWidget>
#include <QHeaderView>
#include <QInputDialog>
#include <QLineEdit>
#include <QLineSeries>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStyleFactory>
#include <QTableView>

using namespace UiTest;

class TestPresentation final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void cleanup();
    void zoomReachesEveryPanel();
    void zoomShortcuts();
    void presentationModeShowsTheLessonPanels();
    void debugLayoutShowsEverything();
    void savedLayoutSurvivesARestart();
    void saveDialogRefusesBuiltInNames();
    void chartsFollowThePalette();

private:
    QAction *action(const char *name) { return findNamed<QAction>(m_window.get(), name); }
    QStringList visibleDocks() const;
    PresentationController *controller() const { return m_window->findChild<PresentationController *>(); }

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<MainWindow> m_window;
};

QStringList TestPresentation::visibleDocks() const
{
    QStringList names;
    for (QDockWidget *dock : m_window->findChildren<QDockWidget *>()) {
        if (!dock->isHidden())
            names << dock->objectName();
    }
    names.sort();
    return names;
}

void TestPresentation::initTestCase()
{
    openWindow(m_server, m_dir, m_backend, m_window);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(controller());
}

void TestPresentation::cleanupTestCase()
{
    m_window.reset();
    m_backend.reset();
}

void TestPresentation::cleanup()
{
    // Each test starts at 100 %, also after one that failed half-way.
    if (m_window && controller())
        controller()->zoom()->reset();
}

void TestPresentation::zoomReachesEveryPanel()
{
    auto *chart = findNamed<QChartView>(m_window.get(), "hitRatioChart");
    auto *diagram = m_window->findChild<TraceDiagram *>();
    auto *products = findNamed<QTableView>(m_window.get(), "productsTable");
    auto *get = findNamed<QPushButton>(m_window.get(), "getButton");
    auto *strategy = findNamed<QWidget>(m_window.get(), "strategyCombo");
    QVERIFY(chart && diagram && products && get && strategy);
    const qreal chartTitle = chart->chart()->titleFont().pointSizeF();
    const qreal axisLabels = chart->chart()->axes().first()->labelsFont().pointSizeF();
    const qreal legend = chart->chart()->legend()->font().pointSizeF();
    const int diagramHeight = diagram->sizeHint().height();
    const int row = products->verticalHeader()->defaultSectionSize();
    const qreal button = get->font().pointSizeF();
    const qreal combo = strategy->font().pointSizeF();

    controller()->zoom()->setFactor(1.6);
    QTRY_VERIFY(get->font().pointSizeF() > button * 1.5);
    QTRY_VERIFY(chart->chart()->titleFont().pointSizeF() > chartTitle * 1.5);
    QVERIFY(chart->chart()->axes().first()->labelsFont().pointSizeF() > axisLabels * 1.5);
    QVERIFY(chart->chart()->legend()->font().pointSizeF() > legend * 1.5);
    QVERIFY(diagram->font().pointSizeF() > button * 1.5);
    QVERIFY(diagram->sizeHint().height() > diagramHeight);
    // A font of its own (bold, larger) follows too.
    QTRY_VERIFY2(strategy->font().pointSizeF() > combo * 1.5,
        qPrintable(QStringLiteral("%1 pt, was %2; panel %3")
                       .arg(strategy->font().pointSizeF())
                       .arg(combo)
                       .arg(strategy->parentWidget()->font().pointSizeF())));
    QVERIFY(products->verticalHeader()->defaultSectionSize() > row);
    // Every table's rows are at least as tall as their text, the trace list's too.
    for (QTableView *table : m_window->findChildren<QTableView *>())
        QTRY_VERIFY2(table->verticalHeader()->defaultSectionSize() >= table->fontMetrics().height() + 4,
            qPrintable(table->objectName()));

    controller()->zoom()->reset();
    QTRY_COMPARE(get->font().pointSizeF(), button);
    QTRY_COMPARE(chart->chart()->titleFont().pointSizeF(), chartTitle);
    QCOMPARE(strategy->font().pointSizeF(), combo);
    QCOMPARE(QSettings().value(QStringLiteral("view/zoom")).toDouble(), 1.0);
}

void TestPresentation::zoomShortcuts()
{
    QVERIFY(action("actionZoomIn")->shortcuts().contains(QKeySequence(QKeySequence::ZoomIn)));
    QCOMPARE(action("actionZoomOut")->shortcuts(), QKeySequence::keyBindings(QKeySequence::ZoomOut));
    QCOMPARE(action("actionZoomReset")->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_0));
    QCOMPARE(action("actionPresentationMode")->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    // In the View menu, where a person looks for them.
    QMenu *view = nullptr;
    for (QAction *menu : m_window->menuBar()->actions()) {
        if (menu->text().remove(QLatin1Char('&')) == QLatin1String("View"))
            view = menu->menu();
    }
    QVERIFY(view && view->actions().contains(action("actionPresentationMode")));

    const qreal base = QApplication::font().pointSizeF();
    action("actionZoomIn")->trigger();
    QVERIFY(QApplication::font().pointSizeF() > base);
    action("actionZoomIn")->trigger();
    const qreal twice = QApplication::font().pointSizeF();
    action("actionZoomOut")->trigger();
    QVERIFY(QApplication::font().pointSizeF() < twice);
    action("actionZoomReset")->trigger();
    QCOMPARE(QApplication::font().pointSizeF(), base);

    // The keys themselves, as a person presses them.
    m_window->activateWindow();
    QTRY_VERIFY(m_window->isActiveWindow());
    QTest::keyClick(m_window.get(), Qt::Key_Equal, Qt::ControlModifier);
    QTRY_VERIFY(QApplication::font().pointSizeF() > base);
    QTest::keyClick(m_window.get(), Qt::Key_Minus, Qt::ControlModifier);
    QTRY_COMPARE(QApplication::font().pointSizeF(), base);
    QTest::keyClick(m_window.get(), Qt::Key_Equal, Qt::ControlModifier);
    QTest::keyClick(m_window.get(), Qt::Key_0, Qt::ControlModifier);
    QTRY_COMPARE(QApplication::font().pointSizeF(), base);
    QTest::keyClick(m_window.get(), Qt::Key_P, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_VERIFY(controller()->isPresentationMode());
    QTest::keyClick(m_window.get(), Qt::Key_P, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_VERIFY(!controller()->isPresentationMode());
    QTRY_COMPARE(QApplication::font().pointSizeF(), base);
}

void TestPresentation::presentationModeShowsTheLessonPanels()
{
    const qreal base = QApplication::font().pointSizeF();
    auto *recent = m_window->findChild<QDockWidget *>(QStringLiteral("recentDock"));
    recent->hide(); // the user's own arrangement, to come back afterwards
    const QStringList before = visibleDocks();
    action("actionPresentationMode")->trigger();
    QVERIFY(controller()->isPresentationMode());
    QVERIFY(action("actionPresentationMode")->isChecked());
    QStringList teach = PresentationController::teachDocks();
    teach.sort();
    QTRY_COMPARE(visibleDocks(), teach);
    QVERIFY(QApplication::font().pointSizeF() >= base * 1.3);
    // Large, and the four panels share the width.
    for (const QString &name : teach) {
        auto *dock = m_window->findChild<QDockWidget *>(name);
        QTRY_VERIFY2(dock->width() >= m_window->width() / 5, qPrintable(name));
    }
    // The trace list keeps its operation names readable at the zoom ("s…"
    // once): figures whole, the strategy column narrowed or gone first.
    auto *traces = findNamed<QTableView>(m_window.get(), "traceList");
    QVERIFY(traces);
    const int operation = traces->fontMetrics().horizontalAdvance(QStringLiteral("adjust-price #99"));
    QTRY_VERIFY2(traces->columnWidth(TraceListModel::OperationColumn) >= operation,
        qPrintable(QStringLiteral("operation column %1 px, \"adjust-price #99\" needs %2")
                       .arg(traces->columnWidth(TraceListModel::OperationColumn))
                       .arg(operation)));
    const int time = traces->fontMetrics().horizontalAdvance(TraceListModel::formatMicros(999'999'000));
    QVERIFY(traces->columnWidth(TraceListModel::TimeColumn) > time);

    action("actionPresentationMode")->trigger();
    QVERIFY(!controller()->isPresentationMode());
    QTRY_COMPARE(QApplication::font().pointSizeF(), base);
    QTRY_COMPARE(visibleDocks(), before);
    recent->show();
}

void TestPresentation::debugLayoutShowsEverything()
{
    QVERIFY(controller()->applyLayout(PresentationController::teachName()));
    QTRY_COMPARE(visibleDocks().size(), 4);
    QVERIFY(controller()->applyLayout(PresentationController::debugName()));
    QTRY_COMPARE(visibleDocks().size(), m_window->findChildren<QDockWidget *>().size());
    QCOMPARE(controller()->zoom()->factor(), 1.0);
    QVERIFY(!controller()->applyLayout(QStringLiteral("no such layout")));
}

void TestPresentation::savedLayoutSurvivesARestart()
{
    controller()->applyLayout(PresentationController::debugName());
    m_window->findChild<QDockWidget *>(QStringLiteral("metricsDock"))->hide();
    m_window->findChild<QDockWidget *>(QStringLiteral("eventsDock"))->hide();
    controller()->zoom()->setFactor(1.25);
    QVERIFY(controller()->saveLayout(QStringLiteral("My lesson")));
    QVERIFY(controller()->layoutNames().contains(QStringLiteral("My lesson")));
    const QStringList saved = visibleDocks();

    controller()->applyLayout(PresentationController::debugName());
    QTRY_VERIFY(visibleDocks() != saved);

    // A new window (the next start) lists it and brings it back, zoom included.
    m_window->close();
    auto second = std::make_unique<MainWindow>(m_backend.get(), WindowOptions {});
    second->show();
    QVERIFY(QTest::qWaitForWindowExposed(second.get()));
    auto *again = second->findChild<PresentationController *>();
    QVERIFY(again && again->layoutNames().contains(QStringLiteral("My lesson")));
    QVERIFY(again->applyLayout(QStringLiteral("My lesson")));
    QCOMPARE(again->zoom()->factor(), 1.25);
    QTRY_VERIFY(second->findChild<QDockWidget *>(QStringLiteral("metricsDock"))->isHidden());
    QVERIFY(second->findChild<QDockWidget *>(QStringLiteral("eventsDock"))->isHidden());
    QVERIFY(second->findChild<QDockWidget *>(QStringLiteral("traceDock"))->isVisible());
    again->deleteLayout(QStringLiteral("My lesson"));
    QVERIFY(!again->layoutNames().contains(QStringLiteral("My lesson")));
    again->applyLayout(PresentationController::debugName());
    second->close();
    second.reset();
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    controller()->applyLayout(PresentationController::debugName());
}

void TestPresentation::saveDialogRefusesBuiltInNames()
{
    QInputDialog *dialog = controller()->openSaveDialog();
    QVERIFY(dialog && dialog->isVisible());
    dialog->setTextValue(QStringLiteral("teach"));
    dialog->accept();
    QVERIFY(!LayoutLibrary::load(QStringLiteral("teach")));
    QVERIFY(!controller()->layoutNames().contains(QStringLiteral("teach")));

    dialog = controller()->openSaveDialog();
    dialog->setTextValue(QStringLiteral("Projector"));
    dialog->accept();
    QTRY_VERIFY(controller()->layoutNames().contains(QStringLiteral("Projector")));
    controller()->deleteLayout(QStringLiteral("Projector"));
}

// Switching the desktop to dark while CacheLab runs: the charts take the
// new background, text and series colours (they kept their first ones).
void TestPresentation::chartsFollowThePalette()
{
    auto *view = findNamed<QChartView>(m_window.get(), "hitRatioChart");
    QVERIFY(view);
    QChart *chart = view->chart();
    const QPalette light = QApplication::palette();
    QVERIFY(!Theme::isDark());
    const QColor lightHit = Theme::outcomeColor(TraceOutcome::Hit);
    const auto hitPen = [chart] {
        for (QAbstractSeries *s : chart->series()) {
            if (auto *line = qobject_cast<QLineSeries *>(s); line && line->name().startsWith(QStringLiteral("hit")))
                return line->pen().color();
        }
        return QColor();
    };
    QCOMPARE(hitPen(), lightHit);

    QPalette dark = light;
    dark.setColor(QPalette::Window, QColor(0x20, 0x22, 0x25));
    dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    dark.setColor(QPalette::Base, QColor(0x17, 0x18, 0x1a));
    dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
    QApplication::setPalette(dark);
    QVERIFY(Theme::isDark());
    QTRY_COMPARE(chart->backgroundBrush().color(), dark.color(QPalette::Base));
    QCOMPARE(chart->titleBrush().color(), dark.color(QPalette::Text));
    QCOMPARE(hitPen(), Theme::outcomeColor(TraceOutcome::Hit));
    QVERIFY(hitPen() != lightHit);
    QCOMPARE(chart->axes().first()->labelsColor(), dark.color(QPalette::Text));

    QApplication::setPalette(light);
    QTRY_COMPARE(chart->backgroundBrush().color(), light.color(QPalette::Base));
    QCOMPARE(hitPen(), lightHit);
}

QTEST_MAIN(TestPresentation)
#include "tst_presentation.moc"
