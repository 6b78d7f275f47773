// HttpApi: every route and every error code, driven over real HTTP with
// QNetworkAccessManager against a real redis-server and a temporary SQLite
// file. Waits are QSignalSpy::wait on a reply or signal, never sleeps.
#include "cachefixture.h"
#include "httpapi.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QTest>

using namespace CacheTest;

namespace {

struct HttpReply
{
    int status = 0;
    QByteArray contentType;
    QByteArray raw;
    QJsonDocument json;
    QJsonObject obj() const { return json.object(); }
};

} // namespace

class TestHttpApi final : public QObject
{
    Q_OBJECT

private:
    TestRedisServer m_server;
    std::unique_ptr<Env> m_env;
    std::unique_ptr<HttpApi> m_api;
    QNetworkAccessManager m_nam;

    HttpReply send(const QByteArray &verb, const QString &path, const QByteArray &body = QByteArray(),
        HttpApi *api = nullptr, const QByteArray &session = {})
    {
        const quint16 port = (api ? api : m_api.get())->port();
        QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
        if (!session.isEmpty())
            req.setRawHeader(QByteArrayLiteral("X-Session-Id"), session);
        if (!body.isNull())
            req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = body.isNull() ? m_nam.sendCustomRequest(req, verb)
                                             : m_nam.sendCustomRequest(req, verb, body);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        if (!reply->isFinished())
            (void)finished.wait(WaitMs);
        HttpReply out;
        out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        out.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
        out.raw = reply->readAll();
        out.json = QJsonDocument::fromJson(out.raw);
        reply->deleteLater();
        return out;
    }

    static QByteArray productBody(const QJsonObject &o) { return QJsonDocument(o).toJson(QJsonDocument::Compact); }

    qint64 createProduct(const QString &name, qint64 price)
    {
        const HttpReply r = send("POST", QStringLiteral("/product"),
            productBody({ { QStringLiteral("name"), name }, { QStringLiteral("price"), price } }));
        return r.status == 201 ? r.obj().value(QStringLiteral("product")).toObject().value(QStringLiteral("id")).toInteger()
                               : 0;
    }

#define CHECK_JSON(r)                                                                                                  \
    do {                                                                                                               \
        QVERIFY2((r).contentType.startsWith("application/json"), (r).contentType.constData());                        \
        QVERIFY2(!(r).json.isNull(), (r).raw.constData());                                                            \
    } while (false)

private slots:
    void initTestCase()
    {
        m_server.setExtraConfig({ QStringLiteral("notify-keyspace-events KEA") });
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
    }

    void init()
    {
        QString error;
        m_env = makeEnv(m_server, &error);
        QVERIFY2(m_env, qPrintable(error));
        (void)m_server.syncString({ "FLUSHALL" });
        m_api = std::make_unique<HttpApi>(m_env->service.get());
        QVERIFY2(m_api->listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        QVERIFY(m_api->port() > 0);
    }

    void cleanup()
    {
        m_api.reset();
        m_env.reset();
    }

    void listenFailureIsReported()
    {
        HttpApi second(m_env->service.get());
        QString error;
        QVERIFY(!second.listen(QHostAddress::LocalHost, m_api->port(), &error));
        QVERIFY2(error.contains(QString::number(m_api->port())), qPrintable(error));
    }

    void adjustPriceRoute()
    {
        const qint64 id = createProduct(QStringLiteral("Kettle"), 2500);
        QVERIFY(id > 0);
        HttpReply r = send("POST", QStringLiteral("/product/%1/adjust-price").arg(id), R"({"delta": -500})");
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("status")).toString(), QStringLiteral("adjusted"));
        QCOMPARE(r.obj().value(QStringLiteral("product")).toObject().value(QStringLiteral("price")).toInteger(), 2000);
        QCOMPARE(r.obj().value(QStringLiteral("product")).toObject().value(QStringLiteral("version")).toInteger(), 2);
        QCOMPARE(r.obj().value(QStringLiteral("retries")).toInteger(), 0);

