// TraceListModel: the most recent operation traces, newest first.
#pragma once

#include "operationtrace.h"

#include <deque>
#include <QAbstractTableModel>

class TraceListModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { IdColumn, OperationColumn, StrategyColumn, OutcomeColumn, TimeColumn, ColumnCount };
    static constexpr int Capacity = 500;

    explicit TraceListModel(QObject *parent = nullptr);

    void addTrace(const OperationTrace &trace);
    void clear();
    const OperationTrace &traceAt(int row) const { return m_traces.at(size_t(row)); }

    static QString formatMicros(qint64 micros);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::deque<OperationTrace> m_traces; ///< newest at the front
};
