// ProductsPanel: the SQLite products table, live, with the cache state of each row.
//
// A view of a ProductsDocument, which follows the store's change feed (this
// app, the HTTP API, the sqlite3 shell) and what Redis holds for each row.
// The panel reads nothing itself; a line under the table says how many
// products the database file has.
#pragma once

#include "product.h"

#include <QWidget>

class ProductsDocument;
class ProductsTableModel;
class QLabel;
class QTableView;

class ProductsPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit ProductsPanel(ProductsDocument *document, QWidget *parent = nullptr);

    ProductsTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }

signals:
    /// The user picked a row.
    void productSelected(const Product &product);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void showCount();
    void setSummary(const QString &text);
    void elideSummary();

    ProductsDocument *m_document;
    ProductsTableModel *m_model;
    QTableView *m_view;
    QLabel *m_summary;
    QString m_summaryText; ///< in full; the label shows it elided in the middle
};
