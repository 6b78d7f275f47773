// ExportActions: menu entries, a save dialog each, core's formats, one write.
#include "exportactions.h"

#include "chartexport.h"
#include "eventexport.h"
#include "eventlogmodel.h"
#include "eventspanel.h"
#include "infopoller.h"
#include "metricsexport.h"
#include "productservice.h"
#include "tracediagram.h"
#include "traceexport.h"
#include "tracelistmodel.h"
#include "tracepanel.h"

#include <QAction>
#include <QChart>
#include <QChartView>
#include <QFileDialog>
#include <QMenu>
#include <QSaveFile>

ExportActions::ExportActions(QWidget *window, QMenu *menu)
    : QObject(window)
    , m_window(window)
    , m_chartMenu(menu->addMenu(tr("&Chart")))
    , m_selectedTrace(menu->addAction(tr("Selected &Operation Trace…")))
    , m_allTraces(menu->addAction(tr("&All Traces…")))
    , m_events(menu->addAction(tr("&Events as CSV…")))
    , m_metrics(menu->addAction(tr("&Metrics as CSV…")))
{
    m_chartMenu->setObjectName(QStringLiteral("exportChartMenu"));
    m_selectedTrace->setObjectName(QStringLiteral("exportSelectedTrace"));
    m_selectedTrace->setToolTip(tr("The operation the trace diagram shows, as text, JSON or CSV"));
    m_allTraces->setObjectName(QStringLiteral("exportAllTraces"));
    m_allTraces->setToolTip(tr("Every operation in the trace list, oldest first, as text, JSON or CSV"));
    m_events->setObjectName(QStringLiteral("exportEvents"));
    m_events->setToolTip(tr("The keyspace events the Events panel holds, oldest first"));
    m_metrics->setObjectName(QStringLiteral("exportMetrics"));
    m_metrics->setToolTip(tr("Hits, misses, latency percentiles per strategy and Redis's memory figures"));
    menu->insertSeparator(m_selectedTrace);
    menu->insertSeparator(m_events);

    connect(m_chartMenu, &QMenu::aboutToShow, this, &ExportActions::updateChartActions);
    connect(menu, &QMenu::aboutToShow, this, &ExportActions::updateEnabled);
    connect(m_selectedTrace, &QAction::triggered, this, [this] {
        if (m_trace && m_trace->diagram()->hasTrace()) {
            const OperationTrace &t = m_trace->diagram()->trace();
            exportTraces({ t }, tr("Export Operation Trace"),
                QStringLiteral("trace-%1-%2")
                    .arg(t.id)
                    .arg(t.operation.isEmpty() ? QStringLiteral("op") : t.operation));
        } else {
            emit message(tr("No operation selected in the Trace panel."));
        }
    });
    connect(m_allTraces, &QAction::triggered, this,
        [this] { exportTraces(listedTraces(), tr("Export All Traces"), QStringLiteral("traces")); });
    connect(m_events, &QAction::triggered, this, &ExportActions::exportEvents);
    connect(m_metrics, &QAction::triggered, this, &ExportActions::exportMetrics);
    updateEnabled();
}

void ExportActions::attach(TracePanel *trace, EventsPanel *events, ProductService *service, InfoPoller *info)
{
    m_trace = trace;
    m_eventsPanel = events;
    m_service = service;
    m_info = info;
    updateEnabled();
    updateChartActions();
}

void ExportActions::updateEnabled()
{
    // Without a selected operation the entry says so in the status bar.
    m_selectedTrace->setEnabled(m_trace != nullptr);
    m_allTraces->setEnabled(m_trace != nullptr);
    m_events->setEnabled(m_eventsPanel != nullptr);
    m_metrics->setEnabled(m_service != nullptr);
}

QList<QAction *> ExportActions::chartActions() const
{
    return m_chartMenu->actions();
}

void ExportActions::updateChartActions()
{
    m_chartMenu->clear(); // deletes the old entries (the menu owns them)
    const QList<QChartView *> views = m_window->findChildren<QChartView *>();
    for (QChartView *view : views) {
        QString label = view->chart() ? view->chart()->title() : QString();
        if (label.isEmpty())
            label = view->objectName();
        // A '&' in a title is a character, not a mnemonic.
        QAction *a = m_chartMenu->addAction(label.replace(QLatin1Char('&'), QStringLiteral("&&")) + QChar(0x2026));
        a->setObjectName(QStringLiteral("exportChart_") + view->objectName());
        a->setToolTip(tr("Save this chart as a PNG picture or an SVG drawing"));
        connect(a, &QAction::triggered, this, [this, view = QPointer<QChartView>(view)] {
            if (view)
                exportChart(view);
        });
    }
    m_chartMenu->setEnabled(!views.isEmpty());
}

QList<OperationTrace> ExportActions::listedTraces() const
{
    QList<OperationTrace> out;
    if (!m_trace)
        return out;
    const TraceListModel *model = m_trace->model();
    // The list shows the newest first; a file reads better in time order.
    for (int row = model->rowCount() - 1; row >= 0; --row)
        out.append(model->traceAt(row));
    return out;
}

QString ExportActions::askPath(const QString &caption, const QString &suggested, const QString &filters) const
{
    if (m_pathProvider)
        return m_pathProvider(caption, suggested, filters);
    return QFileDialog::getSaveFileName(m_window, caption, suggested, filters);
}

void ExportActions::exportChart(QChartView *view)
{
    const QString path = askPath(tr("Export Chart"), ChartExport::suggestedName(view, QStringLiteral("png")),
        tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (path.isEmpty())
        return;
    QString error;
    emit message(ChartExport::save(view, path, &error) ? tr("Saved %1").arg(path) : tr("Not saved: %1").arg(error));
}

void ExportActions::exportTraces(const QList<OperationTrace> &traces, const QString &caption, const QString &name)
{
    const QString path = askPath(
        caption, name + QStringLiteral(".txt"), tr("Text (*.txt);;JSON (*.json);;CSV, one row per step (*.csv)"));
    if (path.isEmpty())
        return;
    const auto format = TraceExport::formatForPath(path);
    if (!format) {
        emit message(tr("Not saved: %1: a trace is saved as .txt, .json or .csv").arg(path));
        return;
    }
    if (write(path, TraceExport::render(traces, *format)))
        emit message(tr("Saved %n operation(s) to %1", nullptr, int(traces.size())).arg(path));
}

void ExportActions::exportEvents()
{
    if (!m_eventsPanel)
        return;
    const QString path = askPath(tr("Export Events"), QStringLiteral("events.csv"), tr("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    const EventLogModel *model = m_eventsPanel->model();
    QList<KeyspaceEvent> events;
    events.reserve(model->rowCount());
    for (int row = 0; row < model->rowCount(); ++row)
        events.append(model->eventAt(row));
    if (write(path, EventExport::toCsv(events).toUtf8()))
        emit message(tr("Saved %n event(s) to %1", nullptr, int(events.size())).arg(path));
}

void ExportActions::exportMetrics()
{
    if (!m_service)
        return;
    const QString path = askPath(tr("Export Metrics"), QStringLiteral("metrics.csv"), tr("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    const RedisServerInfo info = m_info ? m_info->last() : RedisServerInfo {};
    if (write(path, MetricsExport::toCsv(m_service->metrics(), info).toUtf8()))
        emit message(tr("Saved the metrics to %1").arg(path));
}

bool ExportActions::write(const QString &path, const QByteArray &bytes)
{
    // QSaveFile: an existing file is replaced only once the new one is whole.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        emit message(tr("Not saved: could not write %1: %2").arg(path, file.errorString()));
        return false;
    }
    return true;
}
