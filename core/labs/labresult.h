// LabChart, LabTable: what a lab shows, kept as plain data so the window
// draws it, the headless runner exports it and the tests read it alike.
#pragma once

#include <QJsonArray>
#include <functional>
#include <QList>
#include <QPair>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVariantList>

struct LabSeries
{
    QString name;
    QList<QPointF> points;
    enum class Look {
        Line,   ///< computed in-app, exact
        Dashed, ///< measured on the real Redis
        Dots,   ///< published reference values
    };
    Look look = Look::Line;
    /// "#rrggbb"; empty: the view picks one by the series' name.
    QString colour;
};

struct LabChart
{
    enum class Kind {
        Line,    ///< x against y, one line per series
        Scatter, ///< one dot per point (e.g. which keys survived)
        Bars,    ///< one group of bars per category; a series' points are (category index, value)
    };
    /// Bars: the categories' names, in order.
    QStringList categories;
    QString id;    ///< file name stem for exports ("curve", "survivors")
    QString title;
    QString xTitle;
    QString yTitle;
    /// Scatter: the dots are cells of a grid (one per key), sized to fill it.
    Kind kind = Kind::Line;
    /// When set, the y axis shows these labels at these values instead of numbers.
    QList<QPair<double, QString>> yLabels;
    bool hideXLabels = false;
    bool logX = false;
    bool logY = false;
    QList<LabSeries> series;
    /// "What this shows": one or two sentences written from the measured
    /// numbers of this run.
    QString caption;
};

struct LabTable
{
    QString id; ///< JSON field and CSV file stem
    QString title;
    QStringList columns;
    QList<QVariantList> rows;
    /// Only exported as CSV (a request trace): not shown in the window and
    /// not put into the JSON results.
    bool bulk = false;
    /// When set, toCsv() returns what this makes instead of the rows (a
    /// bulk table built only when exported).
    std::function<QString()> csvText;

    /// One object per row, keyed by column.
    QJsonArray toJson() const;
    /// RFC 4180 CSV with a header line.
    QString toCsv() const;
};
