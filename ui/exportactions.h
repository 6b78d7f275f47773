// ExportActions: File > Export, which saves what the window shows as files:
// each chart as PNG or SVG, the trace (the selected operation or every one
// listed) as text, JSON or CSV, the keyspace events and the metrics as CSV.
//
// The formats are core's (TraceExport, EventExport, MetricsExport); this
// class only asks where to save (a file dialog, or the test hook) and
// writes the file. The chart entries are made when the menu opens, one per
// chart view in the window, named by the chart's title. Until attach() the
// entries that need the panels are disabled.
#pragma once

#include "operationtrace.h"

#include <functional>
#include <QObject>
#include <QPointer>

class EventsPanel;
class InfoPoller;
class ProductService;
class QAction;
class QChartView;
class QMenu;
class QWidget;
class TracePanel;

class ExportActions final : public QObject
{
    Q_OBJECT

public:
    /// Returns the chosen path, or empty to cancel. caption: the dialog's
    /// title; suggested: a file name; filters: as QFileDialog takes them.
    using SavePathProvider
        = std::function<QString(const QString &caption, const QString &suggested, const QString &filters)>;

    /// Fills menu; window is searched for chart views and parents the dialogs.
    ExportActions(QWidget *window, QMenu *menu);

    void attach(TracePanel *trace, EventsPanel *events, ProductService *service, InfoPoller *info);
    /// Test hook: paths come from provider instead of a file dialog.
    void setSavePathProvider(SavePathProvider provider) { m_pathProvider = std::move(provider); }

    /// One entry per chart view, named by its title (rebuilt when the menu opens).
    QList<QAction *> chartActions() const;
    QAction *selectedTraceAction() const { return m_selectedTrace; }
    QAction *allTracesAction() const { return m_allTraces; }
    QAction *eventsAction() const { return m_events; }
    QAction *metricsAction() const { return m_metrics; }
    /// Makes the chart entries match the chart views the window has now.
    void updateChartActions();

    /// The traces as the panel lists them, oldest first.
    QList<OperationTrace> listedTraces() const;

signals:
    /// "Saved …" or what went wrong, for the status bar.
    void message(const QString &text);

private:
    QString askPath(const QString &caption, const QString &suggested, const QString &filters) const;
    void exportChart(QChartView *view);
    void exportTraces(const QList<OperationTrace> &traces, const QString &caption, const QString &name);
    void exportEvents();
    void exportMetrics();
    bool write(const QString &path, const QByteArray &bytes);
    void updateEnabled();

    QWidget *m_window;
    QMenu *m_chartMenu;
    QAction *m_selectedTrace;
    QAction *m_allTraces;
    QAction *m_events;
    QAction *m_metrics;
    QPointer<TracePanel> m_trace;
    QPointer<EventsPanel> m_eventsPanel;
    ProductService *m_service = nullptr;
    InfoPoller *m_info = nullptr;
    SavePathProvider m_pathProvider;
};
