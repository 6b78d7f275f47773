// HttpApi: routes, JSON parsing with strict types, status codes, and the
// QPromise bridge from ProductService callbacks to QHttpServer futures.
#include "httpapi.h"

#include "productservice.h"
#include "strategykind.h"
#include "viewstats.h"

#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QHttpServerResponse>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QMetaEnum>
#include <QTcpServer>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>

namespace {

using Status = QHttpServerResponder::StatusCode;
using Method = QHttpServerRequest::Method;
using Response = QHttpServerResponse;

Response json(const QJsonObject &body, Status status = Status::Ok)
{
    return Response(body, status); // sets Content-Type: application/json
}

Response json(const QJsonArray &body, Status status = Status::Ok)
{
    return Response(body, status);
}

Response errorResponse(Status status, const QString &message, const QList<FieldError> &fields = {})
{
    QJsonObject o { { QStringLiteral("error"), message } };
    if (!fields.isEmpty()) {
        QJsonArray errs;
        for (const FieldError &e : fields)
            errs.append(QJsonObject { { QStringLiteral("field"), e.field }, { QStringLiteral("message"), e.message } });
        o.insert(QStringLiteral("fieldErrors"), errs);
    }
    return json(o, status);
}

void reply(QHttpServerResponder &responder, const Response &response)
{
    response.write(std::move(responder));
}

/// A path id: digits only, no sign, no leading zero, > 0, fits in qint64.
std::optional<qint64> parsePathId(const QString &text)
{
    if (text.isEmpty() || text.size() > 19 || text.at(0) == QLatin1Char('0'))
        return std::nullopt;
    for (const QChar c : text) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return std::nullopt;
    }
    bool ok = false;
    const qint64 id = text.toLongLong(&ok);
    if (!ok || id <= 0)
        return std::nullopt;
    return id;
}

/// A JSON number that is a whole number representable exactly in qint64.
std::optional<qint64> jsonInteger(const QJsonValue &v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (!std::isfinite(d) || std::trunc(d) != d || d < -9007199254740992.0 || d > 9007199254740992.0)
        return std::nullopt;
    return static_cast<qint64>(d);
}

/// The service's verdict as an HTTP status (200/201 for Ok).
Status statusFor(const ServiceResult &r, Status ok = Status::Ok)
{
    switch (r.status) {
    case ServiceStatus::Ok:
        return ok;
    case ServiceStatus::NotFound:
        return Status::NotFound;
    case ServiceStatus::Invalid:
        return Status::UnprocessableEntity;
    case ServiceStatus::Conflict:
        return Status::Conflict;
    case ServiceStatus::Unavailable:
        return Status::ServiceUnavailable;
    case ServiceStatus::Error:
        break;
    }
    return Status::InternalServerError;
}

Response failure(const ServiceResult &r)
{
    QString message = r.error;
    if (message.isEmpty())
        message = serviceStatusName(r.status);
    return errorResponse(statusFor(r), message, r.fieldErrors);
}

QJsonArray productsJson(const QList<Product> &products)
{
    QJsonArray arr;
    for (const Product &p : products)
        arr.append(ServiceResult::productToJson(p));
    return arr;
}

struct ProductBody
{
    std::optional<qint64> id;
    QString name;
    qint64 price = 0;
    qint64 version = 0;
};

