// Backend: start-up order and ownership of the core objects.
#include "backend.h"

#include "embeddedredis.h"
#include "productrepository.h"
#include "redisclient.h"

#include <QDir>
#include <QFileInfo>

Backend::Backend(Config config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
}

Backend::~Backend()
{
    // The client goes first so it does not try to reconnect to a server
    // that is being stopped.
    delete m_redis;
    m_redis = nullptr;
    delete m_embedded;
    m_embedded = nullptr;
}

QString Backend::databasePath() const
{
    if (!m_config.dbPath.isEmpty())
        return m_config.dbPath;
    return QDir(m_config.dataDir).filePath(QStringLiteral("products.sqlite"));
}

QString Backend::redisDescription() const
{
    if (isEmbedded())
        return tr("embedded redis-server %1").arg(m_url.endpoint());
    return m_url.redacted();
}

void Backend::start()
{
    if (!isEmbedded()) {
        QString error;
        const auto url = RedisUrl::parse(m_config.redisUrl, &error);
        if (!url) {
            m_failed = true;
            emit failed(tr("--redis: %1").arg(error));
            return;
        }
        m_url = *url;
        connectRedis(m_url);
    } else {
        if (EmbeddedRedis::findServerBinary().isEmpty()) {
            m_failed = true;
            emit failed(EmbeddedRedis::installHint());
            return;
        }
        m_embedded = new EmbeddedRedis(QDir(m_config.dataDir).filePath(QStringLiteral("redis")), this);
        connect(m_embedded, &EmbeddedRedis::ready, this, [this] {
            m_url = m_embedded->url();
            connectRedis(m_url);
        });
        connect(m_embedded, &EmbeddedRedis::failed, this, [this](const QString &message) {
            m_failed = true;
            emit failed(message);
        });
        m_embedded->start();
    }
    openDatabase();
}

void Backend::connectRedis(const RedisUrl &url)
{
    m_redis = new RedisClient(url, this);
    connect(m_redis, &RedisClient::connected, this, &Backend::redisReady);
    m_redis->connectToServer();
}

void Backend::openDatabase()
{
    const QString path = databasePath();
    if (path != QLatin1String(":memory:"))
        QDir().mkpath(QFileInfo(path).absolutePath());
    m_repository = new ProductRepository(path, this);
    m_repository->open(this, [this](const StoreResult &opened) {
        if (!opened.ok()) {
            m_failed = true;
            emit failed(tr("Cannot open the database %1: %2").arg(databasePath(), opened.error));
            return;
        }
        if (!m_config.seedDemoData) {
            if (!m_failed)
                emit ready();
            return;
        }
        m_repository->seedDemoData(this, [this](const StoreResult &seeded) {
            if (!seeded.ok())
                qWarning("cachelab: could not add the demo products: %s", qPrintable(seeded.error));
            if (!m_failed)
                emit ready();
        });
    });
}
