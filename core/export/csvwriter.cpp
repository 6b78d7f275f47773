// CsvWriter: RFC 4180 quoting, one row at a time.
#include "csvwriter.h"

CsvWriter::CsvWriter(const QStringList &header)
{
    if (header.isEmpty())
        return;
    m_columns = header.size();
    append(header);
}

void CsvWriter::addRow(const QStringList &fields)
{
    QStringList row = fields;
    if (m_columns >= 0) {
        Q_ASSERT_X(row.size() <= m_columns, "CsvWriter::addRow", "more fields than the header has columns");
        while (row.size() < m_columns)
            row.append(QString());
        if (row.size() > m_columns)
            row.resize(m_columns);
    }
    append(row);
    ++m_rows;
}

void CsvWriter::append(const QStringList &fields)
{
    for (qsizetype i = 0; i < fields.size(); ++i) {
        if (i > 0)
            m_text += QLatin1Char(',');
        m_text += field(fields.at(i));
    }
    m_text += QLatin1String("\r\n");
}

QString CsvWriter::field(const QString &value)
{
    bool quote = !value.isEmpty() && (value.front().isSpace() || value.back().isSpace());
    for (const QChar c : value) {
        if (c == QLatin1Char(',') || c == QLatin1Char('"') || c == QLatin1Char('\n') || c == QLatin1Char('\r')) {
            quote = true;
            break;
        }
    }
    if (!quote)
        return value;
    QString out;
    out.reserve(value.size() + 2);
    out += QLatin1Char('"');
    for (const QChar c : value) {
        if (c == QLatin1Char('"'))
            out += QLatin1Char('"');
        out += c;
    }
    out += QLatin1Char('"');
    return out;
}
