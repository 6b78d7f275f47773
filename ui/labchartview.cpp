// LabChartView: LabChart -> QChart.
#include "labchartview.h"

#include "theme.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

LabChartView::LabChartView(QWidget *parent)
    : QChartView(parent)
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(360, 240);
    setLabChart(LabChart {});
}

namespace {

QAbstractAxis *makeAxis(bool log, double lo, double hi, const QString &title, QObject *parent)
{
    if (log && lo > 0) {
        auto *axis = new QLogValueAxis(parent);
        axis->setBase(10);
        axis->setLabelFormat(QStringLiteral("%g"));
        axis->setRange(std::pow(10, std::floor(std::log10(lo))), std::pow(10, std::ceil(std::log10(hi))));
        axis->setMinorTickCount(8);
        axis->setTitleText(title);
        return axis;
    }
    auto *axis = new QValueAxis(parent);
    axis->setTitleText(title);
    if (lo >= 0 && hi <= 1 && hi > 0.05) { // a ratio: the whole 0..1 scale
        axis->setRange(0, 1);
        axis->setTickCount(6);
        axis->setLabelFormat(QStringLiteral("%.1f"));
        return axis;
    }
    const double pad = hi > lo ? (hi - lo) * 0.05 : 1;
    axis->setRange(lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi + pad);
    axis->setLabelFormat(hi - lo <= 2 ? QStringLiteral("%.2f") : QStringLiteral("%g"));
    axis->setTickCount(6);
    axis->applyNiceNumbers(); // 0, 50, 100 ... rather than 53.55
    return axis;
}

} // namespace

