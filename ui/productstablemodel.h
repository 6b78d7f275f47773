// ProductsTableModel: a ProductsDocument as a table, with what the cache
// holds beside each row.
//
// Rows are the document's (ProductRepository::list(), the database truth).
// The cache column shows the document's comparison of each row's version
// with the version in Redis's product:{id} hash: fresh, stale (Redis holds
// another version), pending (an unflushed write-behind write) or not cached
// (row dimmed). The model only observes; it sends nothing anywhere.
#pragma once

#include "product.h"
#include "productsdocument.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

class ProductsTableModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { IdColumn, NameColumn, PriceColumn, VersionColumn, CacheColumn, ColumnCount };
    using CacheState = ProductsDocument::CacheState;
    using CacheInfo = ProductsDocument::CacheInfo;
    enum Role { ProductIdRole = Qt::UserRole + 1, CacheStateRole };

    explicit ProductsTableModel(ProductsDocument *document, QObject *parent = nullptr);

    ProductsDocument *document() const { return m_document; }
    QList<qint64> ids() const;
    const QList<Product> &products() const { return m_products; }
    std::optional<Product> product(qint64 id) const;
    int rowOfId(qint64 id) const;
    CacheInfo cacheInfo(qint64 id) const { return m_document->cacheInfo(id); }

    static QString formatPrice(qint64 cents);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    /// Takes the document's rows, keeping row identity where ids match (no
    /// reset when only values changed, so the selection survives).
    void setProducts(const QList<Product> &products);
    void onCacheStateChanged(const QList<qint64> &ids);

    ProductsDocument *m_document;
    QList<Product> m_products;
};
