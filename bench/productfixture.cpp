// ProductFixture: repository + client + service for the bench (see productfixture.h).
#include "productfixture.h"

#include "benchloop.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"

#include <QElapsedTimer>

ProductFixture::ProductFixture() = default;

ProductFixture::~ProductFixture()
{
    shutdown();
}

bool ProductFixture::openDatabase(const QString &dbPath, qint64 rows, QString *error)
{
    m_dbPath = dbPath;
    m_repository = std::make_unique<ProductRepository>(dbPath);
    // The change feed is part of the app; keep its default poll.
    bool done = false;
    StoreResult opened;
    m_repository->open(nullptr, [&](const StoreResult &r) {
        opened = r;
        done = true;
    });
    if (!BenchLoop::waitUntil([&] { return done; }, 30000) || !opened.ok()) {
        *error = QStringLiteral("cannot open %1: %2").arg(dbPath, done ? opened.error : QStringLiteral("timeout"));
        return false;
    }
    done = false;
    StoreResult listed;
    m_repository->list(nullptr, [&](const StoreResult &r) {
        listed = r;
        done = true;
    });
    if (!BenchLoop::waitUntil([&] { return done; }, 30000) || !listed.ok()) {
        *error = QStringLiteral("cannot list products: %1").arg(listed.error);
        return false;
    }
    if (!listed.products.isEmpty() || rows <= 0)
        return true;

    // Seed in transactions of 5,000 rows through the repository's own
    // versioned upsert (the write-behind flush path), so the schema and
    // triggers are exactly the app's.
    for (qint64 first = 1; first <= rows; first += 5000) {
        QList<Product> batch;
        for (qint64 id = first; id < std::min(rows + 1, first + 5000); ++id) {
            Product p;
            p.id = id;
            p.name = QStringLiteral("product %1").arg(id);
            p.price = id * 100;
            p.version = 1;
            batch << p;
        }
        done = false;
        StoreResult seeded;
        m_repository->applyVersioned(batch, {}, nullptr, [&](const StoreResult &r) {
            seeded = r;
            done = true;
        });
        if (!BenchLoop::waitUntil([&] { return done; }, 60000) || !seeded.ok()) {
            *error = QStringLiteral("cannot seed products: %1").arg(done ? seeded.error : QStringLiteral("timeout"));
            return false;
        }
    }
    return true;
}

bool ProductFixture::startService(const RedisUrl &url, StrategyKind strategy, QString *error)
{
    m_redis = std::make_unique<RedisClient>(url);
    m_redis->setCommandTimeout(30000); // big pipelines on a busy 2-core box
    m_service = std::make_unique<ProductService>(m_redis.get(), m_repository.get());
    m_service->setStrategy(strategy);
    if (!m_override.isEmpty())
        applySettings({});
    m_redis->connectToServer();
    if (!BenchLoop::waitUntil([&] { return m_service->isCacheAvailable(); }, 15000)) {
        *error = QStringLiteral("the service did not see Redis as available (client: %1)").arg(m_redis->lastError());
        return false;
    }
    return true;
}

void ProductFixture::applySettings(const std::function<void(CacheSettings &)> &edit)
{
    CacheSettings s = m_service->settings();
    if (edit)
        edit(s);
    m_service->setSettings(CacheSettings::fromJson(m_override, s));
}

void ProductFixture::shutdown()
{
    m_service.reset();
    if (m_redis)
        m_redis->disconnectFromServer();
    m_redis.reset();
    m_repository.reset();
}

bool ProductFixture::getOnce(qint64 id, bool *fromCache, QString *error)
{
    bool done = false;
    ServiceResult result;
    m_service->get(id, nullptr, [&](const ServiceResult &r) {
        result = r;
        done = true;
    });
    if (!BenchLoop::waitUntil([&] { return done; }, 15000)) {
        *error = QStringLiteral("get(%1) timed out").arg(id);
        return false;
    }
    if (!result.ok()) {
        *error = QStringLiteral("get(%1): %2 %3").arg(id).arg(serviceStatusName(result.status), result.error);
        return false;
    }
    if (fromCache)
        *fromCache = result.fromCache;
    return true;
}

bool ProductFixture::drainWriteBehind(int timeoutMs, QString *error)
{
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs) {
        bool done = false;
        ServiceResult flushed;
        m_service->flushWriteBehind(nullptr, [&](const ServiceResult &r) {
            flushed = r;
            done = true;
        });
        if (!BenchLoop::waitUntil([&] { return done; }, timeoutMs)) {
            *error = QStringLiteral("flushWriteBehind timed out");
            return false;
        }
        if (!flushed.ok()) {
            *error = QStringLiteral("flushWriteBehind: %1").arg(flushed.error);
            return false;
        }
        if (m_service->queueDepth() == 0 && flushed.count == 0)
            return true;
    }
    *error = QStringLiteral("write-behind queue did not drain in %1 ms").arg(timeoutMs);
    return false;
}
