// EventLogModel: the last N keyspace events, appended in batches.
//
// A burst of thousands of events a second arrives as one list per tick;
// appendEvents() inserts it with one beginInsertRows() and trims the oldest
// rows with one beginRemoveRows(), so views do a constant amount of work per
// tick however busy Redis is.
#pragma once

#include "keyspaceevent.h"

#include <deque>
#include <QAbstractTableModel>

class EventLogModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { TimeColumn, EventColumn, KeyColumn, ColumnCount };
    static constexpr int DefaultCapacity = 5000;

    explicit EventLogModel(QObject *parent = nullptr);

    void setCapacity(int rows);
    int capacity() const { return m_capacity; }
    void appendEvents(const QList<KeyspaceEvent> &events);
    void clear();
    const KeyspaceEvent &eventAt(int row) const { return m_events.at(size_t(row)); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::deque<KeyspaceEvent> m_events;
    int m_capacity = DefaultCapacity;
};
