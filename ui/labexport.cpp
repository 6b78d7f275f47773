// LabExport: JSON, PNG, SVG and CSV of one lab run.
#include "labexport.h"

#include "chartexport.h"
#include "lab.h"
#include "labchartview.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>

namespace {

bool writeFile(const QString &path, const QByteArray &data, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(data) != data.size()) {
        *error = LabExport::tr("could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

} // namespace

bool LabExport::write(const Lab &lab, const QString &dir, QString *error, QStringList *written)
{
    QString ignored;
    if (!error)
        error = &ignored;
    if (!QDir().mkpath(dir)) {
        *error = tr("could not make the directory %1").arg(dir);
        return false;
    }
    const QDir out(dir);
    const auto note = [written](const QString &path) {
        if (written)
            *written << path;
    };
    const QString json = out.filePath(lab.name() + QStringLiteral(".json"));
    if (!writeFile(json, QJsonDocument(lab.toJson()).toJson(QJsonDocument::Indented), error))
        return false;
    note(json);
    for (const LabChart &chart : lab.charts()) {
        LabChartView view;
        view.resize(1280, 720);
        view.setLabChart(chart);
        for (const QString &suffix : { QStringLiteral(".png"), QStringLiteral(".svg") }) {
            const QString path = out.filePath(lab.name() + QLatin1Char('-') + chart.id + suffix);
            if (!ChartExport::save(&view, path, error))
                return false;
            note(path);
        }
    }
    for (const LabTable &table : lab.tables()) {
        const QString path = out.filePath(lab.name() + QLatin1Char('-') + table.id + QStringLiteral(".csv"));
        if (!writeFile(path, table.toCsv().toUtf8(), error))
            return false;
        note(path);
    }
    return true;
}
