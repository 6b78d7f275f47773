// MetricsPanel: Qt Charts line and bar series fed by a one-second sampler.
#include "metricspanel.h"

#include "productservice.h"
#include "theme.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
#include <QGridLayout>
#include <QScrollArea>
#include <QVBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QValueAxis>

MetricsPanel::MetricsPanel(ProductService *service, InfoPoller *info, QWidget *parent)
    : MetricsPanel(parent)
{
    m_service = service;
    m_info = info;
    m_clock.start();
    m_timer.start();
    sample();
}

MetricsPanel::MetricsPanel(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_hitRatio(new QLineSeries(this))
    , m_opsPerSecond(new QLineSeries(this))
    , m_queueDepth(new QLineSeries(this))
    , m_memory(new QLineSeries(this))
    , m_evictions(new QLineSeries(this))
    , m_expired(new QLineSeries(this))
    , m_opsAxis(new QValueAxis(this))
    , m_queueAxis(new QValueAxis(this))
    , m_memoryAxis(new QValueAxis(this))
    , m_evictAxis(new QValueAxis(this))
    , m_latencyAxis(new QValueAxis(this))
    , m_p50(new QBarSet(tr("g p50")))
    , m_p99(new QBarSet(tr("g p99")))
    , m_saveP50(new QBarSet(tr("u p50")))
    , m_saveP99(new QBarSet(tr("u p99")))
{
    m_summary->setObjectName(QStringLiteral("metricsSummary"));
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true);

    // 1: hit ratio (%) and operations per second.
    QChart *ratio = makeChart(tr("Hits and ops/s"));
    m_hitRatio->setName(tr("hit %"));
    m_opsPerSecond->setName(tr("ops/s"));
    ratio->addSeries(m_hitRatio);
    ratio->addSeries(m_opsPerSecond);
    auto *percent = new QValueAxis(this);
    percent->setRange(0, 100);
    percent->setLabelFormat(QStringLiteral("%d%%"));
    percent->setTickCount(3);
    ratio->addAxis(percent, Qt::AlignLeft);
    m_hitRatio->attachAxis(percent);
    m_opsAxis->setLabelFormat(QStringLiteral("%d"));
    m_opsAxis->setTickCount(3);
    ratio->addAxis(m_opsAxis, Qt::AlignRight);
    m_opsPerSecond->attachAxis(m_opsAxis);

    // 2: latency per strategy.
    QChart *latency = makeChart(tr("Latency, ms"));
    auto *bars = new QBarSeries(this);
    for (QBarSet *set : { m_p50, m_p99, m_saveP50, m_saveP99 })
        bars->append(set);
    latency->addSeries(bars);
    auto *categories = new QBarCategoryAxis(this);
    categories->setObjectName(QStringLiteral("latencyCategories"));
    // Two-letter codes fit five categories (and four legend entries) in a
    // quarter of a 1280-pixel window; the order is allStrategies() and the
    // chart's tooltip spells the codes out.
    const QStringList names { tr("off"), tr("CA"), tr("RT"), tr("WT"), tr("WB") };
    categories->append(names);
    for (int i = 0; i < names.size(); ++i) {
        for (QBarSet *set : { m_p50, m_p99, m_saveP50, m_saveP99 })
            set->append(0);
    }
    latency->addAxis(categories, Qt::AlignBottom);
    bars->attachAxis(categories);
    m_latencyAxis->setLabelFormat(QStringLiteral("%.1f"));
    m_latencyAxis->setTickCount(3);
    m_latencyAxis->setRange(0, 1);
    latency->addAxis(m_latencyAxis, Qt::AlignLeft);
    bars->attachAxis(m_latencyAxis);

    // 3: write-behind queue depth.
    QChart *queue = makeChart(tr("Write-behind queue"));
    m_queueDepth->setName(tr("queued"));
    queue->addSeries(m_queueDepth);
    m_queueAxis->setLabelFormat(QStringLiteral("%d"));
    m_queueAxis->setTickCount(3);
    m_queueAxis->setRange(0, 5);
    queue->addAxis(m_queueAxis, Qt::AlignLeft);
    m_queueDepth->attachAxis(m_queueAxis);
    queue->legend()->hide();

    // 4: Redis memory and evictions/expirations.
    QChart *memory = makeChart(tr("Redis memory"));
    m_memory->setName(tr("used MB"));
    m_evictions->setName(tr("evicted/s"));
    m_expired->setName(tr("expired/s"));
    memory->addSeries(m_memory);
    memory->addSeries(m_evictions);
    memory->addSeries(m_expired);
    m_memoryAxis->setLabelFormat(QStringLiteral("%.1f"));
    m_memoryAxis->setTickCount(3);
    memory->addAxis(m_memoryAxis, Qt::AlignLeft);
    m_memory->attachAxis(m_memoryAxis);
    m_evictAxis->setLabelFormat(QStringLiteral("%d"));
    m_evictAxis->setTickCount(3);
    m_evictAxis->setRange(0, 5);
    memory->addAxis(m_evictAxis, Qt::AlignRight);
    m_evictions->attachAxis(m_evictAxis);
    m_expired->attachAxis(m_evictAxis);

    const QList<QChart *> timeCharts { ratio, queue, memory };
    for (int i = 0; i < 3; ++i) {
        auto *axis = new QValueAxis(this);
        axis->setRange(-WindowSeconds, 0);
        axis->setLabelFormat(QStringLiteral("%ds"));
        axis->setTickCount(5);
        axis->setLabelsVisible(true);
        timeCharts[i]->addAxis(axis, Qt::AlignBottom);
        for (QAbstractSeries *s : timeCharts[i]->series())
            s->attachAxis(axis);
        m_timeAxes[i] = axis;
    }

    // The charts scroll when the dock is smaller than they need to show
    // their titles, legends and labels whole (a 12 pt font, a zoomed
    // presentation), and stack in one column when two do not fit side by side.
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(2, 2, 2, 2);
    outer->setSpacing(2);
    outer->addWidget(m_summary);
    m_scroll = new QScrollArea(this);
    m_scroll->setObjectName(QStringLiteral("metricsScroll"));
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setWidgetResizable(true);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *host = new QWidget(m_scroll);
    m_grid = new QGridLayout(host);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(2);
    m_scroll->setWidget(host);
    outer->addWidget(m_scroll, 1);
    m_views << makeView(ratio, QStringLiteral("hitRatioChart"));
    QChartView *latencyView = makeView(latency, QStringLiteral("latencyChart"));
    latencyView->setToolTip(tr("p50 and p99 latency in ms of get (g) and update (u, the editor's Save), per strategy:\n"
                               "off = none, CA = cache-aside, RT = read-through,\n"
                               "WT = write-through, WB = write-behind"));
    m_categories = categories;
    m_views << latencyView << makeView(queue, QStringLiteral("queueChart"))
            << makeView(memory, QStringLiteral("memoryChart"));
    arrangeCharts();

    applyLook();
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &MetricsPanel::sample);
    if (m_service)
        connect(m_service, &ProductService::queueDepthChanged, this, &MetricsPanel::updateSummary);
}

void MetricsPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    // Setting chart fonts and brushes does not change the panel's own font
    // or palette, so this does not recurse; the guard is for safety.
    if ((event->type() == QEvent::FontChange || event->type() == QEvent::PaletteChange
            || event->type() == QEvent::ApplicationPaletteChange)
        && !m_applyingLook)
        applyLook();
}

void MetricsPanel::applyLook()
{
    m_applyingLook = true;
    const QPalette p = palette();
    const QColor text = p.color(QPalette::Text);
    QColor gridColor = text;
    gridColor.setAlphaF(0.12f);
    QFont title = font();
    title.setBold(true);
    QFont legend = font();
    legend.setPointSizeF(legend.pointSizeF() * 0.85);
    QFont labels = font();
    labels.setPointSizeF(labels.pointSizeF() * 0.8);
    for (QChart *chart : std::as_const(m_charts)) {
        chart->setTheme(Theme::isDark() ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        // setTheme() resets what follows: set it again every time.
        chart->setBackgroundBrush(p.color(QPalette::Base));
        chart->setBackgroundRoundness(4);
        chart->setTitleFont(title);
        chart->setTitleBrush(text);
        chart->legend()->setFont(legend);
        chart->legend()->setLabelColor(text);
        for (QAbstractAxis *axis : chart->axes()) {
            axis->setLabelsFont(labels);
            axis->setLabelsColor(text);
            axis->setGridLineColor(gridColor);
            axis->setLinePenColor(gridColor);
        }
    }
    if (m_categories) {
        // Five categories share a quarter of the window: smaller labels.
        QFont tiny = font();
        tiny.setPointSizeF(tiny.pointSizeF() * 0.72);
        m_categories->setLabelsFont(tiny);
    }
    m_hitRatio->setPen(QPen(Theme::outcomeColor(TraceOutcome::Hit), 2));
    m_opsPerSecond->setPen(QPen(Theme::outcomeColor(TraceOutcome::Fill), 2));
    m_queueDepth->setPen(QPen(Theme::outcomeColor(TraceOutcome::Queue), 2));
    m_memory->setPen(QPen(Theme::accent(), 2));
    m_evictions->setPen(QPen(Theme::outcomeColor(TraceOutcome::Error), 2, Qt::DashLine));
    m_expired->setPen(QPen(Theme::eventColor(QStringLiteral("expired")), 2, Qt::DotLine));
    m_p50->setColor(Theme::outcomeColor(TraceOutcome::Fill));
    m_p99->setColor(Theme::outcomeColor(TraceOutcome::Miss));
    m_saveP50->setColor(Theme::outcomeColor(TraceOutcome::Queue));
    m_saveP99->setColor(Theme::outcomeColor(TraceOutcome::Invalidate));
    for (QBarSet *set : { m_p50, m_p99, m_saveP50, m_saveP99 }) {
        set->setBorderColor(set->color());
        set->setLabelColor(text);
    }
    // Room for the title, the legend and the axis labels of each chart,
    // measured in the fonts just set.
    const QFontMetrics titleFm(title), legendFm(legend), labelFm(labels);
    int width = 0;
    for (QChart *chart : std::as_const(m_charts)) {
        int legendWidth = 0;
        for (QAbstractSeries *s : chart->series()) {
            if (auto *bars = qobject_cast<QBarSeries *>(s)) {
                for (QBarSet *set : bars->barSets())
                    legendWidth += legendFm.horizontalAdvance(set->label()) + 2 * legendFm.height();
            } else if (chart->legend()->isVisible()) {
                legendWidth += legendFm.horizontalAdvance(s->name()) + 2 * legendFm.height();
            }
        }
        width = std::max({ width, titleFm.horizontalAdvance(chart->title()) + 3 * titleFm.height(), legendWidth + 24 });
    }
    const int height = titleFm.height() * 2 + legendFm.height() * 2 + labelFm.height() * 5;
    m_chartSize = QSize(std::max(width, 160), std::max(height, 120));
    for (QChartView *view : std::as_const(m_views))
        view->setMinimumSize(m_chartSize);
    arrangeCharts();
    m_applyingLook = false;
}

void MetricsPanel::arrangeCharts()
{
    if (!m_grid || m_views.size() != 4)
        return;
    const int columns = m_scroll->viewport()->width() >= 2 * m_chartSize.width() + m_grid->spacing() ? 2 : 1;
    if (columns == m_columns)
        return;
    m_columns = columns;
    for (QChartView *view : std::as_const(m_views))
        m_grid->removeWidget(view);
    for (int i = 0; i < m_views.size(); ++i)
        m_grid->addWidget(m_views.at(i), i / columns, i % columns);
    for (int row = 0; row < 4; ++row)
        m_grid->setRowStretch(row, row < 4 / columns ? 1 : 0);
}

void MetricsPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    arrangeCharts();
}

