// MetricsPanel: charts over time from the service's metrics and Redis INFO.
//
// Sampled once a second: hit ratio and operations per second, p50/p99
// latency of get and update per strategy, write-behind queue depth, Redis used memory and
// evictions. The last 90 seconds are kept.
#pragma once

#include "cachemetrics.h"
#include "infopoller.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

class InfoPoller;
class ProductService;
class QAbstractAxis;
class QBarSet;
class QChart;
class QChartView;
class QGridLayout;
class QScrollArea;
class QLabel;
class QLineSeries;
class QValueAxis;

class MetricsPanel final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int WindowSeconds = 90;

    /// Samples the service's metrics and the poller's last INFO every second.
    MetricsPanel(ProductService *service, InfoPoller *info, QWidget *parent = nullptr);

    /// Takes one sample now (the timer calls this every second).
    void sample();
    /// The one-line summary (hits, misses, queue, memory, evictions).
    void updateSummary();
    int samples() const { return m_samples; }

private:
    explicit MetricsPanel(QWidget *parent);
    QChartView *makeView(QChart *chart, const QString &objectName);
    QChart *makeChart(const QString &title);
    /// Fonts and colours of every chart from the panel's font and the
    /// palette: at start, and again on every font (zoom) or palette
    /// (light/dark) change while running.
    void applyLook();

    /// Two columns of charts when two fit the width, else one.
    void arrangeCharts();

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void append(QLineSeries *series, double x, double y);
    void fitAxis(QValueAxis *axis, const QList<QLineSeries *> &series, double minimumMax);

    ProductService *m_service = nullptr;
    InfoPoller *m_info = nullptr;
    QTimer m_timer;
    QElapsedTimer m_clock;
    QLabel *m_summary;
    QLineSeries *m_hitRatio;
    QLineSeries *m_opsPerSecond;
    QLineSeries *m_queueDepth;
    QLineSeries *m_memory;
    QLineSeries *m_evictions;
    QLineSeries *m_expired;
    QValueAxis *m_timeAxes[3] = {};
    QValueAxis *m_opsAxis;
    QValueAxis *m_queueAxis;
    QValueAxis *m_memoryAxis;
    QValueAxis *m_evictAxis;
    QValueAxis *m_latencyAxis;
    QBarSet *m_p50; ///< get
    QBarSet *m_p99; ///< get
    QBarSet *m_saveP50;
    QBarSet *m_saveP99;
    QList<QChart *> m_charts;
    QList<QChartView *> m_views;
    QScrollArea *m_scroll = nullptr;
    QGridLayout *m_grid = nullptr;
    QSize m_chartSize { 160, 120 };
    int m_columns = 0;
    QAbstractAxis *m_categories = nullptr;
    bool m_applyingLook = false;
    quint64 m_lastOps = 0;
    quint64 m_lastHits = 0;
    quint64 m_lastMisses = 0;
    qint64 m_lastEvicted = -1;
    qint64 m_lastExpired = -1;
    double m_lastRatio = 0.0;
    int m_samples = 0;
};
