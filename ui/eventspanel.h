// EventsPanel: live keyspace events with colour per kind, filter, pause,
// clear and a counter per kind.
//
// Counters count every event the watcher delivered, paused or not, filtered
// or not: they never drop. The table follows the newest event unless the
// user scrolled up.
#pragma once

#include "keyspaceevent.h"

#include <QMap>
#include <QWidget>

class KeyspaceWatcher;
class EventLogModel;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

class EventsPanel final : public QWidget
{
    Q_OBJECT

public:
    /// Shows what the watcher delivers (addEvents() takes more, for tests).
    explicit EventsPanel(KeyspaceWatcher *watcher, QWidget *parent = nullptr);

    EventLogModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    /// Events counted for this kind ("expired", "set", ...).
    quint64 count(const QString &event) const { return m_counts.value(event); }
    quint64 total() const { return m_total; }
    /// True while the "events may have been missed" notice is shown (after
    /// the event connection was lost and re-established).
    bool gapNoticeVisible() const;
    void addEvents(const QList<KeyspaceEvent> &events);

private:
    void updateCounters();

    EventLogModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLineEdit *m_filter;
    QToolButton *m_pause;
    QToolButton *m_clear;
    QLabel *m_counters;
    QLabel *m_gapNotice;
    bool m_subscribedOnce = false;
    QMap<QString, quint64> m_counts;
    quint64 m_total = 0;
};
