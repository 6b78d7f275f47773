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

bool CsvWriter::looksLikeFormula(const QString &value)
{
    if (value.isEmpty())
        return false;
    const QChar first = value.front();
    if (first != QLatin1Char('=') && first != QLatin1Char('+') && first != QLatin1Char('-')
        && first != QLatin1Char('@') && first != QLatin1Char('\t') && first != QLatin1Char('\r'))
        return false;
    // A signed number ("-5", "+1.5") is data, not a formula: leave it alone
    // so a price change still sums in the spreadsheet.
    if (first == QLatin1Char('-') || first == QLatin1Char('+')) {
        bool ok = false;
        value.mid(1).toDouble(&ok);
        if (ok && !value.mid(1).isEmpty() && value.at(1).isDigit())
            return false;
    }
    return true;
}

QString CsvWriter::field(const QString &input)
{
    // A product name or a Redis key is typed by whoever wrote it; a
    // spreadsheet would run "=HYPERLINK(...)" as a formula. An apostrophe in
    // front makes it show the text instead (OWASP's advice for CSV files).
    const QString value = looksLikeFormula(input) ? QLatin1Char('\'') + input : input;
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
