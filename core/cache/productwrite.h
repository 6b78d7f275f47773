// ProductWrite: one acknowledged write made through a ProductService.
//
// Emitted by ProductService::productWritten() after the caller's write
// succeeded (for write-behind: once it is queued in Redis). Outside changes
// to SQLite are not ProductWrites; they arrive as productChanged() /
// productRemoved() from the store's change feed.
#pragma once

#include "strategykind.h"

#include <optional>
#include <QMetaType>
#include <QString>

class Operation;
struct ServiceResult;

struct ProductWrite final
{
    enum class Kind { Created, Updated, Deleted };
    Kind kind = Kind::Updated;
    qint64 id = 0;
    qint64 version = 0; ///< the row's new version; 0 for deletes
    StrategyKind strategy = StrategyKind::CacheAside;
    bool queued = false; ///< write-behind: acknowledged from Redis, SQLite later
    QString operation; ///< "create", "update", "update-tx", "upsert", "adjust-price", "delete"

    /// The write a finished operation made, if it was a successful product
    /// write (create, update, update-tx, upsert, adjust-price, delete).
    static std::optional<ProductWrite> of(const Operation &op, const ServiceResult &result);

    static QString kindName(Kind kind)
    {
        switch (kind) {
        case Kind::Created:
            return QStringLiteral("created");
        case Kind::Updated:
            return QStringLiteral("updated");
        case Kind::Deleted:
            return QStringLiteral("deleted");
        }
        return {};
    }
};

Q_DECLARE_METATYPE(ProductWrite)
