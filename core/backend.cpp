// Backend: start-up order and ownership of the core objects.
#include "backend.h"

#include "changestream.h"
#include "demokeys.h"
#include "embeddedredis.h"
#include "existencefilter.h"
#include "infopoller.h"
#include "keyactions.h"
#include "keyscanner.h"
#include "keyspacewatcher.h"
#include "notificationsetup.h"
#include "productrepository.h"
#include "productsdocument.h"
#include "productsearch.h"
#include "productservice.h"
#include "producttags.h"
#include "recentproductsdocument.h"
#include "redisclient.h"

#include <QDir>
#include <QFileInfo>
#include <QTimer>

Backend::Backend(Config config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{ }

void Backend::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    if (!m_service || !m_service->isCacheAvailable() || m_service->queueDepth() <= 0) {
        stopServer();
        return;
    }
    // Whatever cannot be flushed in time stays queued in Redis (and its AOF):
    // the next start's worker takes it. Nothing blocks meanwhile.
    auto once = std::make_shared<bool>(false);
    auto proceed = [this, once] {
        if (std::exchange(*once, true))
            return;
        stopServer();
    };
    m_service->drainWriteBehind(this, [proceed](const ServiceResult &) { proceed(); });
    QTimer::singleShot(ShutdownFlushMs, this, proceed);
}

void Backend::stopServer()
{
    if (!m_embedded) {
        // An outside server gets its own notify-keyspace-events back if the
        // user asked for that (at most a second; then it stays as it is).
        if (!m_notifications) {
            QTimer::singleShot(0, this, &Backend::shutDown);
            return;
        }
        auto once = std::make_shared<bool>(false);
        auto finish = [this, once] {
            if (!std::exchange(*once, true))
                emit shutDown();
        };
        m_notifications->restore(this, finish);
        QTimer::singleShot(1000, this, finish);
        return;
    }
    // The client stops reconnecting so it does not chase the exiting server.
    if (m_redis)
        m_redis->disconnectFromServer();
    connect(m_embedded, &EmbeddedRedis::stopped, this, &Backend::shutDown, Qt::UniqueConnection);
    m_embedded->stop();
}

Backend::~Backend()
{
    // Documents and observers first, then the service (it may still touch
    // Redis and the repository), then the client so it does not try to
    // reconnect to a server that is being stopped, then the store and the
    // server. The key actions use the scanner's connection: they go first.
    delete m_demoKeys;
    m_demoKeys = nullptr;
    delete m_recentProducts;
    m_recentProducts = nullptr;
    delete m_productsDocument;
    m_productsDocument = nullptr;
    delete m_keyActions;
    m_keyActions = nullptr;
    delete m_keyScanner;
    m_keyScanner = nullptr;
    delete m_watcher;
    m_watcher = nullptr;
    delete m_info;
    m_info = nullptr;
    delete m_notifications;
    m_notifications = nullptr;
    delete m_existence;
    m_existence = nullptr;
    delete m_changeStream;
    m_changeStream = nullptr;
    delete m_tags;
    m_tags = nullptr;
    delete m_search;
    m_search = nullptr;
    delete m_service;
    m_service = nullptr;
    delete m_redis;
    m_redis = nullptr;
    delete m_repository;
    m_repository = nullptr;
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
    openDatabase();
    if (m_config.redis) {
        m_url = *m_config.redis;
        connectRedis(m_url);
    } else if (!m_config.redisUrl.isEmpty()) {
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
}

void Backend::connectRedis(const RedisUrl &url)
{
    m_redis = new RedisClient(url, this);
    m_service = new ProductService(m_redis, m_repository, this);
    if (!m_config.strategy.isEmpty() && !m_service->setStrategyByName(m_config.strategy))
        emit warning(
            tr("Unknown strategy '%1'; using %2.").arg(m_config.strategy, strategyName(m_service->strategy())));
    if (m_config.ttlSeconds > 0) {
        CacheSettings settings = m_service->settings();
        settings.ttlSeconds = m_config.ttlSeconds;
        m_service->setSettings(settings);
    }
    if (m_config.enableChangeStream) {
        // The group name outlives the process, so a restarted window resumes
        // its group and gets the changes it missed.
        m_changeStream = new ChangeStream(
            m_service, ChangeStream::groupNameFor(databasePath(), m_service->settings().keyPrefix), this);
    }
    m_tags = new ProductTags(m_service, this);
    m_search = new ProductSearch(m_service, this);

    m_watcher = new KeyspaceWatcher(url, this);
    m_watcher->setMode(KeyspaceWatcher::Mode::Keyspace);
    m_watcher->setKeyPattern(m_service->settings().keyPrefix.toUtf8() + '*');
    m_watcher->setBatchInterval(100);

    m_info = new InfoPoller(m_redis, this);
    m_info->setInterval(m_config.infoIntervalMs);

    if (m_config.enableNotifications) {
        const bool ask = m_config.askBeforeNotifications && !isEmbedded();
        m_notifications = new NotificationSetup(
            m_redis, ask ? NotificationSetup::Policy::Ask : NotificationSetup::Policy::SetQuietly, this);
        // Asked questions and changes are the window's to show; failures of
        // a quiet setup go to the status bar here.
        if (!ask)
            connect(m_notifications, &NotificationSetup::failed, this, &Backend::warning);
    }
    connect(m_redis, &RedisClient::connected, this, &Backend::redisReady);
    m_redis->connectToServer();
    m_watcher->start();
    m_info->start();
    maybeReady();
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
            m_dbOpen = true;
            maybeReady();
            return;
        }
        m_repository->seedDemoData(this, [this](const StoreResult &seeded) {
            if (!seeded.ok())
                qWarning("cachelab: could not add the demo products: %s", qPrintable(seeded.error));
            m_dbOpen = true;
            maybeReady();
        });
    });
}

void Backend::maybeReady()
{
    if (m_failed || m_ready || !m_dbOpen || !m_service)
        return;
    m_ready = true;
    // Built from SQLite's ids, so only once the database is open and the
    // demo products are in: a filter built earlier would call them absent.
    m_existence = new ExistenceFilter(m_service, this);
    m_existence->install();
    emit ready();
}

ProductsDocument *Backend::productsDocument()
{
    if (!m_productsDocument && m_ready)
        m_productsDocument = new ProductsDocument(m_service, m_repository, m_watcher, databasePath(), this);
    return m_productsDocument;
}

RecentProductsDocument *Backend::recentProducts()
{
    if (!m_recentProducts && m_ready)
        m_recentProducts = new RecentProductsDocument(m_service, m_watcher, this);
    return m_recentProducts;
}

KeyScanner *Backend::keyScanner()
{
    if (!m_keyScanner && m_ready) {
        m_keyScanner = new KeyScanner(m_url, this);
        m_keyScanner->connectToServer();
    }
    return m_keyScanner;
}

KeyActions *Backend::keyActions()
{
    if (!m_keyActions && keyScanner())
        m_keyActions = new KeyActions(m_keyScanner->client(), m_service, this);
    return m_keyActions;
}

DemoKeys *Backend::demoKeys()
{
    if (!m_demoKeys && m_ready)
        m_demoKeys = new DemoKeys(m_redis, this);
    return m_demoKeys;
}
