// EventLogModel: bounded deque, batch insert at the end, batch trim at the front.
#include "eventlogmodel.h"

#include "theme.h"

#include <QBrush>
#include <QFont>
#include <QFontDatabase>

EventLogModel::EventLogModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

void EventLogModel::setCapacity(int rows)
{
    m_capacity = std::max(1, rows);
    appendEvents({});
}

void EventLogModel::appendEvents(const QList<KeyspaceEvent> &events)
{
    // Only the newest `capacity` of a huge batch can ever be shown.
    const qsizetype skip = std::max<qsizetype>(0, events.size() - m_capacity);
    const qsizetype incoming = events.size() - skip;
    const qsizetype overflow = qsizetype(m_events.size()) + incoming - m_capacity;
    if (overflow > 0) {
        beginRemoveRows({}, 0, int(overflow) - 1);
        m_events.erase(m_events.begin(), m_events.begin() + overflow);
        endRemoveRows();
    }
    if (incoming <= 0)
        return;
    const int first = int(m_events.size());
    beginInsertRows({}, first, first + int(incoming) - 1);
    for (qsizetype i = skip; i < events.size(); ++i)
        m_events.push_back(events.at(i));
    endInsertRows();
}

void EventLogModel::clear()
{
    beginResetModel();
    m_events.clear();
    endResetModel();
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const KeyspaceEvent &e = m_events.at(size_t(index.row()));
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return e.timestamp.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz"));
        case EventColumn:
            return e.event;
        case KeyColumn:
            return QString::fromUtf8(e.key);
        default:
            return {};
        }
    case Qt::ForegroundRole:
        if (index.column() == EventColumn)
            return QBrush(Theme::eventColor(e.event));
        if (index.column() == TimeColumn)
            return QBrush(Theme::muted());
        return {};
    case Qt::FontRole:
        if (index.column() == EventColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        if (index.column() == TimeColumn)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    default:
        return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case EventColumn:
        return tr("Event");
    case KeyColumn:
        return tr("Key");
    default:
        return {};
    }
}
