// File > Export on the real window: each chart as PNG (loads, has the
// chart's size) and SVG (parses, draws the chart's title), the selected
// trace and all traces as text/JSON/CSV, the events and the metrics as CSV.
// The save dialog is replaced by the test hook; offscreen, real redis-server.
#include "eventspanel.h"
#include "exportactions.h"
#include "infopoller.h"
#include "keyspacewatcher.h"
#include "mainwindow.h"
#include "metricspanel.h"
#include "productservice.h"
#include "tracediagram.h"
#include "tracelistmodel.h"
#include "tracepanel.h"
#include "uitestfixture.h"
#include "windowfixture.h"

#include <QAction>
#include <QChart>
#include <QChartView>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

using namespace UiTest;

class TestExportActions final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void exportMenuIsUnderFile();
    void everyChartAsPngAndSvg();
    void tracesAsTextJsonAndCsv();
    void eventsAndMetricsAsCsv();
    void cancelledDialogWritesNothing();

private:
    /// Triggers action with the hook answering path; returns the status message.
    QString exportTo(QAction *action, const QString &path);
    QByteArray read(const QString &path) const;

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    QTemporaryDir m_out;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<MainWindow> m_window;
    QString m_lastCaption;
};

void TestExportActions::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    QVERIFY(m_dir.isValid() && m_out.isValid());
    if (qEnvironmentVariableIsSet("CACHELAB_KEEP_EXPORTS")) { // to look at the files
        m_out.setAutoRemove(false);
        qInfo("exports in %s", qPrintable(m_out.path()));
    }
    openWindow(m_server, m_dir, m_backend, m_window);
    if (QTest::currentTestFailed())
        return;
    QTRY_VERIFY_WITH_TIMEOUT(m_window->tracePanel() != nullptr, 10000);
    // Two gets: a miss then a hit, so there are traces, events and metrics.
    for (int i = 0; i < 2; ++i) {
        std::optional<ServiceResult> got;
        m_backend->service()->get(3, this, [&](const ServiceResult &r) { got = r; });
        QTRY_VERIFY_WITH_TIMEOUT(got.has_value(), 10000);
    }
    QTRY_VERIFY_WITH_TIMEOUT(m_window->eventsPanel()->total() > 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->metricsPanel()->samples() >= 2, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(m_backend->infoPoller()->last().sampledAt.isValid(), 10000);
}

void TestExportActions::cleanupTestCase()
{
    m_window.reset();
    m_backend.reset();
}

QString TestExportActions::exportTo(QAction *action, const QString &path)
{
    m_lastCaption.clear();
    m_window->exportActions()->setSavePathProvider(
        [this, path](const QString &caption, const QString &, const QString &) {
            m_lastCaption = caption;
            return path;
        });
    m_window->statusBar()->clearMessage();
    action->trigger();
    // Every export ends with a message; an empty one fails the caller's check.
    (void)QTest::qWaitFor([this] { return !m_window->statusBar()->currentMessage().isEmpty(); }, 5000);
    return m_window->statusBar()->currentMessage();
}

QByteArray TestExportActions::read(const QString &path) const
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void TestExportActions::exportMenuIsUnderFile()
{
    QMenu *file = nullptr;
    for (QAction *a : m_window->menuBar()->actions()) {
        if (a->menu() && a->text() == QLatin1String("&File"))
            file = a->menu();
    }
    QVERIFY(file);
    QMenu *exportMenu = nullptr;
    for (QAction *a : file->actions()) {
        if (a->menu() && a->menu()->objectName() == QLatin1String("exportMenu"))
            exportMenu = a->menu();
    }
    QVERIFY(exportMenu);
    ExportActions *actions = m_window->exportActions();
    QVERIFY(exportMenu->actions().contains(actions->allTracesAction()));
    QVERIFY(exportMenu->actions().contains(actions->eventsAction()));
    QVERIFY(exportMenu->actions().contains(actions->metricsAction()));
    QVERIFY(actions->allTracesAction()->isEnabled());
}

void TestExportActions::everyChartAsPngAndSvg()
{
    ExportActions *actions = m_window->exportActions();
    actions->updateChartActions();
    const QList<QChartView *> views = m_window->findChildren<QChartView *>();
    QVERIFY(views.size() >= 4); // the metrics panel's four, and any other panel's
    QCOMPARE(actions->chartActions().size(), views.size());
    for (QChartView *view : views) {
        const QString title = view->chart()->title();
        QVERIFY2(!title.isEmpty(), qPrintable(view->objectName()));
        QAction *action = nullptr;
        for (QAction *a : actions->chartActions()) {
            if (a->objectName() == QLatin1String("exportChart_") + view->objectName())
                action = a;
        }
        QVERIFY2(action, qPrintable(view->objectName()));
        QVERIFY(action->text().startsWith(QString(title).replace(QLatin1Char('&'), QStringLiteral("&&"))));

        const QString png = m_out.filePath(view->objectName() + QStringLiteral(".png"));
        QString message = exportTo(action, png);
        QVERIFY2(message.startsWith(QLatin1String("Saved")), qPrintable(message));
        QCOMPARE(m_lastCaption, QStringLiteral("Export Chart"));
        QImage image;
        QVERIFY2(image.load(png, "PNG"), qPrintable(png));
        QCOMPARE(image.size(), view->size() * view->devicePixelRatio());
        // Not a blank picture: the chart draws lines and text in it.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 3) {
            for (int x = 0; x < image.width(); x += 3)
                colours.insert(image.pixel(x, y));
        }
        QVERIFY2(colours.size() > 4, qPrintable(view->objectName()));

        const QString svg = m_out.filePath(view->objectName() + QStringLiteral(".svg"));
        message = exportTo(action, svg);
        QVERIFY2(message.startsWith(QLatin1String("Saved")), qPrintable(message));
        QXmlStreamReader xml(read(svg));
        QString svgTitle;
        QString drawnText;
        QString viewBox;
        while (!xml.atEnd()) {
            if (xml.readNext() != QXmlStreamReader::StartElement)
                continue;
            if (xml.name() == QLatin1String("svg"))
                viewBox = xml.attributes().value(QLatin1String("viewBox")).toString();
            else if (xml.name() == QLatin1String("title"))
                svgTitle = xml.readElementText();
            else if (xml.name() == QLatin1String("text"))
                drawnText += xml.readElementText(QXmlStreamReader::IncludeChildElements) + QLatin1Char('\n');
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QCOMPARE(svgTitle, title);
        // The title is drawn as text, not only named in <title>.
        QVERIFY2(drawnText.contains(title), qPrintable(drawnText));
        QCOMPARE(viewBox, QStringLiteral("0 0 %1 %2").arg(view->width()).arg(view->height()));
    }

    // A suffix the chart cannot be written as: nothing written, a message.
    const QString bad = m_out.filePath(QStringLiteral("chart.gif"));
    const QString message = exportTo(actions->chartActions().first(), bad);
    QVERIFY2(message.startsWith(QLatin1String("Not saved")), qPrintable(message));
    QVERIFY(!QFile::exists(bad));
}

