// RecentPanel: the recent_products list from Redis, live, newest first.
//
// Reads the list with LRANGE whenever a keyspace event touches it (the
// service keeps it with LREM + LPUSH + LTRIM in one MULTI), and names the
// ids from the products table, so watching the list adds no trace noise.
#pragma once

#include "keyspaceevent.h"

#include <QWidget>

class Backend;
class ProductsTableModel;
class QListWidget;

class RecentPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit RecentPanel(QWidget *parent = nullptr);

    void attach(Backend *backend, ProductsTableModel *products);
    QListWidget *list() const { return m_list; }
    /// The ids shown, newest first.
    QList<qint64> ids() const { return m_ids; }
    void refresh();

private:
    void render();

    Backend *m_backend = nullptr;
    ProductsTableModel *m_products = nullptr;
    QListWidget *m_list;
    QList<qint64> m_ids;
    bool m_inFlight = false;
    bool m_again = false;
};
