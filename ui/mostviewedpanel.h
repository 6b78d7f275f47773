// MostViewedPanel: the "most viewed" leaderboard with unique viewers.
//
// Reads ViewStats (ZREVRANGE of the views sorted set, PFCOUNT of each
// product's HyperLogLog) when a keyspace event touches the views key, at
// most every 300 ms, and names the ids from the products table.
#pragma once

#include "viewstats.h"

#include <QTimer>
#include <QWidget>

class Backend;
class ProductsTableModel;
class QLabel;
class QTreeWidget;

class MostViewedPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit MostViewedPanel(QWidget *parent = nullptr);

    void attach(Backend *backend, ProductsTableModel *products);
    QTreeWidget *table() const { return m_table; }
    /// What is shown, most viewed first.
    QList<ViewCount> rows() const { return m_rows; }
    /// Reads the leaderboard again (coalesced).
    void refresh();

signals:
    /// A refresh finished and the table shows its result.
    void refreshed();

private:
    void load();
    void render();

    Backend *m_backend = nullptr;
    ProductsTableModel *m_products = nullptr;
    ViewStats *m_stats = nullptr;
    QTreeWidget *m_table;
    QLabel *m_caption;
    QTimer m_throttle;
    QList<ViewCount> m_rows;
    QString m_error;
    bool m_inFlight = false;
    bool m_again = false;
};
