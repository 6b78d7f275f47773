// ProductsTableModel: the products table as stored in SQLite, with what the
// cache holds beside it.
//
// Rows come from ProductRepository::list() (the database truth). The cache
// column compares each row's version with the version in Redis's
// product:{id} hash: fresh, stale (Redis holds another version), pending
// (an unflushed write-behind write) or not cached (row dimmed).
#pragma once

#include "product.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

class ProductsTableModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { IdColumn, NameColumn, PriceColumn, VersionColumn, CacheColumn, ColumnCount };
    enum class CacheState { Unknown, NotCached, Fresh, Stale, Pending, Absent };
    enum Role { ProductIdRole = Qt::UserRole + 1, CacheStateRole };

    struct CacheInfo
    {
        CacheState state = CacheState::Unknown;
        qint64 version = 0;
    };

    explicit ProductsTableModel(QObject *parent = nullptr);

    /// Replaces the rows, keeping row identity where ids match (no reset
    /// when only values changed, so the selection survives).
    void setProducts(const QList<Product> &products);
    /// Cached versions by id: 0 = not cached, -1 = pending write-behind,
    /// -2 = negative entry; others are the cached version.
    void setCachedVersions(const QHash<qint64, qint64> &versions, const QHash<qint64, bool> &dirty);
    QList<qint64> ids() const;
    const QList<Product> &products() const { return m_products; }
    std::optional<Product> product(qint64 id) const;
    int rowOfId(qint64 id) const;
    CacheInfo cacheInfo(qint64 id) const { return m_cache.value(id); }

    static QString formatPrice(qint64 cents);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<Product> m_products;
    QHash<qint64, CacheInfo> m_cache;
};
