// StoreResult: what every ProductRepository call reports back.
#pragma once

#include "product.h"
#include "productvalidator.h"

#include <QList>
#include <QPair>
#include <QStringList>
#include <QString>
#include <functional>
#include <optional>

enum class StoreStatus {
    Ok,
    NotFound, ///< the id does not exist (not an error)
    Invalid,  ///< validation failed; nothing was written (see fieldErrors)
    Conflict, ///< expected version did not match; nothing was written
    Error,    ///< SQL/driver failure; nothing was written
};

struct StoreResult final
{
    StoreStatus status = StoreStatus::Ok;
    QString error;                  ///< empty on Ok/NotFound
    QList<FieldError> fieldErrors;  ///< on Invalid
    std::optional<Product> product; ///< single-row calls
    QList<Product> products;        ///< list(), productsWithTag(), search(), productsByIds(); applyVersioned(): rows that stayed
    QList<qint64> ids;              ///< listIds(): every product id, ascending
    QStringList tags;               ///< tagsOf(), setTags(): the stored tags, sorted
    QStringList previousTags;       ///< setTags(): the tags before the call
    QList<QPair<QString, qint64>> tagCounts; ///< allTags(): (tag, products carrying it), by name
    bool fullText = false;          ///< search(): answered by FTS5 (false: the LIKE fallback)
    qint64 lastVersion = 0;         ///< versionOf(): the highest version the id ever had, deleted lives included
    QList<ProductChange> changes;   ///< changesAfter(): change rows in seq order
    qint64 seq = 0;                 ///< changesAfter(): the newest seq in the table; a write: its first change row
    qint64 prunedUpTo = 0;          ///< changesAfter(): rows up to this seq are gone (pruned)
    int rowsAffected = 0;
    QStringList sql;                ///< statements run, for traces
    qint64 micros = 0;              ///< time spent on the database thread (incl. artificial latency)

    bool ok() const { return status == StoreStatus::Ok; }
};

Q_DECLARE_METATYPE(StoreResult)

/// How a product write numbers its new version: max(current + bump, floor)
/// (a delete: the version its tombstone keeps). The cache layer passes the
/// version it reserved in Redis as floor, or a large bump when Redis could
/// not be asked (VersionedWrites::OfflineStride). The default is "current + 1".
struct VersionRule final
{
    qint64 floor = 0;
    qint64 bump = 1;
};

/// How ProductRepository (and anything wrapping it) reports back. Lives here
/// so code that only passes results around need not include the repository.
using StoreCallback = std::function<void(const StoreResult &)>;
