// ServiceStatus names for the HTTP API and logs.
#include "serviceresult.h"

#include <QJsonArray>

QString serviceStatusName(ServiceStatus status)
{
    switch (status) {
    case ServiceStatus::Ok:
        return QStringLiteral("ok");
    case ServiceStatus::NotFound:
        return QStringLiteral("not-found");
    case ServiceStatus::Invalid:
        return QStringLiteral("invalid");
    case ServiceStatus::Conflict:
        return QStringLiteral("conflict");
    case ServiceStatus::Unavailable:
        return QStringLiteral("unavailable");
    case ServiceStatus::Error:
        return QStringLiteral("error");
    }
    return QStringLiteral("error");
}

QJsonObject ServiceResult::productToJson(const Product &p)
{
    QJsonObject o { { QStringLiteral("id"), p.id }, { QStringLiteral("name"), p.name },
        { QStringLiteral("price"), p.price }, { QStringLiteral("version"), p.version } };
    if (p.updatedAt.isValid())
        o.insert(QStringLiteral("updatedAt"), p.updatedAt.toUTC().toString(Qt::ISODateWithMs));
    return o;
}

QJsonObject ServiceResult::toJson() const
{
    QJsonObject o { { QStringLiteral("status"), serviceStatusName(status) }, { QStringLiteral("count"), count },
        { QStringLiteral("fromCache"), fromCache }, { QStringLiteral("trace"), trace.toJson() } };
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    if (retries > 0)
        o.insert(QStringLiteral("retries"), retries);
    if (!fieldErrors.isEmpty()) {
        QJsonArray errs;
        for (const FieldError &e : fieldErrors)
            errs.append(QJsonObject { { QStringLiteral("field"), e.field }, { QStringLiteral("message"), e.message } });
        o.insert(QStringLiteral("fieldErrors"), errs);
    }
    if (product)
        o.insert(QStringLiteral("product"), productToJson(*product));
    if (!products.isEmpty()) {
        QJsonArray arr;
        for (const Product &p : products)
            arr.append(productToJson(p));
        o.insert(QStringLiteral("products"), arr);
    }
    if (!warnings.isEmpty())
        o.insert(QStringLiteral("warnings"), QJsonArray::fromStringList(warnings));
    return o;
}
