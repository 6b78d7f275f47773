// TraceExport: text, JSON and CSV renderings of a list of traces.
#include "traceexport.h"

#include "csvwriter.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

std::optional<TraceExport::Format> TraceExport::formatForPath(const QString &path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("txt"))
        return Format::Text;
    if (suffix == QLatin1String("json"))
        return Format::Json;
    if (suffix == QLatin1String("csv"))
        return Format::Csv;
    return std::nullopt;
}

QString TraceExport::toText(const QList<OperationTrace> &traces)
{
    QString out;
    for (const OperationTrace &t : traces) {
        if (!out.isEmpty())
            out += QLatin1Char('\n');
        out += t.toText();
        out += QLatin1Char('\n');
    }
    return out;
}

QByteArray TraceExport::toJson(const QList<OperationTrace> &traces)
{
    QJsonArray list;
    for (const OperationTrace &t : traces)
        list.append(t.toJson());
    const QJsonObject root { { QStringLiteral("format"), QStringLiteral("cachelab-traces") },
        { QStringLiteral("version"), 1 }, { QStringLiteral("count"), qint64(traces.size()) },
        { QStringLiteral("traces"), list } };
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QStringList TraceExport::csvColumns()
{
    return { QStringLiteral("trace_id"), QStringLiteral("started"), QStringLiteral("operation"),
        QStringLiteral("strategy"), QStringLiteral("product_id"), QStringLiteral("trace_outcome"),
        QStringLiteral("total_us"), QStringLiteral("error"), QStringLiteral("step"), QStringLiteral("system"),
        QStringLiteral("text"), QStringLiteral("outcome"), QStringLiteral("step_us"), QStringLiteral("detail") };
}

QString TraceExport::toCsv(const QList<OperationTrace> &traces)
{
    CsvWriter csv(csvColumns());
    for (const OperationTrace &t : traces) {
        const QStringList head { QString::number(t.id), t.started.toUTC().toString(Qt::ISODateWithMs), t.operation,
            strategyName(t.strategy), t.productId > 0 ? QString::number(t.productId) : QString(),
            traceOutcomeName(t.outcome), QString::number(t.totalMicros), t.error };
        if (t.steps.isEmpty()) {
            csv.addRow(head);
            continue;
        }
        for (qsizetype i = 0; i < t.steps.size(); ++i) {
            const TraceStep &s = t.steps.at(i);
            csv.addRow(head
                + QStringList { QString::number(i + 1), traceSystemName(s.system), s.text, traceOutcomeName(s.outcome),
                    QString::number(s.micros), s.detail });
        }
    }
    return csv.text();
}

QByteArray TraceExport::render(const QList<OperationTrace> &traces, Format format)
{
    switch (format) {
    case Format::Text:
        return toText(traces).toUtf8();
    case Format::Json:
        return toJson(traces);
    case Format::Csv:
        return toCsv(traces).toUtf8();
    }
    return {};
}
