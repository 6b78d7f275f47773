// CacheFixture: a store, a Redis connection and a ProductService for a test.
//
// Shared by the cache, catalog, API and dashboard tests (and the reliability
// tests borrow its Env).
//
// One redis-server per test binary (keyspace events on); per test a fresh
// SQLite file in a temporary folder, a connected RedisClient and a
// ProductService on them. Waiting goes through TestSupport::await (a
// condition with a bound), never a fixed sleep.
#pragma once

#include "awaitcallback.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "testredisserver.h"

#include <memory>
#include <optional>
#include <QHash>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <utility>

namespace CacheTest {

inline const int WaitMs = TestSupport::DefaultWaitMs;

inline QByteArray describe(const std::optional<ServiceResult> &r)
{
    if (!r)
        return "no callback within the timeout";
    return (serviceStatusName(r->status) + QStringLiteral(": ") + r->error + QStringLiteral("\n") + r->trace.toText())
        .toUtf8();
}

template<typename Call> std::optional<ServiceResult> await(Call &&call)
{
    return TestSupport::await<ServiceResult>(std::forward<Call>(call), WaitMs);
}

template<typename Call> std::optional<StoreResult> awaitStore(Call &&call)
{
    return TestSupport::await<StoreResult>(std::forward<Call>(call), WaitMs);
}

/// Flat HGETALL reply as a field -> value map.
inline QHash<QByteArray, QByteArray> hash(const TestRedisServer &s, const QByteArray &key)
{
    const QList<QByteArray> flat = s.syncList({ "HGETALL", key });
    QHash<QByteArray, QByteArray> out;
    for (qsizetype i = 0; i + 1 < flat.size(); i += 2)
        out.insert(flat.at(i), flat.at(i + 1));
    return out;
}

struct Env
{
    QTemporaryDir dir;
    std::unique_ptr<ProductRepository> repo;
    std::unique_ptr<RedisClient> client;
    std::unique_ptr<ProductService> service;

    ~Env()
    {
        // The service first: it holds callbacks into both.
        service.reset();
        client.reset();
        repo.reset();
    }
};

/// Opens a fresh store and service. Returns nullptr (with a QTest failure
/// message in *error) when something could not start.
inline std::unique_ptr<Env> makeEnv(
    const TestRedisServer &server, QString *error, const QString &dbPath = {}, const CacheSettings &settings = {})
{
    auto env = std::make_unique<Env>();
    const QString path = dbPath.isEmpty() ? env->dir.filePath(QStringLiteral("products.db")) : dbPath;
    env->repo = std::make_unique<ProductRepository>(path);
    env->repo->setChangePollInterval(50);
    const auto opened = awaitStore([&](QObject *ctx, StoreCallback cb) { env->repo->open(ctx, cb); });
    if (!opened || !opened->ok()) {
        *error = QStringLiteral("open failed: %1").arg(opened ? opened->error : QStringLiteral("timeout"));
        return nullptr;
    }
    env->client = std::make_unique<RedisClient>(server.url());
    env->client->setReconnectPolicy(20, 200, 0.1);
    QSignalSpy up(env->client.get(), &RedisClient::connected);
    env->client->connectToServer();
    if (!env->client->isConnected() && !up.wait(WaitMs)) {
        *error = QStringLiteral("redis connect failed: %1").arg(env->client->lastError());
        return nullptr;
    }
    env->service = std::make_unique<ProductService>(env->client.get(), env->repo.get());
    env->service->setSettings(settings);
    return env;
}

/// For initTestCase(): the binary's one redis-server. Empty, or why it did not start.
inline QString startServer(std::unique_ptr<TestRedisServer> &server)
{
    server = std::make_unique<TestRedisServer>();
    QString error;
    return server->start(&error) ? QString() : error;
}

/// For init(): an emptied Redis and a fresh Env on it. Empty, or what failed.
inline QString freshEnv(TestRedisServer &server, std::unique_ptr<Env> &env)
{
    server.syncString({ "FLUSHALL" });
    QString error;
    env = makeEnv(server, &error);
    return env ? QString() : error;
}

/// Creates rows directly in SQLite (bypassing the cache).
inline QList<Product> seed(ProductRepository &repo, int count, const QString &stem = QStringLiteral("Item"))
{
    QList<Product> out;
    for (int i = 1; i <= count; ++i) {
        const auto r = awaitStore([&](QObject *ctx, StoreCallback cb) {
            repo.create(QStringLiteral("%1 %2").arg(stem).arg(i), 100 * i, ctx, cb);
        });
        if (r && r->ok() && r->product)
            out << *r->product;
    }
    return out;
}

inline std::optional<Product> dbRow(ProductRepository &repo, qint64 id)
{
    const auto r = awaitStore([&](QObject *ctx, StoreCallback cb) { repo.get(id, ctx, cb); });
    if (r && r->ok())
        return r->product;
    return std::nullopt;
}

} // namespace CacheTest

#define EXPECT_OK(result)                                                                                              \
    do {                                                                                                               \
        const auto checked_ = (result);                                                                                \
        QVERIFY2(                                                                                                      \
            checked_.has_value() && checked_->status == ServiceStatus::Ok, CacheTest::describe(checked_).constData()); \
    } while (false)

#define EXPECT_STATUS(result, expected)                                                                                \
    do {                                                                                                               \
        const auto checked_ = (result);                                                                                \
        QVERIFY2(checked_.has_value() && checked_->status == (expected), CacheTest::describe(checked_).constData());   \
    } while (false)
