// ProductsPanel: the SQLite products table, live, with the cache state of each row.
//
// Reloads from the repository whenever its change feed reports a change
// (from this app, the HTTP API or the sqlite3 shell), and re-reads the
// cached versions (one pipelined HMGET per refresh) when keyspace events
// touch product keys. Both refreshes are coalesced to at most one in flight.
#pragma once

#include "keyspaceevent.h"
#include "product.h"

#include <QTimer>
#include <QWidget>

class Backend;
class ProductsTableModel;
class QLabel;
class QTableView;

class ProductsPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit ProductsPanel(QWidget *parent = nullptr);

    /// Starts following the backend (call once it is ready).
    void attach(Backend *backend);
    ProductsTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }

    void reload();
    void refreshCacheState();

signals:
    /// The user picked a row.
    void productSelected(const Product &product);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void onEvents(const QList<KeyspaceEvent> &events);
    void setSummary(const QString &text);
    void elideSummary();

    Backend *m_backend = nullptr;
    ProductsTableModel *m_model;
    QTableView *m_view;
    QLabel *m_summary;
    QString m_summaryText; ///< in full; the label shows it elided in the middle
    QTimer m_cacheTimer;
    bool m_reloading = false;
    bool m_reloadAgain = false;
    bool m_cacheInFlight = false;
};
