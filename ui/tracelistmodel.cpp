// TraceListModel: insert at the top, trim at the bottom.
#include "tracelistmodel.h"

#include "theme.h"

#include <QBrush>
#include <QFont>

TraceListModel::TraceListModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

QString TraceListModel::formatMicros(qint64 micros)
{
    if (micros < 1000)
        return QStringLiteral("%1 µs").arg(micros);
    if (micros < 1000000)
        return QStringLiteral("%1 ms").arg(double(micros) / 1000.0, 0, 'f', micros < 10000 ? 2 : 1);
    return QStringLiteral("%1 s").arg(double(micros) / 1e6, 0, 'f', 2);
}

void TraceListModel::addTrace(const OperationTrace &trace)
{
    if (int(m_traces.size()) >= Capacity) {
        beginRemoveRows({}, Capacity - 1, int(m_traces.size()) - 1);
        m_traces.resize(Capacity - 1);
        endRemoveRows();
    }
    beginInsertRows({}, 0, 0);
    m_traces.push_front(trace);
    endInsertRows();
}

void TraceListModel::clear()
{
    beginResetModel();
    m_traces.clear();
    endResetModel();
}

int TraceListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_traces.size());
}

int TraceListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TraceListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const OperationTrace &t = m_traces.at(size_t(index.row()));
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case IdColumn:
            return QVariant::fromValue(t.id);
        case OperationColumn:
            return t.productId > 0 ? QStringLiteral("%1 #%2").arg(t.operation).arg(t.productId) : t.operation;
        case StrategyColumn:
            return strategyName(t.strategy);
        case OutcomeColumn:
            return traceOutcomeName(t.outcome);
        case TimeColumn:
            return formatMicros(t.totalMicros);
        default:
            return {};
        }
    case Qt::ToolTipRole:
        return t.error.isEmpty() ? QVariant() : QVariant(t.error);
    case Qt::ForegroundRole:
        if (index.column() == OutcomeColumn)
            return QBrush(Theme::outcomeColor(t.outcome));
        if (index.column() == IdColumn || index.column() == StrategyColumn)
            return QBrush(Theme::muted());
        return {};
    case Qt::FontRole:
        if (index.column() == OutcomeColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == TimeColumn || index.column() == IdColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

QVariant TraceListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IdColumn:
        return tr("#");
    case OperationColumn:
        return tr("Operation");
    case StrategyColumn:
        return tr("Strategy");
    case OutcomeColumn:
        return tr("Outcome");
    case TimeColumn:
        return tr("Time");
    default:
        return {};
    }
}