/// Parses {"id"?, "name", "price", "version"?} strictly. nullopt + *error
/// (a 400 response) on malformed JSON, wrong types or a bad id.
std::optional<ProductBody> parseProductBody(const QByteArray &body, bool allowId, std::optional<Response> *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error = errorResponse(Status::BadRequest, QStringLiteral("Malformed JSON: %1").arg(pe.errorString()));
        return std::nullopt;
    }
    if (!doc.isObject()) {
        *error = errorResponse(Status::BadRequest, QStringLiteral("The body must be a JSON object."));
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    ProductBody b;
    if (o.contains(QLatin1String("id")) && !o.value(QLatin1String("id")).isNull()) {
        if (!allowId) {
            *error = errorResponse(Status::BadRequest, QStringLiteral("\"id\" belongs in the URL, not the body."));
            return std::nullopt;
        }
        const auto id = jsonInteger(o.value(QLatin1String("id")));
        if (!id || *id <= 0) {
            *error = errorResponse(Status::BadRequest, QStringLiteral("\"id\" must be a positive integer."));
            return std::nullopt;
        }
        b.id = *id;
    }
    const QJsonValue name = o.value(QLatin1String("name"));
    if (!name.isString()) {
        *error = errorResponse(Status::BadRequest, QStringLiteral("\"name\" is required and must be a string."));
        return std::nullopt;
    }
    b.name = name.toString();
    const auto price = jsonInteger(o.value(QLatin1String("price")));
    if (!price) {
        *error = errorResponse(Status::BadRequest, QStringLiteral("\"price\" is required and must be a whole number."));
        return std::nullopt;
    }
    b.price = *price;
    if (o.contains(QLatin1String("version")) && !o.value(QLatin1String("version")).isNull()) {
        const auto version = jsonInteger(o.value(QLatin1String("version")));
        if (!version || *version < 0) {
            *error = errorResponse(Status::BadRequest, QStringLiteral("\"version\" must be a whole number >= 0."));
            return std::nullopt;
        }
        b.version = *version;
    }
    return b;
}

bool tooLarge(const QHttpServerRequest &request)
{
    return request.body().size() > HttpApi::MaxBodyBytes;
}

Response tooLargeResponse()
{
    return errorResponse(Status::PayloadTooLarge,
        QStringLiteral("The request body is larger than %1 bytes.").arg(HttpApi::MaxBodyBytes));
}

Response badId(const QString &text)
{
    return errorResponse(Status::BadRequest, QStringLiteral("'%1' is not a product id (a positive integer).").arg(text));
}

bool wantsTrace(const QHttpServerRequest &request)
{
    const QString t = request.query().queryItemValue(QStringLiteral("trace")).toLower();
    return t == QLatin1String("1") || t == QLatin1String("true") || t == QLatin1String("yes");
}

/// The viewer counted in the product's unique-viewers HyperLogLog: the
/// client's X-Session-Id header when it sends one, else its address.
QByteArray viewerOf(const QHttpServerRequest &request)
{
    QByteArray session = request.value(QByteArrayLiteral("X-Session-Id")).trimmed().left(64);
    for (char &c : session) {
        if (c < 0x21 || c > 0x7e)
            c = '_';
    }
    if (!session.isEmpty())
        return "api-" + session;
    return "api-" + request.remoteAddress().toString().toLatin1();
}

} // namespace

HttpApi::HttpApi(ProductService *service, QObject *parent)
    : QObject(parent)
    , m_service(service)
    , m_viewStats(new ViewStats(service, this))
    , m_server(std::make_unique<QHttpServer>())
{
    setupRoutes();
}

HttpApi::~HttpApi() = default;

bool HttpApi::listen(const QHostAddress &address, quint16 port, QString *error)
{
    // Our own QTcpServer, so a failure can say why (address in use, ...).
    auto *tcp = new QTcpServer(m_server.get());
    if (!tcp->listen(address, port)) {
        if (error) {
            *error = QStringLiteral("cannot serve the HTTP API on %1:%2: %3")
                         .arg(address.toString())
                         .arg(port)
                         .arg(tcp->errorString());
        }
        delete tcp;
        return false;
    }
    m_server->bind(tcp);
    m_address = address;
    m_port = tcp->serverPort();
    return true;
}

