// InfoPoller: INFO once a second, parsed into RedisServerInfo.
#include "infopoller.h"

#include "redisclient.h"

double RedisServerInfo::hitRatio() const
{
    const qint64 total = keyspaceHits + keyspaceMisses;
    return total == 0 ? 0.0 : double(keyspaceHits) / double(total);
}

RedisServerInfo RedisServerInfo::parse(const QByteArray &infoText, int db)
{
    RedisServerInfo info;
    info.sampledAt = QDateTime::currentDateTimeUtc();
    const QByteArray dbName = "db" + QByteArray::number(db);
    for (QByteArray line : infoText.split('\n')) {
        line = line.trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon);
        const QByteArray value = line.mid(colon + 1);
        info.raw.insert(QString::fromLatin1(name), QString::fromLatin1(value));
        if (name == "keyspace_hits")
            info.keyspaceHits = value.toLongLong();
        else if (name == "keyspace_misses")
            info.keyspaceMisses = value.toLongLong();
        else if (name == "expired_keys")
            info.expiredKeys = value.toLongLong();
        else if (name == "evicted_keys")
            info.evictedKeys = value.toLongLong();
        else if (name == "used_memory")
            info.usedMemory = value.toLongLong();
        else if (name == "maxmemory")
            info.maxmemory = value.toLongLong();
        else if (name == "maxmemory_policy")
            info.maxmemoryPolicy = QString::fromLatin1(value);
        else if (name == "connected_clients")
            info.connectedClients = value.toLongLong();
        else if (name == "total_commands_processed")
            info.totalCommandsProcessed = value.toLongLong();
        else if (name == "instantaneous_ops_per_sec")
            info.instantaneousOpsPerSec = value.toLongLong();
        else if (name == "uptime_in_seconds")
            info.uptimeSeconds = value.toLongLong();
        else if (name == "redis_version")
            info.redisVersion = QString::fromLatin1(value);
        else if (name == dbName) {
            // "keys=3,expires=2,avg_ttl=..."
            for (const QByteArray &part : value.split(',')) {
                if (part.startsWith("keys="))
                    info.keys = part.mid(5).toLongLong();
            }
        }
    }
    return info;
}

InfoPoller::InfoPoller(RedisClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{
    qRegisterMetaType<RedisServerInfo>();
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &InfoPoller::pollNow);
}

void InfoPoller::setInterval(int ms)
{
    m_timer.setInterval(std::max(50, ms));
}

void InfoPoller::start()
{
    m_timer.start();
    pollNow();
}

void InfoPoller::stop()
{
    m_timer.stop();
}

void InfoPoller::pollNow()
{
    // A slow server must not pile up INFO requests.
    if (m_inFlight || !m_client->isConnected())
        return;
    m_inFlight = true;
    // "INFO everything" would include commandstats; these sections are what the dashboard shows.
    m_client->command({ QByteArrayLiteral("INFO"), QByteArrayLiteral("server"), QByteArrayLiteral("clients"),
                          QByteArrayLiteral("memory"), QByteArrayLiteral("stats"), QByteArrayLiteral("keyspace") },
        this, [this](const RedisReply &r) {
            m_inFlight = false;
            if (r.isError()) {
                emit errorOccurred(r.errorMessage());
                return;
            }
            m_last = RedisServerInfo::parse(r.bytes(), m_client->url().db);
            emit updated(m_last);
        });
}
