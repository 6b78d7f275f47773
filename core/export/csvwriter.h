// CsvWriter: builds CSV text that spreadsheets and csv readers parse back
// into exactly the fields that went in (RFC 4180).
//
// A field is quoted when it holds a comma, a double quote, a line break or
// leading/trailing spaces; a quote inside a quoted field is doubled. Rows end
// with CRLF, as the RFC says; a line break inside a field is kept as it is
// (inside the quotes). Every row must have as many fields as the header, so a
// reader never sees a ragged table: addRow() pads short rows; a longer row is
// a programming error (it asserts in debug builds and is cut to fit).
//
// A field that a spreadsheet would evaluate (it starts with =, +, -, @, a tab
// or a carriage return, and is not a plain signed number) is written with an
// apostrophe in front, so opening an export of hostile product names or
// Redis keys never runs a formula; every other field reads back unchanged.
#pragma once

#include <QString>
#include <QStringList>

class CsvWriter final
{
public:
    /// Starts the text with a header row (none when header is empty).
    explicit CsvWriter(const QStringList &header = {});

    /// Appends one row. With a header, a short row is padded with empty
    /// fields; a longer one is cut to the header's width.
    void addRow(const QStringList &fields);
    int rows() const { return m_rows; } ///< data rows, without the header

    /// The whole table, every row ended by CRLF.
    const QString &text() const { return m_text; }
    QByteArray toUtf8() const { return m_text.toUtf8(); }

    /// One field as it appears in a row: quoted only when it has to be.
    static QString field(const QString &value);
    /// True when a spreadsheet would treat value as a formula.
    static bool looksLikeFormula(const QString &value);

private:
    void append(const QStringList &fields);

    QString m_text;
    qsizetype m_columns = -1; ///< -1 until a header fixes the width
    int m_rows = 0;
};
