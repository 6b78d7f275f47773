// TraceExport: operation traces as files a person or a program can read
// back: plain text, JSON and CSV.
//
// - Text is what "Copy Trace as Text" puts on the clipboard
//   (OperationTrace::toText()), one block per trace, blocks separated by a
//   blank line.
// - JSON is {"format": "cachelab-traces", "version": 1, "count": n,
//   "traces": [...]}, each trace exactly OperationTrace::toJson() (the shape
//   the HTTP API's ?trace=1 returns), so there is one definition of a trace
//   on the wire.
// - CSV has one row per step, with the trace's own columns repeated on each
//   of its rows (a trace without steps still gets one row), so a spreadsheet
//   can filter and pivot by operation, system or outcome.
// Traces are written in the order given.
#pragma once

#include "operationtrace.h"

#include <optional>
#include <QByteArray>
#include <QList>
#include <QStringList>

class TraceExport final
{
public:
    enum class Format { Text, Json, Csv };

    /// ".txt" / ".json" / ".csv" (any case); nullopt for anything else.
    static std::optional<Format> formatForPath(const QString &path);

    static QString toText(const QList<OperationTrace> &traces);
    static QByteArray toJson(const QList<OperationTrace> &traces);
    static QString toCsv(const QList<OperationTrace> &traces);
    /// The file's bytes in that format (UTF-8).
    static QByteArray render(const QList<OperationTrace> &traces, Format format);

    /// The CSV's header row, in column order.
    static QStringList csvColumns();
};