void LabChartView::setLabChart(const LabChart &data)
{
    m_chart = data;
    auto *chart = new QChart;
    chart->setTheme(Theme::isDark() ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    chart->setTitle(data.title);
    chart->legend()->setAlignment(Qt::AlignRight);
    double xlo = 0, xhi = 0, ylo = 0, yhi = 0;
    bool any = false;
    for (const LabSeries &s : data.series) {
        for (const QPointF &p : s.points) {
            if (!any) {
                xlo = xhi = p.x();
                ylo = yhi = p.y();
                any = true;
            }
            xlo = std::min(xlo, p.x());
            xhi = std::max(xhi, p.x());
            ylo = std::min(ylo, p.y());
            yhi = std::max(yhi, p.y());
        }
    }
    if (data.kind == LabChart::Kind::Bars) {
        auto *bars = new QBarSeries(chart);
        for (const LabSeries &s : data.series) {
            auto *set = new QBarSet(s.name, bars);
            QList<qreal> values(data.categories.size(), 0);
            for (const QPointF &p : s.points)
                if (p.x() >= 0 && p.x() < values.size())
                    values[qsizetype(p.x())] = p.y();
            set->append(values);
            bars->append(set);
        }
        bars->setLabelsVisible(true);
        bars->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
        chart->addSeries(bars);
        auto *categories = new QBarCategoryAxis(chart);
        categories->append(data.categories);
        categories->setTitleText(data.xTitle);
        chart->addAxis(categories, Qt::AlignBottom);
        bars->attachAxis(categories);
        // Headroom above the tallest bar, except for a ratio (its scale is 0..1).
        QAbstractAxis *values = makeAxis(false, 0, any ? (yhi <= 1 ? yhi : yhi * 1.1) : 1, data.yTitle, chart);
        chart->addAxis(values, Qt::AlignLeft);
        bars->attachAxis(values);
        QChart *old = this->chart();
        setChart(chart);
        if (old && old != chart)
            delete old;
        return;
    }
    QAbstractAxis *x = data.kind == LabChart::Kind::Scatter ? nullptr : makeAxis(data.logX, xlo, any ? xhi : 1, data.xTitle, chart);
    QAbstractAxis *y = nullptr;
    if (data.kind == LabChart::Kind::Scatter) {
        // A grid of cells: the axes frame it, one cell of margin around.
        auto *gx = new QValueAxis(chart);
        gx->setRange(xlo - 1, xhi + 1);
        gx->setTitleText(data.xTitle);
        // Hidden labels leave the title no room (Qt elides it): draw them
        // in no colour instead.
        if (data.hideXLabels)
            gx->setLabelsColor(Qt::transparent);
        gx->setGridLineVisible(false);
        x = gx;
    }
    if (!data.yLabels.isEmpty()) {
        auto *labels = new QCategoryAxis(chart);
        labels->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
        labels->setRange(ylo - 1, yhi + 1);
        // QCategoryAxis wants its labels in rising order.
        auto sorted = data.yLabels;
        std::sort(sorted.begin(), sorted.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        for (const auto &[value, text] : sorted)
            labels->append(text, value);
        labels->setTitleText(data.yTitle);
        labels->setGridLineVisible(false);
        y = labels;
    } else {
        y = makeAxis(data.logY, std::min(0.0, ylo), any ? yhi : 1, data.yTitle, chart);
    }
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);

    // One colour per name stem ("factor 10", "LRU"): a Redis curve and its
    // exact twin read as a pair.
    const QList<QColor> palette { QColor(0x1f77b4), QColor(0xd62728), QColor(0x2ca02c), QColor(0xff7f0e),
        QColor(0x9467bd), QColor(0x8c564b), QColor(0xe377c2), QColor(0x17becf) };
    QStringList stems;
    const auto colourOf = [&](const QString &name) {
        QString stem = name.section(QLatin1Char(','), 0, 0).toLower();
        for (const QString &word : { QStringLiteral("redis allkeys-"), QStringLiteral("che (lru formula)") })
            if (stem.startsWith(word))
                stem = word == QLatin1String("che (lru formula)") ? QStringLiteral("lru") : stem.mid(word.size());
        if (!stems.contains(stem))
            stems << stem;
        return palette.at(int(stems.indexOf(stem)) % palette.size());
    };
    for (const LabSeries &s : data.series) {
        const QColor colour = s.colour.isEmpty() ? colourOf(s.name) : QColor(s.colour);
        QXYSeries *series = nullptr;
        if (data.kind == LabChart::Kind::Scatter || s.look == LabSeries::Look::Dots) {
            auto *dots = new QScatterSeries(chart);
            dots->setMarkerSize(10);
            if (data.kind == LabChart::Kind::Scatter)
                dots->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
            dots->setColor(colour);
            dots->setBorderColor(colour);
            series = dots;
        } else {
            auto *line = new QLineSeries(chart);
            QPen pen(colour, 2.5);
            if (s.look == LabSeries::Look::Dashed)
                pen.setStyle(Qt::DashLine);
            if (s.name.startsWith(QLatin1String("Che")))
                pen.setStyle(Qt::DotLine);
            line->setPen(pen);
            line->setPointsVisible(s.points.size() <= 12);
            series = line;
        }
        series->setName(s.name);
        series->append(s.points);
        chart->addSeries(series);
        series->attachAxis(x);
        series->attachAxis(y);
    }
    QChart *old = this->chart();
    setChart(chart);
    if (old && old != chart)
        delete old;
    connect(chart, &QChart::plotAreaChanged, this, &LabChartView::fitMarkers);
    fitMarkers();
}

void LabChartView::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    fitMarkers();
}

void LabChartView::fitMarkers()
{
    if (m_chart.kind != LabChart::Kind::Scatter || !chart())
        return;
    const auto axes = chart()->axes();
    if (axes.size() < 2)
        return;
    const auto *x = qobject_cast<QValueAxis *>(chart()->axes(Qt::Horizontal).value(0));
    const QAbstractAxis *y = chart()->axes(Qt::Vertical).value(0);
    double ySpan = 1;
    if (const auto *c = qobject_cast<const QCategoryAxis *>(y))
        ySpan = c->max() - c->min();
    else if (const auto *v = qobject_cast<const QValueAxis *>(y))
        ySpan = v->max() - v->min();
    if (!x || ySpan <= 0)
        return;
    const QRectF area = chart()->plotArea();
    const double cell = std::min(area.width() / (x->max() - x->min()), area.height() / ySpan);
    const qreal size = std::max(1.0, cell * 0.85);
    for (QAbstractSeries *series : chart()->series())
        if (auto *dots = qobject_cast<QScatterSeries *>(series))
            dots->setMarkerSize(size);
}