        QCOMPARE(send("POST", QStringLiteral("/product/%1/adjust-price").arg(id), R"({"delta": "ten"})").status, 400);
        QCOMPARE(send("POST", QStringLiteral("/product/%1/adjust-price").arg(id), "{nope").status, 400);
        QCOMPARE(send("POST", QStringLiteral("/product/abc/adjust-price"), R"({"delta": 1})").status, 400);
        QCOMPARE(send("POST", QStringLiteral("/product/%1/adjust-price").arg(id), R"({"delta": 0})").status, 422);
        QCOMPARE(send("POST", QStringLiteral("/product/%1/adjust-price").arg(id), R"({"delta": -999999})").status, 422);
        QCOMPARE(send("POST", QStringLiteral("/product/987654/adjust-price"), R"({"delta": 1})").status, 404);
        // The refused calls changed nothing.
        const auto row = dbRow(*m_env->repo, id);
        QCOMPARE(row->price, 2000);
        QCOMPARE(row->version, 2);
    }

    void mostViewedCountsApiSessions()
    {
        const qint64 a = createProduct(QStringLiteral("A"), 100);
        const qint64 b = createProduct(QStringLiteral("B"), 200);
        for (const QByteArray session : { "s1", "s2", "s3" })
            QCOMPARE(send("GET", QStringLiteral("/product/%1").arg(b), {}, nullptr, session).status, 200);
        QCOMPARE(send("GET", QStringLiteral("/product/%1").arg(b), {}, nullptr, "s1").status, 200);
        QCOMPARE(send("GET", QStringLiteral("/product/%1").arg(a), {}, nullptr, "s1").status, 200);

        const HttpReply r = send("GET", QStringLiteral("/most_viewed"));
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        const QJsonArray top = r.json.array();
        QCOMPARE(top.size(), 2);
        QCOMPARE(top.at(0).toObject().value(QStringLiteral("id")).toInteger(), b);
        QCOMPARE(top.at(0).toObject().value(QStringLiteral("views")).toInteger(), 4);
        QCOMPARE(top.at(0).toObject().value(QStringLiteral("uniqueViewers")).toInteger(), 3);
        QCOMPARE(top.at(1).toObject().value(QStringLiteral("id")).toInteger(), a);
        QCOMPARE(top.at(1).toObject().value(QStringLiteral("uniqueViewers")).toInteger(), 1);
    }

    void crudRoundTrip()
    {
        QSignalSpy traces(m_env->service.get(), &ProductService::traceRecorded);

        // POST without id: created (201) with an assigned id.
        HttpReply r = send("POST", QStringLiteral("/product"),
            productBody({ { QStringLiteral("name"), QStringLiteral("Lamp") }, { QStringLiteral("price"), 1999 } }));
        QCOMPARE(r.status, 201);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("status")).toString(), QStringLiteral("created/updated"));
        const QJsonObject created = r.obj().value(QStringLiteral("product")).toObject();
        const qint64 id = created.value(QStringLiteral("id")).toInteger();
        QVERIFY(id > 0);
        QCOMPARE(created.value(QStringLiteral("name")).toString(), QStringLiteral("Lamp"));
        QCOMPARE(created.value(QStringLiteral("price")).toInteger(), 1999);
        QCOMPARE(created.value(QStringLiteral("version")).toInteger(), 1);
        QVERIFY(!traces.isEmpty());
        QCOMPARE(traces.last().at(0).value<OperationTrace>().operation, QStringLiteral("create"));

        // GET: the product itself, as in the article.
        const QString path = QStringLiteral("/product/%1").arg(id);
        r = send("GET", path);
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("id")).toInteger(), id);
        QCOMPARE(r.obj().value(QStringLiteral("name")).toString(), QStringLiteral("Lamp"));
        QCOMPARE(traces.last().at(0).value<OperationTrace>().operation, QStringLiteral("get"));

        // GET ?trace=1: product + trace (now a cache hit).
        r = send("GET", path + QStringLiteral("?trace=1"));
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("product")).toObject().value(QStringLiteral("id")).toInteger(), id);
        const QJsonObject trace = r.obj().value(QStringLiteral("trace")).toObject();
        QCOMPARE(trace.value(QStringLiteral("operation")).toString(), QStringLiteral("get"));
        QVERIFY(!trace.value(QStringLiteral("steps")).toArray().isEmpty());
        QCOMPARE(r.obj().value(QStringLiteral("fromCache")).toBool(), true);

        // PUT: update (version 2).
        r = send("PUT", path,
            productBody({ { QStringLiteral("name"), QStringLiteral("Desk lamp") }, { QStringLiteral("price"), 2499 } }));
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("status")).toString(), QStringLiteral("updated"));
        QCOMPARE(r.obj().value(QStringLiteral("product")).toObject().value(QStringLiteral("version")).toInteger(), 2);

        // PUT with a stale version: 409.
        r = send("PUT", path,
            productBody({ { QStringLiteral("name"), QStringLiteral("X") }, { QStringLiteral("price"), 1 },
                { QStringLiteral("version"), 1 } }));
        QCOMPARE(r.status, 409);
        CHECK_JSON(r);

        // POST with an existing id replaces the row (200, version 3).
        r = send("POST", QStringLiteral("/product"),
            productBody({ { QStringLiteral("id"), id }, { QStringLiteral("name"), QStringLiteral("Floor lamp") },
                { QStringLiteral("price"), 5000 } }));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.obj().value(QStringLiteral("product")).toObject().value(QStringLiteral("version")).toInteger(), 3);
        r = send("GET", path);
        QCOMPARE(r.obj().value(QStringLiteral("name")).toString(), QStringLiteral("Floor lamp"));

        // POST with a new id creates that row (201).
        r = send("POST", QStringLiteral("/product"),
            productBody({ { QStringLiteral("id"), 777 }, { QStringLiteral("name"), QStringLiteral("Chair") },
                { QStringLiteral("price"), 100 } }));
        QCOMPARE(r.status, 201);
        QCOMPARE(r.obj().value(QStringLiteral("product")).toObject().value(QStringLiteral("id")).toInteger(), 777);
        QCOMPARE(send("GET", QStringLiteral("/product/777")).status, 200);

        // GET /products: both, ordered by id.
        r = send("GET", QStringLiteral("/products"));
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QVERIFY(r.json.isArray());
        QCOMPARE(r.json.array().size(), 2);
        QCOMPARE(r.json.array().at(1).toObject().value(QStringLiteral("id")).toInteger(), 777);

        // GET /recent_products: newest first.
        r = send("GET", QStringLiteral("/recent_products"));
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QVERIFY(r.json.isArray());
        QVERIFY(!r.json.array().isEmpty());
        QCOMPARE(r.json.array().at(0).toObject().value(QStringLiteral("id")).toInteger(), 777);

        // POST /product/invalidate/:id drops the cached hash.
        QCOMPARE(send("GET", path).status, 200); // cached again
        r = send("POST", QStringLiteral("/product/invalidate/%1").arg(id));
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("status")).toString(), QStringLiteral("cache invalidated"));
        QCOMPARE(traces.last().at(0).value<OperationTrace>().operation, QStringLiteral("invalidate"));
        r = send("GET", path + QStringLiteral("?trace=true"));
        QCOMPARE(r.obj().value(QStringLiteral("fromCache")).toBool(), false);

        // DELETE, then 404.
        r = send("DELETE", path);
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("status")).toString(), QStringLiteral("deleted"));
        r = send("GET", path);
        QCOMPARE(r.status, 404);
        CHECK_JSON(r);
        QVERIFY(!r.obj().value(QStringLiteral("error")).toString().isEmpty());
        r = send("GET", path + QStringLiteral("?trace=1"));
        QCOMPARE(r.status, 404);
        QVERIFY(r.obj().contains(QStringLiteral("trace")));
    }

    // Issue 12 (5): ?trace=1 works on every route that runs a service
    // operation, writes included; without it the answers keep their shape.
    void traceOnEveryServiceRoute()
    {
        const qint64 id = createProduct(QStringLiteral("Traced"), 100);
        QVERIFY(id > 0);
        const QString one = QStringLiteral("/product/%1").arg(id);
        const QByteArray body
            = productBody({ { QStringLiteral("name"), QStringLiteral("Renamed") }, { QStringLiteral("price"), 5 } });
        struct Call
        {
            QByteArray verb;
            QString path;
            QByteArray body;
            QString operation;
        };
        const QList<Call> calls {
            { "POST", QStringLiteral("/product"), body, QStringLiteral("create") },
            { "POST", QStringLiteral("/product"),
                productBody({ { QStringLiteral("id"), id }, { QStringLiteral("name"), QStringLiteral("Upserted") },
                    { QStringLiteral("price"), 6 } }),
                QStringLiteral("upsert") },
            { "PUT", one, body, QStringLiteral("update-tx") },
            { "POST", one + QStringLiteral("/adjust-price"), QByteArrayLiteral("{\"delta\": 3}"),
                QStringLiteral("adjust-price") },
            { "POST", QStringLiteral("/product/invalidate/%1").arg(id), QByteArray(), QStringLiteral("invalidate") },
            { "GET", QStringLiteral("/products"), QByteArray(), QStringLiteral("list") },
            { "GET", QStringLiteral("/recent_products"), QByteArray(), QStringLiteral("recent") },
            { "DELETE", one, QByteArray(), QStringLiteral("delete") },
        };
        for (const Call &c : calls) {
            const HttpReply traced = send(c.verb, c.path + QStringLiteral("?trace=1"), c.body);
            QVERIFY2(traced.status >= 200 && traced.status < 300, qPrintable(c.path + QLatin1Char(' ') + QString::fromUtf8(traced.raw)));
            CHECK_JSON(traced);
            const QJsonObject trace = traced.obj().value(QStringLiteral("trace")).toObject();
            QVERIFY2(!trace.isEmpty(), qPrintable(QString::fromLatin1(c.verb) + QLatin1Char(' ') + c.path
                                                + QStringLiteral(": ") + QString::fromUtf8(traced.raw)));
            QVERIFY2(trace.value(QStringLiteral("operation")).toString().startsWith(c.operation),
                qPrintable(trace.value(QStringLiteral("operation")).toString()));
            QVERIFY(!trace.value(QStringLiteral("steps")).toArray().isEmpty());
        }
        // Without ?trace=1 there is no trace member.
        const HttpReply plain = send("POST", QStringLiteral("/product"), body);
        QCOMPARE(plain.status, 201);
        QVERIFY(!plain.obj().contains(QStringLiteral("trace")));
        const HttpReply list = send("GET", QStringLiteral("/products"));
        QVERIFY(list.json.isArray());
    }

    void notFound()
    {
        QCOMPARE(send("GET", QStringLiteral("/product/424242")).status, 404);
        QCOMPARE(send("PUT", QStringLiteral("/product/424242"),
                     productBody({ { QStringLiteral("name"), QStringLiteral("A") }, { QStringLiteral("price"), 1 } }))
                     .status,
            404);
        const HttpReply r = send("DELETE", QStringLiteral("/product/424242"));
        QCOMPARE(r.status, 404);
        CHECK_JSON(r);
        const HttpReply unknown = send("GET", QStringLiteral("/nowhere"));
        QCOMPARE(unknown.status, 404);
        CHECK_JSON(unknown);
    }

    void badIds_data()
    {
        QTest::addColumn<QString>("id");
        for (const char *id : { "abc", "0", "-1", "9223372036854775808", "1.5", "01", "1e3", "%20" })
            QTest::newRow(id) << QString::fromLatin1(id);
    }

    void badIds()
    {
        QFETCH(QString, id);
        const QByteArray body
            = productBody({ { QStringLiteral("name"), QStringLiteral("A") }, { QStringLiteral("price"), 1 } });
        for (const auto &[verb, path, withBody] : { std::tuple { QByteArray("GET"), QStringLiteral("/product/"), false },
                 std::tuple { QByteArray("PUT"), QStringLiteral("/product/"), true },
                 std::tuple { QByteArray("DELETE"), QStringLiteral("/product/"), false },
                 std::tuple { QByteArray("POST"), QStringLiteral("/product/invalidate/"), false } }) {
            const HttpReply r = send(verb, path + id, withBody ? body : QByteArray());
            QVERIFY2(r.status == 400, qPrintable(QStringLiteral("%1 %2%3 -> %4 %5")
                                                     .arg(QString::fromLatin1(verb), path, id)
                                                     .arg(r.status)
                                                     .arg(QString::fromUtf8(r.raw))));
            CHECK_JSON(r);
        }
    }

    void badBodies_data()
    {
        QTest::addColumn<QByteArray>("verb");
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("malformed") << QByteArray("POST") << QByteArray("{\"name\": ");
        QTest::newRow("not an object") << QByteArray("POST") << QByteArray("[1,2]");
        QTest::newRow("empty") << QByteArray("POST") << QByteArray("");
        QTest::newRow("name number") << QByteArray("POST") << QByteArray("{\"name\": 5, \"price\": 1}");
        QTest::newRow("price string") << QByteArray("POST") << QByteArray("{\"name\": \"a\", \"price\": \"1\"}");
        QTest::newRow("price fraction") << QByteArray("POST") << QByteArray("{\"name\": \"a\", \"price\": 1.5}");
        QTest::newRow("price missing") << QByteArray("POST") << QByteArray("{\"name\": \"a\"}");
        QTest::newRow("id string") << QByteArray("POST") << QByteArray("{\"id\": \"abc\", \"name\": \"a\", \"price\": 1}");
        QTest::newRow("id zero") << QByteArray("POST") << QByteArray("{\"id\": 0, \"name\": \"a\", \"price\": 1}");
        QTest::newRow("id negative") << QByteArray("POST") << QByteArray("{\"id\": -1, \"name\": \"a\", \"price\": 1}");
        QTest::newRow("id huge") << QByteArray("POST")
                                 << QByteArray("{\"id\": 9223372036854775808, \"name\": \"a\", \"price\": 1}");
        QTest::newRow("put malformed") << QByteArray("PUT") << QByteArray("not json");
        QTest::newRow("put price bool") << QByteArray("PUT") << QByteArray("{\"name\": \"a\", \"price\": true}");
    }

    void badBodies()
    {
        QFETCH(QByteArray, verb);
        QFETCH(QByteArray, body);
        const qint64 id = createProduct(QStringLiteral("Existing"), 10);
        QVERIFY(id > 0);
        const QString path = verb == "PUT" ? QStringLiteral("/product/%1").arg(id) : QStringLiteral("/product");
        const HttpReply r = send(verb, path, body);
        QVERIFY2(r.status == 400, r.raw.constData());
        CHECK_JSON(r);
        QVERIFY(!r.obj().value(QStringLiteral("error")).toString().isEmpty());
    }

    void validationFailures_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("field");
        QTest::newRow("empty name") << QByteArray("{\"name\": \"   \", \"price\": 1}") << QStringLiteral("name");
        QTest::newRow("negative price") << QByteArray("{\"name\": \"a\", \"price\": -5}") << QStringLiteral("price");
        QTest::newRow("long name") << (QByteArray("{\"name\": \"") + QByteArray(101, 'x') + QByteArray("\", \"price\": 1}"))
                                   << QStringLiteral("name");
    }

    void validationFailures()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, field);
        HttpReply r = send("POST", QStringLiteral("/product"), body);
        QVERIFY2(r.status == 422, r.raw.constData());
        CHECK_JSON(r);
        const QJsonArray errors = r.obj().value(QStringLiteral("fieldErrors")).toArray();
        QVERIFY(!errors.isEmpty());
        QCOMPARE(errors.at(0).toObject().value(QStringLiteral("field")).toString(), field);

        const qint64 id = createProduct(QStringLiteral("Valid"), 1);
        r = send("PUT", QStringLiteral("/product/%1").arg(id), body);
        QVERIFY2(r.status == 422, r.raw.constData());
        QCOMPARE(r.obj().value(QStringLiteral("fieldErrors")).toArray().at(0).toObject().value(QStringLiteral("field")).toString(),
            field);
    }

    void bodyTooLarge()
    {
        QByteArray big = "{\"name\": \"";
        big += QByteArray(HttpApi::MaxBodyBytes + 10, 'x');
        big += "\", \"price\": 1}";
        HttpReply r = send("POST", QStringLiteral("/product"), big);
        QCOMPARE(r.status, 413);
        CHECK_JSON(r);
        const qint64 id = createProduct(QStringLiteral("Small"), 1);
        r = send("PUT", QStringLiteral("/product/%1").arg(id), big);
        QCOMPARE(r.status, 413);
        r = send("PUT", QStringLiteral("/strategy"), big);
        QCOMPARE(r.status, 413);
    }

    void strategyRoutes()
    {
        HttpReply r = send("GET", QStringLiteral("/strategy"));
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("strategy")).toString(), strategyName(m_env->service->strategy()));
        QCOMPARE(r.obj().value(QStringLiteral("strategies")).toArray().size(), strategyNames().size());

        QSignalSpy changed(m_env->service.get(), &ProductService::strategyChanged);
        r = send("PUT", QStringLiteral("/strategy"), QByteArray("{\"strategy\": \"write-behind\"}"));
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("strategy")).toString(), QStringLiteral("write-behind"));
        QCOMPARE(m_env->service->strategy(), StrategyKind::WriteBehind);
        QCOMPARE(changed.size(), 1);

        // A write under write-behind works through the API too.
        QVERIFY(createProduct(QStringLiteral("Queued"), 5) > 0);

        r = send("PUT", QStringLiteral("/strategy"), QByteArray("{\"strategy\": \"write-around\"}"));
        QCOMPARE(r.status, 422);
        CHECK_JSON(r);
        QCOMPARE(r.obj().value(QStringLiteral("fieldErrors")).toArray().at(0).toObject().value(QStringLiteral("field")).toString(),
            QStringLiteral("strategy"));
        QCOMPARE(send("PUT", QStringLiteral("/strategy"), QByteArray("{\"strategy\": 3}")).status, 400);
        QCOMPARE(send("PUT", QStringLiteral("/strategy"), QByteArray("{oops")).status, 400);
        QCOMPARE(m_env->service->strategy(), StrategyKind::WriteBehind);

        r = send("PUT", QStringLiteral("/strategy"), QByteArray("{\"strategy\": \"none\"}"));
        QCOMPARE(r.status, 200);
        const qint64 id = createProduct(QStringLiteral("Direct"), 5);
        QVERIFY(id > 0);
        r = send("POST", QStringLiteral("/product"),
            productBody({ { QStringLiteral("id"), 9001 }, { QStringLiteral("name"), QStringLiteral("Upserted") },
                { QStringLiteral("price"), 7 } }));
        QCOMPARE(r.status, 201);
    }

    void metricsRoute()
    {
        const qint64 id = createProduct(QStringLiteral("Measured"), 1);
        QCOMPARE(send("GET", QStringLiteral("/product/%1").arg(id)).status, 200);
        QCOMPARE(send("GET", QStringLiteral("/product/%1").arg(id)).status, 200);
        const HttpReply r = send("GET", QStringLiteral("/metrics"));
        QCOMPARE(r.status, 200);
        CHECK_JSON(r);
        const QJsonObject expected = m_env->service->metrics().toJson();
        QVERIFY(!expected.isEmpty());
        for (auto it = expected.constBegin(); it != expected.constEnd(); ++it)
            QVERIFY2(r.obj().contains(it.key()), qPrintable(it.key()));
        QCOMPARE(r.obj().value(QStringLiteral("cacheAvailable")).toBool(), true);
    }

    void writeBehindWithoutRedisIs503()
    {
        TestRedisServer own;
        QString error;
        QVERIFY2(own.start(&error), qPrintable(error));
        auto env = makeEnv(own, &error);
        QVERIFY2(env, qPrintable(error));
        HttpApi api(env->service.get());
        QVERIFY2(api.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        QCOMPARE(send("PUT", QStringLiteral("/strategy"), QByteArray("{\"strategy\": \"write-behind\"}"), &api).status,
            200);
        QSignalSpy availability(env->service.get(), &ProductService::cacheAvailabilityChanged);
        own.kill();
        if (env->service->isCacheAvailable())
            QVERIFY(availability.wait(WaitMs));
        QVERIFY(!env->service->isCacheAvailable());
        const HttpReply r = send("POST", QStringLiteral("/product"),
            productBody({ { QStringLiteral("name"), QStringLiteral("Lost") }, { QStringLiteral("price"), 1 } }), &api);
        QVERIFY2(r.status == 503, r.raw.constData());
        CHECK_JSON(r);
        QVERIFY(!r.obj().value(QStringLiteral("error")).toString().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestHttpApi)
#include "tst_httpapi.moc"
