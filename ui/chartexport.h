// ChartExport: one Qt Charts view saved as a PNG picture or an SVG drawing.
//
// PNG is the view as it is on screen (QWidget::grab(): its size times the
// device pixel ratio). SVG is the chart's scene painted through
// QSvgGenerator at the view's size, so lines, bars and text stay vectors;
// the file's <title> is the chart's title.
#pragma once

#include <QCoreApplication>
#include <QString>

class QChartView;

class ChartExport final
{
    Q_DECLARE_TR_FUNCTIONS(ChartExport)

public:
    enum class Format { Png, Svg };

    /// ".png" or ".svg" (any case); false for anything else.
    static bool formatForPath(const QString &path, Format *format);
    /// Writes the view in the format the path's suffix names; on failure
    /// false with a message for a person in *error.
    static bool save(const QChartView *view, const QString &path, QString *error = nullptr);
    static bool savePng(const QChartView *view, const QString &path, QString *error = nullptr);
    static bool saveSvg(const QChartView *view, const QString &path, QString *error = nullptr);
    /// A file name for the chart: its title in lower case, words joined by '-'.
    static QString suggestedName(const QChartView *view, const QString &suffix);
};
