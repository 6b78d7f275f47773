// MostViewedPanel: the "most viewed" leaderboard with unique viewers.
//
// Reads ViewStats (ZREVRANGE of the views sorted set, PFCOUNT of each
// product's HyperLogLog) when a keyspace event touches the views key, at
// most every 300 ms, and names the ids from the products document.
#pragma once

#include "viewstats.h"

#include <QTimer>
#include <QWidget>

class KeyspaceWatcher;
class ProductService;
class ProductsDocument;
class QLabel;
class QTreeWidget;

class MostViewedPanel final : public QWidget
{
    Q_OBJECT

public:
    MostViewedPanel(
        ProductService *service, KeyspaceWatcher *watcher, ProductsDocument *products, QWidget *parent = nullptr);

    QTreeWidget *table() const { return m_table; }
    /// What is shown, most viewed first.
    QList<ViewCount> rows() const { return m_rows; }
    /// Reads the leaderboard again (coalesced).
    void refresh();

signals:
    /// A refresh finished and the table shows its result.
    void refreshed();

private:
    explicit MostViewedPanel(QWidget *parent);
    void attach(ProductService *service, KeyspaceWatcher *watcher, ProductsDocument *products);
    void load();
    void render();

    ProductService *m_service = nullptr;
    ProductsDocument *m_products = nullptr;
    ViewStats *m_stats = nullptr;
    QTreeWidget *m_table;
    QLabel *m_caption;
    QTimer m_throttle;
    QList<ViewCount> m_rows;
    QString m_error;
    bool m_inFlight = false;
    bool m_again = false;
};
