// LabTable: JSON and CSV forms of a lab's table.
#include "labresult.h"

#include "csvwriter.h"

#include <QJsonObject>
#include <QJsonValue>

QJsonArray LabTable::toJson() const
{
    QJsonArray out;
    for (const QVariantList &row : rows) {
        QJsonObject o;
        for (qsizetype c = 0; c < columns.size() && c < row.size(); ++c)
            o.insert(columns.at(c), QJsonValue::fromVariant(row.at(c)));
        out.append(o);
    }
    return out;
}

QString LabTable::toCsv() const
{
    if (csvText)
        return csvText();
    CsvWriter csv(columns);
    for (const QVariantList &row : rows) {
        QStringList fields;
        for (const QVariant &v : row)
            fields << (v.typeId() == QMetaType::Double ? QString::number(v.toDouble(), 'g', 10) : v.toString());
        csv.addRow(fields);
    }
    return csv.text();
}
