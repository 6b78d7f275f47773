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
    // Always milliseconds, so a column never mixes units (829 µs next to
    // 829 ms reads as the same); the decimals shrink as the figure grows.
    const double ms = double(micros) / 1000.0;
    const int decimals = micros < 10000 ? 2 : micros < 100000 ? 1 : 0;
    return QStringLiteral("%L1 ms").arg(ms, 0, 'f', decimals);
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

bool TraceListModel::isNested(const OperationTrace &trace) const
{
    return trace.causedBy > 0 && m_ids.contains(trace.causedBy);
}

int TraceListModel::rowOfId(quint64 id) const
{
    if (!m_ids.contains(id))
        return -1;
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
        for (size_t i = Capacity - 1; i < m_traces.size(); ++i)
            m_ids.remove(m_traces[i].id);
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
            if (!isNested(t) && startedBefore(t, trace))
                break;
            ++row;
        }
    }
    beginInsertRows({}, row, row);
    m_traces.insert(m_traces.begin() + row, trace);
    m_ids.insert(trace.id);
    endInsertRows();
    return row;
}

void TraceListModel::clear()
{
    beginResetModel();
    m_traces.clear();
    m_ids.clear();
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
            return isNested(t) ? QStringLiteral("    \u21b3 ") + name : name;
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
