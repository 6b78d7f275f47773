// A small, strict RFC 4180 reader for the export tests: it is written apart
// from CsvWriter so a quoting mistake in the writer shows up as a field that
// does not come back. Fails (returns nullopt) on anything malformed: a quote
// inside an unquoted field, text after a closing quote, an unterminated
// quoted field, or a row not ended by CRLF.
#pragma once

#include <optional>
#include <QList>
#include <QString>
#include <QStringList>

namespace CsvTest {

inline std::optional<QList<QStringList>> parse(const QString &text)
{
    QList<QStringList> rows;
    QStringList row;
    QString field;
    qsizetype i = 0;
    const qsizetype n = text.size();
    while (i < n) {
        if (text.at(i) == QLatin1Char('"')) {
            ++i;
            for (;;) {
                if (i >= n)
                    return std::nullopt; // unterminated
                if (text.at(i) == QLatin1Char('"')) {
                    if (i + 1 < n && text.at(i + 1) == QLatin1Char('"')) {
                        field += QLatin1Char('"');
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += text.at(i++);
            }
            if (i < n && text.at(i) != QLatin1Char(',') && text.at(i) != QLatin1Char('\r'))
                return std::nullopt; // text after the closing quote
        } else {
            while (i < n && text.at(i) != QLatin1Char(',') && text.at(i) != QLatin1Char('\r')) {
                if (text.at(i) == QLatin1Char('"') || text.at(i) == QLatin1Char('\n'))
                    return std::nullopt; // must have been quoted
                field += text.at(i++);
            }
        }
        if (i >= n)
            return std::nullopt; // the last row must end with CRLF
        if (text.at(i) == QLatin1Char(',')) {
            row << field;
            field.clear();
            ++i;
            continue;
        }
        if (i + 1 >= n || text.at(i + 1) != QLatin1Char('\n'))
            return std::nullopt; // a lone CR
        row << field;
        field.clear();
        rows << row;
        row.clear();
        i += 2;
    }
    return rows;
}

} // namespace CsvTest
