// Product: one row of the products table, the thing CacheLab caches.
#pragma once

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

struct Product final
{
    qint64 id = 0;
    QString name;
    qint64 price = 0;    ///< whole cents (or any integer unit), >= 0
    qint64 version = 0;  ///< row update counter; 1 after insert, +1 per change
    QDateTime updatedAt; ///< UTC

    bool operator==(const Product &o) const
    {
        return id == o.id && name == o.name && price == o.price && version == o.version;
    }
    bool operator!=(const Product &o) const { return !(*this == o); }
};

/// One entry of the store's change feed.
struct ProductChange final
{
    enum class Kind { Insert, Update, Delete };
    qint64 seq = 0; ///< position in the change table
    qint64 id = 0;
    Kind kind = Kind::Update;
    qint64 version = 0;
    bool external = false; ///< made by another program (sqlite3 shell, another instance)
};

Q_DECLARE_METATYPE(Product)
Q_DECLARE_METATYPE(ProductChange)
