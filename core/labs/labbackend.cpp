// LabBackend: Backends on the lab's server, started in turn.
#include "labbackend.h"

#include "backend.h"
#include "redisclient.h"

LabBackend::LabBackend(QObject *parent)
    : QObject(parent)
{ }

LabBackend::~LabBackend() = default;

ProductService *LabBackend::service(int instance) const
{
    return instance >= 0 && instance < instances() ? m_backends[std::size_t(instance)]->service() : nullptr;
}

Backend *LabBackend::backend(int instance) const
{
    return instance >= 0 && instance < instances() ? m_backends[std::size_t(instance)].get() : nullptr;
}

void LabBackend::start(const RedisUrl &server, int instances, std::function<void(const QString &)> done)
{
    if (!m_dir.isValid()) {
        done(tr("no temporary directory for the lab's database: %1").arg(m_dir.errorString()));
        return;
    }
    m_url = server;
    startNext(instances, std::move(done));
}

void LabBackend::startNext(int left, std::function<void(const QString &)> done)
{
    if (left <= 0) {
        done({});
        return;
    }
    Backend::Config config;
    config.redis = m_url;
    config.redis->clientName = QStringLiteral("cachelab-lab-%1").arg(m_backends.size() + 1);
    config.dbPath = m_dir.filePath(QStringLiteral("lab.sqlite"));
    config.dataDir = m_dir.path();
    config.enableNotifications = false; // nothing here watches keyspace events
    config.enableChangeStream = false;
    config.infoIntervalMs = 10000;
    auto backend = std::make_unique<Backend>(config);
    Backend *b = backend.get();
    m_backends.push_back(std::move(backend));
    connect(b, &Backend::failed, this, [done](const QString &message) { done(message); });
    // Ready means the database is open; the lab also needs Redis connected.
    auto next = std::make_shared<bool>(false);
    const auto maybeNext = [this, b, left, done, next] {
        if (*next || !b->isReady() || !b->redis() || !b->redis()->isConnected())
            return;
        *next = true;
        startNext(left - 1, done);
    };
    connect(b, &Backend::ready, this, maybeNext);
    connect(b, &Backend::redisReady, this, maybeNext);
    b->start();
}