void HttpApi::setupRoutes()
{
    QHttpServer &s = *m_server;
    ProductService *service = m_service;
    QObject *ctx = this;

    // Runs one service call; its callback writes the reply (later, on this
    // thread). Nothing waits: the handler returns at once.
    // With trace (?trace=1) the operation's trace goes into the answer: as a
    // "trace" member of an object, or beside a list as {"items": [...], "trace": ...}.
    auto call = [service, ctx](QHttpServerResponder &&responder,
                    const std::function<void(ProductService *, QObject *, ServiceCallback)> &start,
                    std::function<Response(const ServiceResult &)> map, bool trace = false) {
        auto pending = std::make_shared<QHttpServerResponder>(std::move(responder));
        start(service, ctx, [pending, map = std::move(map), trace](const ServiceResult &r) {
            Response response = map(r);
            if (trace) {
                const QJsonDocument doc = QJsonDocument::fromJson(response.data());
                QJsonObject o = doc.isObject() ? doc.object() : QJsonObject { { QStringLiteral("items"), doc.array() } };
                o.insert(QStringLiteral("trace"), r.trace.toJson());
                response = json(o, response.statusCode());
            }
            response.write(std::move(*pending));
        });
    };

    // --- products ------------------------------------------------------------------------
    s.route(QStringLiteral("/product"), Method::Post, [call](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
        if (tooLarge(req))
            return reply(responder, tooLargeResponse());
        std::optional<Response> error;
        const auto body = parseProductBody(req.body(), true, &error);
        if (!body)
            return reply(responder, std::move(*error));
        const ProductBody b = *body;
        auto map = [](const ServiceResult &r) {
            if (!r.ok() || !r.product)
                return failure(r);
            QJsonObject o { { QStringLiteral("status"), QStringLiteral("created/updated") },
                { QStringLiteral("product"), ServiceResult::productToJson(*r.product) } };
            return json(o, r.product->version <= 1 ? Status::Created : Status::Ok);
        };
        const bool trace = wantsTrace(req);
        if (b.id) {
            return call(std::move(responder), [b](ProductService *svc, QObject *c,
                            ServiceCallback done) { svc->upsert(*b.id, b.name, b.price, c, std::move(done)); },
                map, trace);
        }
        return call(std::move(responder), [b](ProductService *svc, QObject *c,
                        ServiceCallback done) { svc->create(b.name, b.price, c, std::move(done)); },
            map, trace);
    });

    s.route(QStringLiteral("/product/<arg>"), Method::Get,
        [call](const QString &idText, const QHttpServerRequest &req, QHttpServerResponder &&responder) {
            const auto id = parsePathId(idText);
            if (!id)
                return reply(responder, badId(idText));
            const bool trace = wantsTrace(req);
            return call(std::move(responder), [id = *id, viewer = viewerOf(req)](ProductService *svc, QObject *c,
                            ServiceCallback done) { svc->get(id, viewer, c, std::move(done)); },
                [trace](const ServiceResult &r) {
                    if (!r.ok() || !r.product) {
                        if (!trace)
                            return failure(r);
                        QJsonObject o { { QStringLiteral("error"),
                                            r.error.isEmpty() ? serviceStatusName(r.status) : r.error },
                            { QStringLiteral("trace"), r.trace.toJson() } };
                        return json(o, statusFor(r));
                    }
                    const QJsonObject product = ServiceResult::productToJson(*r.product);
                    if (!trace)
                        return json(product);
                    return json(QJsonObject { { QStringLiteral("product"), product },
                        { QStringLiteral("fromCache"), r.fromCache }, { QStringLiteral("trace"), r.trace.toJson() } });
                });
        });

    s.route(QStringLiteral("/product/<arg>"), Method::Put,
        [call](const QString &idText, const QHttpServerRequest &req, QHttpServerResponder &&responder) {
            if (tooLarge(req))
                return reply(responder, tooLargeResponse());
            const auto id = parsePathId(idText);
            if (!id)
                return reply(responder, badId(idText));
            std::optional<Response> error;
            const auto body = parseProductBody(req.body(), true, &error);
            if (!body)
                return reply(responder, std::move(*error));
            if (body->id && *body->id != *id)
                return reply(responder, errorResponse(Status::BadRequest,
                    QStringLiteral("The body's \"id\" (%1) differs from the URL's (%2).").arg(*body->id).arg(*id)));
            const ProductBody b = *body;
            return call(std::move(responder), 
                [id = *id, b](ProductService *svc, QObject *c, ServiceCallback done) {
                    svc->updateInTransaction(id, b.name, b.price, b.version, c, std::move(done));
                },
                [](const ServiceResult &r) {
                    if (!r.ok() || !r.product)
                        return failure(r);
                    return json(QJsonObject { { QStringLiteral("status"), QStringLiteral("updated") },
                        { QStringLiteral("product"), ServiceResult::productToJson(*r.product) } });
                },
                wantsTrace(req));
        });

    s.route(QStringLiteral("/product/<arg>"), Method::Delete, [call](const QString &idText, const QHttpServerRequest &req, QHttpServerResponder &&responder) {
        const auto id = parsePathId(idText);
        if (!id)
            return reply(responder, badId(idText));
        return call(std::move(responder), [id = *id](ProductService *svc, QObject *c,
                        ServiceCallback done) { svc->remove(id, c, std::move(done)); },
            [](const ServiceResult &r) {
                if (!r.ok())
                    return failure(r);
                return json(QJsonObject { { QStringLiteral("status"), QStringLiteral("deleted") } });
            },
            wantsTrace(req));
    });

    s.route(QStringLiteral("/product/invalidate/<arg>"), Method::Post,
        [call](const QString &idText, const QHttpServerRequest &req, QHttpServerResponder &&responder) {
            const auto id = parsePathId(idText);
            if (!id)
                return reply(responder, badId(idText));
            return call(std::move(responder), [id = *id](ProductService *svc, QObject *c,
                            ServiceCallback done) { svc->invalidate(id, c, std::move(done)); },
                [](const ServiceResult &r) {
                    if (!r.ok())
                        return failure(r);
                    return json(QJsonObject { { QStringLiteral("status"), QStringLiteral("cache invalidated") },
                        { QStringLiteral("count"), r.count } });
                },
                wantsTrace(req));
        });

    s.route(QStringLiteral("/product/<arg>/adjust-price"), Method::Post,
        [call](const QString &idText, const QHttpServerRequest &req, QHttpServerResponder &&responder) {
            if (tooLarge(req))
                return reply(responder, tooLargeResponse());
            const auto id = parsePathId(idText);
            if (!id)
                return reply(responder, badId(idText));
            QJsonParseError pe;
            const QJsonDocument doc = QJsonDocument::fromJson(req.body(), &pe);
            if (pe.error != QJsonParseError::NoError)
                return reply(responder, errorResponse(Status::BadRequest, QStringLiteral("Malformed JSON: %1").arg(pe.errorString())));
            const auto delta = jsonInteger(doc.object().value(QLatin1String("delta")));
            if (!doc.isObject() || !delta)
                return reply(responder, errorResponse(Status::BadRequest, QStringLiteral("Expected {\"delta\": <whole number>}.")));
            return call(std::move(responder), [id = *id, d = *delta](ProductService *svc, QObject *c,
                            ServiceCallback done) { svc->adjustPrice(id, d, c, std::move(done)); },
                [](const ServiceResult &r) {
                    if (!r.ok() || !r.product)
                        return failure(r);
                    return json(QJsonObject { { QStringLiteral("status"), QStringLiteral("adjusted") },
                        { QStringLiteral("product"), ServiceResult::productToJson(*r.product) },
                        { QStringLiteral("retries"), r.retries } });
                },
                wantsTrace(req));
        });

    s.route(QStringLiteral("/most_viewed"), Method::Get, [stats = m_viewStats, ctx](QHttpServerResponder &&responder) {
        auto pending = std::make_shared<QHttpServerResponder>(std::move(responder));
        stats->top(10, ctx, [pending](const QList<ViewCount> &top, const QString &error) {
            if (!error.isEmpty()) {
                errorResponse(Status::ServiceUnavailable, QStringLiteral("Redis cannot answer: %1").arg(error))
                    .write(std::move(*pending));
                return;
            }
            QJsonArray arr;
            for (const ViewCount &c : top) {
                arr.append(QJsonObject { { QStringLiteral("id"), c.id }, { QStringLiteral("views"), c.views },
                    { QStringLiteral("uniqueViewers"), c.uniqueViewers } });
            }
            json(arr).write(std::move(*pending));
        });
    });

    s.route(QStringLiteral("/recent_products"), Method::Get, [call](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
        return call(std::move(responder), [](ProductService *svc, QObject *c,
                        ServiceCallback done) { svc->recentProducts(c, std::move(done)); },
            [](const ServiceResult &r) { return r.ok() ? json(productsJson(r.products)) : failure(r); }, wantsTrace(req));
    });

    s.route(QStringLiteral("/products"), Method::Get, [call](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
        return call(std::move(responder), [](ProductService *svc, QObject *c, ServiceCallback done) { svc->list(c, std::move(done)); },
            [](const ServiceResult &r) { return r.ok() ? json(productsJson(r.products)) : failure(r); }, wantsTrace(req));
    });

    // --- strategy and metrics (synchronous: the answer is already known) -----------------
    auto strategyJson = [service] {
        return QJsonObject { { QStringLiteral("strategy"), strategyName(service->strategy()) },
            { QStringLiteral("description"), strategyDescription(service->strategy()) },
            { QStringLiteral("strategies"), QJsonArray::fromStringList(strategyNames()) } };
    };
    s.route(QStringLiteral("/strategy"), Method::Get, [strategyJson](QHttpServerResponder &&responder) {
        return reply(responder, json(strategyJson()));
    });
    s.route(QStringLiteral("/strategy"), Method::Put,
        [service, strategyJson](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
            if (tooLarge(req))
                return reply(responder, tooLargeResponse());
            QJsonParseError pe;
            const QJsonDocument doc = QJsonDocument::fromJson(req.body(), &pe);
            if (pe.error != QJsonParseError::NoError)
                return reply(responder, errorResponse(Status::BadRequest, QStringLiteral("Malformed JSON: %1").arg(pe.errorString())));
            const QJsonValue v = doc.object().value(QLatin1String("strategy"));
            if (!doc.isObject() || !v.isString())
                return reply(responder, errorResponse(Status::BadRequest, QStringLiteral("Expected {\"strategy\": \"<name>\"}.")));
            if (!service->setStrategyByName(v.toString())) {
                return reply(responder, errorResponse(Status::UnprocessableEntity,
                    QStringLiteral("Unknown strategy '%1'.").arg(v.toString()),
                    { FieldError { QStringLiteral("strategy"),
                        QStringLiteral("Use one of: %1.").arg(strategyNames().join(QStringLiteral(", "))) } }));
            }
            return reply(responder, json(strategyJson()));
        });
    s.route(QStringLiteral("/metrics"), Method::Get, [service](QHttpServerResponder &&responder) {
        QJsonObject o = service->metrics().toJson();
        o.insert(QStringLiteral("cacheAvailable"), service->isCacheAvailable());
        o.insert(QStringLiteral("strategy"), strategyName(service->strategy()));
        return reply(responder, json(o));
    });

    s.setMissingHandler([](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
        const bool big = req.body().size() > MaxBodyBytes;
        const QJsonObject o { { QStringLiteral("error"),
            big ? QStringLiteral("The request body is larger than %1 bytes.").arg(MaxBodyBytes)
                : QStringLiteral("No route for %1 %2.")
                      .arg(QString::fromLatin1(QMetaEnum::fromType<Method>().valueToKey(int(req.method()))),
                          req.url().path()) } };
        responder.write(QJsonDocument(o), big ? Status::PayloadTooLarge : Status::NotFound);
    });
}