QChart *MetricsPanel::makeChart(const QString &title)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    m_charts << chart;
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignBottom);
    return chart;
}

QChartView *MetricsPanel::makeView(QChart *chart, const QString &objectName)
{
    auto *view = new QChartView(chart, this);
    view->setObjectName(objectName);
    view->setRenderHint(QPainter::Antialiasing);

    return view;
}

void MetricsPanel::append(QLineSeries *series, double x, double y)
{
    series->append(x, y);
    // Drop points older than the window (keeping one just outside so the line reaches the edge).
    int drop = 0;
    const QList<QPointF> points = series->points();
    while (drop + 1 < points.size() && points.at(drop + 1).x() < x - WindowSeconds)
        ++drop;
    if (drop > 0)
        series->removePoints(0, drop);
}

void MetricsPanel::fitAxis(QValueAxis *axis, const QList<QLineSeries *> &series, double minimumMax)
{
    double max = minimumMax;
    for (QLineSeries *s : series) {
        for (const QPointF &p : s->points())
            max = std::max(max, p.y());
    }
    axis->setRange(0, std::ceil(max * 1.15));
}

void MetricsPanel::sample()
{
    if (!m_service)
        return;
    ++m_samples;
    const double t = double(m_clock.elapsed()) / 1000.0;
    const MetricsSnapshot m = m_service->metrics();

    quint64 ops = 0;
    for (const LatencyStats &l : m.latencies)
        ops += l.count;
    const double opsPerSecond = m_samples > 1 ? double(ops - std::min(ops, m_lastOps)) : 0.0;
    m_lastOps = ops;
    const quint64 reads = (m.hits + m.negativeHits - std::min(m.hits + m.negativeHits, m_lastHits))
        + (m.misses - std::min(m.misses, m_lastMisses));
    if (reads > 0)
        m_lastRatio
            = 100.0 * double(m.hits + m.negativeHits - std::min(m.hits + m.negativeHits, m_lastHits)) / double(reads);
    m_lastHits = m.hits + m.negativeHits;
    m_lastMisses = m.misses;

    append(m_hitRatio, t, m_lastRatio);
    append(m_opsPerSecond, t, opsPerSecond);
    append(m_queueDepth, t, m_service->queueDepth());

    const RedisServerInfo info = m_info ? m_info->last() : RedisServerInfo {};
    if (info.sampledAt.isValid()) {
        append(m_memory, t, double(info.usedMemory) / (1024.0 * 1024.0));
        const qint64 evictedDelta = m_lastEvicted < 0 ? 0 : std::max<qint64>(0, info.evictedKeys - m_lastEvicted);
        const qint64 expiredDelta = m_lastExpired < 0 ? 0 : std::max<qint64>(0, info.expiredKeys - m_lastExpired);
        m_lastEvicted = info.evictedKeys;
        m_lastExpired = info.expiredKeys;
        append(m_evictions, t, double(evictedDelta));
        append(m_expired, t, double(expiredDelta));
    }

    for (QValueAxis *axis : m_timeAxes) {
        // Grow from the left edge until the window is full, then scroll.
        axis->setRange(std::max(0.0, t - WindowSeconds), std::max(t, 30.0));
        axis->setLabelsVisible(false);
    }
    fitAxis(m_opsAxis, { m_opsPerSecond }, 5);
    fitAxis(m_queueAxis, { m_queueDepth }, 5);
    fitAxis(m_memoryAxis, { m_memory }, 1);
    fitAxis(m_evictAxis, { m_evictions, m_expired }, 5);

    // Latency bars: get and update (the editor's Save), per strategy.
    double maxMs = 0.5;
    const QList<StrategyKind> kinds = allStrategies();
    for (int i = 0; i < kinds.size(); ++i) {
        double get50 = 0, get99 = 0, save50 = 0, save99 = 0;
        for (const LatencyStats &l : m.latencies) {
            if (l.strategy != kinds.at(i))
                continue;
            if (l.operation == QLatin1String("get")) {
                get50 = double(l.p50Micros) / 1000.0;
                get99 = double(l.p99Micros) / 1000.0;
            } else if (l.operation == QLatin1String("update")) {
                save50 = double(l.p50Micros) / 1000.0;
                save99 = double(l.p99Micros) / 1000.0;
            }
        }
        m_p50->replace(i, get50);
        m_p99->replace(i, get99);
        m_saveP50->replace(i, save50);
        m_saveP99->replace(i, save99);
        maxMs = std::max({ maxMs, get99, save99 });
    }
    m_latencyAxis->setRange(0, maxMs * 1.15);

    updateSummary();
}

