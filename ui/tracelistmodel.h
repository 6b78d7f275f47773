// TraceListModel: the most recent operation traces, newest first.
//
// Rows are in the order operations started (not the order they finished: a
// slow get started before a quick one stays below it). A follow-up (a trace
// whose causedBy names another, e.g. the tags read after a get) sits right
// under the operation that caused it, indented, oldest follow-up first.
#pragma once

#include "operationtrace.h"

#include <deque>
#include <QAbstractTableModel>
#include <QSet>

class TraceListModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { IdColumn, OperationColumn, StrategyColumn, OutcomeColumn, TimeColumn, ColumnCount };
    static constexpr int Capacity = 500;

    explicit TraceListModel(QObject *parent = nullptr);

    /// Inserts trace where its start time puts it; returns its row.
    int addTrace(const OperationTrace &trace);
    /// The row of the trace with this id, -1 when it is not (or no longer) listed.
    int rowOfId(quint64 id) const;
    void clear();
    const OperationTrace &traceAt(int row) const { return m_traces.at(size_t(row)); }

    static QString formatMicros(qint64 micros);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    /// A follow-up whose cause is still listed (drawn under it, indented).
    bool isNested(const OperationTrace &trace) const;

    std::deque<OperationTrace> m_traces; ///< newest at the front
    QSet<quint64> m_ids; ///< the ids in m_traces, for the per-cell lookups
};
