// ProductEdit: one product write as the caller asked for it.
//
// A create (the id comes from the shared counter), an update of an existing
// row (optionally compare-and-set on the version the caller read) or the
// article's upsert (POST /product with an id: insert or replace). Every
// strategy's save() takes one; how the row is written is the strategy's.
#pragma once

#include <QString>

struct ProductEdit final
{
    enum class Kind { Create, Update, Upsert };
    Kind kind = Kind::Create;
    qint64 id = 0; ///< 0 for a create
    QString name;
    qint64 price = 0;
    qint64 expectedVersion = 0; ///< updates: > 0 makes it a compare-and-set

    static ProductEdit create(const QString &name, qint64 price) { return { Kind::Create, 0, name, price, 0 }; }
    static ProductEdit update(qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
    {
        return { Kind::Update, id, name, price, expectedVersion };
    }
    static ProductEdit upsert(qint64 id, const QString &name, qint64 price) { return { Kind::Upsert, id, name, price, 0 }; }
};
