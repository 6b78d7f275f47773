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

namespace {
// Start order; the id breaks ties inside one millisecond.
bool startedBefore(const OperationTrace &a, const OperationTrace &b)
{
    if (a.started != b.started)
        return a.started < b.started;
    return a.id < b.id;
}
} // namespace

int TraceListModel::rowOfId(quint64 id) const
{
    for (size_t i = 0; i < m_traces.size(); ++i) {
        if (m_traces[i].id == id)
            return int(i);
    }
    return -1;
}

int TraceListModel::addTrace(const OperationTrace &trace)
{
    if (int(m_traces.size()) >= Capacity) {
        beginRemoveRows({}, Capacity - 1, int(m_traces.size()) - 1);
        m_traces.resize(Capacity - 1);
        endRemoveRows();
    }
    int row = 0;
    const int parent = trace.causedBy > 0 ? rowOfId(trace.causedBy) : -1;
    if (parent >= 0) {
        // Under its parent, after the follow-ups that started before it.
        row = parent + 1;
        while (row < int(m_traces.size()) && m_traces[size_t(row)].causedBy == trace.causedBy
            && startedBefore(m_traces[size_t(row)], trace))
            ++row;
    } else {
        // Above the first operation of its own that started before it.
        while (row < int(m_traces.size())) {
            const OperationTrace &t = m_traces[size_t(row)];
            const bool child = t.causedBy > 0 && rowOfId(t.causedBy) >= 0;
            if (!child && startedBefore(t, trace))
                break;
            ++row;
        }
    }
    beginInsertRows({}, row, row);
    m_traces.insert(m_traces.begin() + row, trace);
    endInsertRows();
    return row;
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
        case OperationColumn: {
            const QString name
                = t.productId > 0 ? QStringLiteral("%1 #%2").arg(t.operation).arg(t.productId) : t.operation;
            // A follow-up is drawn under its cause, indented.
            return t.causedBy > 0 && rowOfId(t.causedBy) >= 0 ? QStringLiteral("    \u21b3 ") + name : name;
        }
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
        if (!t.error.isEmpty())
            return t.error;
        if (index.column() == OperationColumn && t.causedBy > 0)
            return tr("Follows up operation %1").arg(t.causedBy);
        return {};
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