void MetricsPanel::updateSummary()
{
    if (!m_service)
        return;
    // The same figures the status bar shows, at the same moment: this runs on
    // every sample and on every change of the write-behind queue.
    const MetricsSnapshot m = m_service->metrics();
    const RedisServerInfo info = m_info ? m_info->last() : RedisServerInfo {};
    // Each figure stays whole on its line ("2,280 kB" never split before
    // its unit); the lines break only between figures.
    const auto whole = [](const QString &item) { return QStringLiteral("<span style=\"white-space:nowrap\">%1</span>").arg(item); };
    QStringList items {
        whole(tr("hits <b>%1</b>").arg(m.hits)),
        whole(tr("misses <b>%1</b>").arg(m.misses)),
        whole(tr("hit ratio <b>%1%</b>").arg(m.hitRatio() * 100.0, 0, 'f', 0)),
        whole(tr("DB r/w <b>%1</b>/<b>%2</b>").arg(m.dbReads).arg(m.dbWrites)),
        whole(tr("queue <b>%1</b>").arg(m_service->queueDepth())),
    };
    // Used memory to the kB (the eviction limit is set in kB beside it), the
    // limit when there is one, and the keys Redis evicted since it started.
    if (info.sampledAt.isValid()) {
        QString memoryText = tr("used <b>%L1 kB</b>").arg(info.usedMemory / 1024);
        if (info.maxmemory > 0)
            memoryText += tr(" of %L1 kB").arg(info.maxmemory / 1024);
        items << whole(memoryText) << whole(tr("evicted <b>%L1</b>").arg(info.evictedKeys));
    } else {
        items << tr("–");
    }
    m_summary->setText(items.join(QStringLiteral(" · ")));
}
