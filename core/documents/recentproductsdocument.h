// RecentProductsDocument: the recent_products list as Redis holds it, newest first.
//
// The service keeps the list (LREM + LPUSH + LTRIM in one MULTI on every
// get); this document only reads it, with one LRANGE 0 -1 whenever a
// keyspace event touches the key and whenever Redis (re)connects. Reads are
// coalesced: one in flight, and at most one more after it. Watching the list
// this way adds no operation and no trace.
#pragma once

#include "keyspaceevent.h"

#include <QList>
#include <QObject>

class KeyspaceWatcher;
class ProductService;

class RecentProductsDocument final : public QObject
{
    Q_OBJECT

public:
    /// Starts following the watcher and the connection, and reads the list at once.
    RecentProductsDocument(ProductService *service, KeyspaceWatcher *watcher, QObject *parent = nullptr);

    /// The ids in the list, newest first (empty until the first read answers).
    QList<qint64> ids() const { return m_ids; }
    /// Reads the list again (coalesced; nothing is sent while Redis is away).
    void refresh();

signals:
    /// A read answered; ids() holds what it found.
    void changed();

private:
    void onEvents(const QList<KeyspaceEvent> &events);

    ProductService *m_service;
    QList<qint64> m_ids;
    bool m_inFlight = false;
    bool m_again = false;
};
