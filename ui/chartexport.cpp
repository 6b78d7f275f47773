// ChartExport: QWidget::grab() for PNG, QSvgGenerator over the scene for SVG.
#include "chartexport.h"

#include <QChart>
#include <QChartView>
#include <QFile>
#include <QFileInfo>
#include <QPainter>
#include <QPixmap>
#include <QRegularExpression>
#include <QSvgGenerator>

namespace {

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

} // namespace

bool ChartExport::formatForPath(const QString &path, Format *format)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png"))
        *format = Format::Png;
    else if (suffix == QLatin1String("svg"))
        *format = Format::Svg;
    else
        return false;
    return true;
}

bool ChartExport::save(const QChartView *view, const QString &path, QString *error)
{
    Format format;
    if (!formatForPath(path, &format))
        return fail(error, tr("%1: a chart is saved as .png or .svg").arg(path));
    return format == Format::Png ? savePng(view, path, error) : saveSvg(view, path, error);
}

bool ChartExport::savePng(const QChartView *view, const QString &path, QString *error)
{
    if (!view)
        return fail(error, tr("no chart"));
    const QPixmap picture = const_cast<QChartView *>(view)->grab();
    if (picture.isNull() || !picture.save(path, "PNG"))
        return fail(error, tr("could not write %1").arg(path));
    return true;
}

bool ChartExport::saveSvg(const QChartView *view, const QString &path, QString *error)
{
    if (!view || !view->chart() || !view->scene())
        return fail(error, tr("no chart"));
    // QSvgGenerator reports no write errors; try the file first.
    {
        QFile probe(path);
        if (!probe.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return fail(error, tr("could not write %1: %2").arg(path, probe.errorString()));
    }
    const QSize size = view->size();
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(view->chart()->title());
    svg.setDescription(tr("A CacheLab chart"));
    QPainter painter;
    if (!painter.begin(&svg))
        return fail(error, tr("could not write %1").arg(path));
    painter.setRenderHints(view->renderHints());
    // The scene holds the chart only; its rectangle is the chart's.
    view->scene()->render(&painter, QRectF(QPointF(0, 0), size), view->chart()->sceneBoundingRect());
    painter.end();
    return QFileInfo(path).size() > 0 || fail(error, tr("could not write %1").arg(path));
}

QString ChartExport::suggestedName(const QChartView *view, const QString &suffix)
{
    QString base = view && view->chart() ? view->chart()->title().toLower() : QString();
    base.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    base.remove(QRegularExpression(QStringLiteral("^-+|-+$")));
    if (base.isEmpty())
        base = QStringLiteral("chart");
    return base + QLatin1Char('.') + suffix;
}
