// ServiceResult: what every ProductService call reports back.
//
// Errors are values with a message a person can act on; "not found" is a
// status, not an error (the article answered a missing product with a server
// error). The trace of the call travels with the result.
#pragma once

#include "operationtrace.h"
#include "product.h"
#include "productvalidator.h"

#include <optional>
#include <QList>
#include <QMetaType>
#include <QString>

enum class ServiceStatus {
    Ok,
    NotFound, ///< the id does not exist (possibly answered from the negative cache)
    Invalid, ///< input failed validation; neither Redis nor SQLite was touched
    Conflict, ///< expected version did not match; nothing written
    Unavailable, ///< a required store is unreachable (write-behind without Redis)
    Error, ///< SQL or Redis failure
};

/// "ok", "not-found", "invalid", "conflict", "unavailable", "error".
QString serviceStatusName(ServiceStatus status);

struct ServiceResult final
{
    ServiceStatus status = ServiceStatus::Ok;
    QString error; ///< empty on Ok/NotFound
    QList<FieldError> fieldErrors; ///< on Invalid
    std::optional<Product> product; ///< get/save/update
    QList<Product> products; ///< list, recent, warm-up
    qint64 count = 0; ///< keys invalidated, items warmed/flushed, ...
    QStringList warnings; ///< succeeded, but something is worth saying
    bool fromCache = false; ///< get: the product came from Redis
    int retries = 0; ///< adjust-price: optimistic retries after a conflict (WATCH abort or stale version)
    OperationTrace trace;

    bool ok() const { return status == ServiceStatus::Ok; }
    /// {status, error?, fieldErrors?, product?, products?, count, warnings?,
    /// fromCache, trace} for the HTTP API.
    QJsonObject toJson() const;
    static QJsonObject productToJson(const Product &product);
};

Q_DECLARE_METATYPE(ServiceResult)
