// CatalogResult: what ProductTags and ProductSearch report back.
//
// The same shape as ServiceResult where it overlaps (status, error, field
// errors, products, trace), plus tags and where the answer came from.
#pragma once

#include "operationtrace.h"
#include "product.h"
#include "productvalidator.h"
#include "serviceresult.h"

#include <functional>
#include <QList>
#include <QPair>
#include <QStringList>

struct CatalogResult final
{
    ServiceStatus status = ServiceStatus::Ok;
    QString error; ///< empty on Ok/NotFound
    QList<FieldError> fieldErrors; ///< on Invalid ("tags", "query", "id")
    QStringList tags; ///< tagsOf, setTags: the product's tags, sorted
    QList<QPair<QString, qint64>> tagCounts; ///< allTags: (tag, number of products)
    QList<Product> products; ///< productsWithTag, search: in result order
    bool fromCache = false; ///< the answer (ids or tags) came from Redis
    QString engine; ///< search: the engine that answered
    QStringList warnings;
    OperationTrace trace;

    bool ok() const { return status == ServiceStatus::Ok; }
};

using CatalogCallback = std::function<void(const CatalogResult &)>;
