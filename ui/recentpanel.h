// RecentPanel: the recent_products list from Redis, live, newest first.
//
// A view of a RecentProductsDocument (which reads the list from Redis when
// it changes); the ids are named from the ProductsDocument, so watching the
// list adds no trace noise.
#pragma once

#include <QWidget>

class ProductsDocument;
class RecentProductsDocument;
class QListWidget;

class RecentPanel final : public QWidget
{
    Q_OBJECT

public:
    RecentPanel(RecentProductsDocument *recent, ProductsDocument *products, QWidget *parent = nullptr);

    QListWidget *list() const { return m_list; }
    /// The ids shown, newest first.
    QList<qint64> ids() const;

private:
    void render();

    RecentProductsDocument *m_recent;
    ProductsDocument *m_products;
    QListWidget *m_list;
};