void TestExportActions::tracesAsTextJsonAndCsv()
{
    ExportActions *actions = m_window->exportActions();
    TracePanel *trace = m_window->tracePanel();
    QTRY_VERIFY(trace->diagram()->hasTrace());
    const OperationTrace selected = trace->diagram()->trace();
    const int listed = trace->model()->rowCount();
    QVERIFY(listed >= 2);

    // The selected operation, as text: exactly its clipboard text.
    const QString txt = m_out.filePath(QStringLiteral("selected.txt"));
    QString message = exportTo(actions->selectedTraceAction(), txt);
    QVERIFY2(message.startsWith(QLatin1String("Saved 1 operation")), qPrintable(message));
    QCOMPARE(QString::fromUtf8(read(txt)), selected.toText() + QLatin1Char('\n'));

    // All listed operations, as JSON, oldest first.
    const QString json = m_out.filePath(QStringLiteral("all.json"));
    message = exportTo(actions->allTracesAction(), json);
    QVERIFY2(message.startsWith(QLatin1String("Saved")), qPrintable(message));
    const QJsonObject root = QJsonDocument::fromJson(read(json)).object();
    QCOMPARE(root.value(QLatin1String("format")).toString(), QStringLiteral("cachelab-traces"));
    const QJsonArray traces = root.value(QLatin1String("traces")).toArray();
    QCOMPARE(traces.size(), listed);
    QCOMPARE(traces.last().toObject(), trace->model()->traceAt(0).toJson());
    QCOMPARE(traces.first().toObject(), trace->model()->traceAt(listed - 1).toJson());

    // As CSV: a header and one row per step of every operation.
    const QString csv = m_out.filePath(QStringLiteral("all.csv"));
    message = exportTo(actions->allTracesAction(), csv);
    QVERIFY2(message.startsWith(QLatin1String("Saved")), qPrintable(message));
    const QByteArray bytes = read(csv);
    QVERIFY(bytes.startsWith("trace_id,started,operation,strategy"));
    QVERIFY(bytes.contains("HGETALL product:3"));

    // A suffix that is no trace format.
    const QString bad = m_out.filePath(QStringLiteral("all.xml"));
    message = exportTo(actions->allTracesAction(), bad);
    QVERIFY2(message.startsWith(QLatin1String("Not saved")), qPrintable(message));
    QVERIFY(!QFile::exists(bad));
}

void TestExportActions::eventsAndMetricsAsCsv()
{
    ExportActions *actions = m_window->exportActions();
    const QString events = m_out.filePath(QStringLiteral("events.csv"));
    QString message = exportTo(actions->eventsAction(), events);
    QVERIFY2(message.startsWith(QLatin1String("Saved")), qPrintable(message));
    const QList<QByteArray> lines = read(events).split('\n');
    QCOMPARE(lines.first(), QByteArray("time,db,event,key\r"));
    QVERIFY(lines.size() - 2 >= 1); // header, rows, and the empty piece after the last CRLF
    QVERIFY(read(events).contains(",product:3\r\n"));

    const QString metrics = m_out.filePath(QStringLiteral("metrics.csv"));
    message = exportTo(actions->metricsAction(), metrics);
    QVERIFY2(message.startsWith(QLatin1String("Saved")), qPrintable(message));
    const QByteArray m = read(metrics);
    QVERIFY(m.startsWith("metric,operation,strategy,value\r\n"));
    QVERIFY2(m.contains("\r\nhits,,,"), m.constData());
    QVERIFY2(m.contains("\r\ncount,get,cache-aside,"), m.constData());
    QVERIFY2(m.contains("\r\nredis.usedMemory,,,"), m.constData());
}

void TestExportActions::cancelledDialogWritesNothing()
{
    const QStringList before = QDir(m_out.path()).entryList(QDir::Files);
    m_window->statusBar()->clearMessage();
    m_window->exportActions()->setSavePathProvider(
        [](const QString &, const QString &, const QString &) { return QString(); });
    m_window->exportActions()->metricsAction()->trigger();
    m_window->exportActions()->allTracesAction()->trigger();
    QCOMPARE(QDir(m_out.path()).entryList(QDir::Files), before);
    QCOMPARE(m_window->statusBar()->currentMessage(), QString());
}

QTEST_MAIN(TestExportActions)
#include "tst_exportactions.moc"
