// The trace panel on its own, fed traces by hand: one unit in the Time
// column, every figure readable, long steps cut with the whole text in the
// tooltip and a click that opens them, follow-ups nested.
#include "tracediagram.h"
#include "tracelistmodel.h"
#include "tracepanel.h"

#include <QHeaderView>
#include <QTableView>
#include <QTest>

class TestTracePanel final : public QObject
{
    Q_OBJECT

private slots:
    void timeColumnHasOneUnit_data();
    void timeColumnHasOneUnit();
    void timeColumnIsNeverCut();
    void longStepHasItsTextInTheTooltipAndOpensOnClick();
    void followUpsAreNestedAndLeaveWithTheirCause();
};

namespace {
OperationTrace traceOf(quint64 id, qint64 micros, QString sql = QStringLiteral("SELECT 1"))
{
    OperationTrace t;
    t.id = id;
    t.operation = QStringLiteral("update");
    t.productId = 2;
    t.strategy = StrategyKind::WriteThrough;
    t.started = QDateTime::fromMSecsSinceEpoch(1'800'000'000'000 + qint64(id));
    t.totalMicros = micros;
    TraceStep sqlStep;
    sqlStep.system = TraceSystem::Sql;
    sqlStep.text = std::move(sql);
    sqlStep.micros = micros / 2;
    sqlStep.detail = QStringLiteral("1 row");
    t.steps.append(sqlStep);
    TraceStep set;
    set.system = TraceSystem::Redis;
    set.text = QStringLiteral("HSET product:2 name x");
    set.outcome = TraceOutcome::Fill;
    set.micros = micros / 4;
    t.steps.append(set);
    return t;
}
} // namespace

void TestTracePanel::timeColumnHasOneUnit_data()
{
    QTest::addColumn<qint64>("micros");
    QTest::addColumn<QString>("shown");
    QTest::newRow("829 µs") << qint64(829) << QStringLiteral("0.83 ms");
    QTest::newRow("829 ms") << qint64(829'000) << QStringLiteral("829 ms");
    QTest::newRow("12.4 ms") << qint64(12'400) << QStringLiteral("12.4 ms");
    QTest::newRow("69 s") << qint64(69'123'000) << QLocale().toString(69123) + QStringLiteral(" ms");
}

void TestTracePanel::timeColumnHasOneUnit()
{
    QFETCH(qint64, micros);
    QFETCH(QString, shown);
    TraceListModel model;
    model.addTrace(traceOf(1, micros));
    const QString text = model.index(0, TraceListModel::TimeColumn).data().toString();
    QCOMPARE(text, shown);
    QVERIFY(!text.contains(QStringLiteral("µs")));
    QVERIFY(!text.endsWith(QStringLiteral(" s")));
}

void TestTracePanel::timeColumnIsNeverCut()
{
    // A reconnect can make one operation take a minute: its time must still
    // be read whole beside the quick ones, in a narrow panel.
    TracePanel panel(nullptr);
    panel.resize(360, 400);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    panel.addTrace(traceOf(1, 300));
    panel.addTrace(traceOf(2, 69'123'000));
    QTableView *view = panel.view();
    const QString longest = panel.model()->index(panel.model()->rowOfId(2), TraceListModel::TimeColumn).data().toString();
    QTRY_VERIFY2(view->horizontalHeader()->sectionSize(TraceListModel::TimeColumn)
            >= view->fontMetrics().horizontalAdvance(longest) + 2 * view->style()->pixelMetric(QStyle::PM_FocusFrameHMargin),
        qPrintable(QStringLiteral("%1 px for \"%2\"")
                       .arg(view->horizontalHeader()->sectionSize(TraceListModel::TimeColumn))
                       .arg(longest)));
}

void TestTracePanel::longStepHasItsTextInTheTooltipAndOpensOnClick()
{
    TracePanel panel(nullptr);
    panel.resize(480, 500);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    const QString sql = QStringLiteral("UPDATE products SET name = ?, price = ?, version = version + 1, updated_at = ? "
                                       "WHERE id = ? AND version = ?  -- 'A long product name', 1990, 2, 7");
    panel.addTrace(traceOf(1, 4000, sql));
    TraceDiagram *diagram = panel.diagram();
    QTRY_VERIFY(diagram->hasTrace());
    QVERIFY(diagram->isStepElided(0));
    QVERIFY(!diagram->isStepElided(1)); // the short HSET fits
    // The tooltip has all of it.
    QVERIFY(diagram->stepToolTip(0).contains(sql.toHtmlEscaped()));
    QVERIFY(diagram->stepToolTip(0).contains(QStringLiteral("1 row")));

    // Click the step: it opens in place and the diagram grows to hold it.
    const int before = diagram->sizeHint().height();
    int y = -1;
    for (int py = 0; py < diagram->height() && y < 0; ++py)
        if (diagram->stepAt(QPoint(50, py)) == 0)
            y = py + 2;
    QVERIFY(y >= 0);
    QTest::mouseClick(diagram, Qt::LeftButton, {}, QPoint(diagram->width() / 2, y));
    QVERIFY(diagram->isStepExpanded(0));
    QVERIFY(diagram->sizeHint().height() > before);
    QVERIFY(diagram->stepToolTip(0).contains(QStringLiteral("fold")));
    // Clicking the step that fits changes nothing.
    const int stepOneY = [&] {
        for (int py = 0; py < diagram->sizeHint().height(); ++py)
            if (diagram->stepAt(QPoint(50, py)) == 1)
                return py + 2;
        return -1;
    }();
    QVERIFY(stepOneY >= 0);
    QTest::mouseClick(diagram, Qt::LeftButton, {}, QPoint(diagram->width() / 2, stepOneY));
    QVERIFY(!diagram->isStepExpanded(1));
    // Again on the first: folded.
    QTest::mouseClick(diagram, Qt::LeftButton, {}, QPoint(diagram->width() / 2, y));
    QVERIFY(!diagram->isStepExpanded(0));
    QCOMPARE(diagram->sizeHint().height(), before);

    // Enter opens every cut step; a new operation starts folded.
    diagram->setFocus();
    QTest::keyClick(diagram, Qt::Key_Return);
    QVERIFY(diagram->isStepExpanded(0));
    panel.addTrace(traceOf(2, 4000, sql));
    QCOMPARE(diagram->trace().id, quint64(2));
    QVERIFY(!diagram->isStepExpanded(0));
}

void TestTracePanel::followUpsAreNestedAndLeaveWithTheirCause()
{
    TraceListModel model;
    model.addTrace(traceOf(1, 100));
    OperationTrace tags = traceOf(2, 100);
    tags.operation = QStringLiteral("tags-of");
    tags.causedBy = 1;
    model.addTrace(tags);
    QCOMPARE(model.rowOfId(2), model.rowOfId(1) + 1);
    QVERIFY(model.index(model.rowOfId(2), TraceListModel::OperationColumn).data().toString().contains(QChar(0x21b3)));
    // The list keeps its capacity; the oldest go first, follow-up and cause.
    quint64 id = 3;
    while (model.rowOfId(1) >= 0)
        model.addTrace(traceOf(id++, 100));
    QCOMPARE(model.rowOfId(2), -1);
    QCOMPARE(model.rowCount(), TraceListModel::Capacity);
    QCOMPARE(model.rowOfId(id - 1), 0);
}

QTEST_MAIN(TestTracePanel)
#include "tst_tracepanel.moc"
