// InfoPoller: the server's own cache figures, polled once a second.
//
// Sends INFO (stats, memory, keyspace sections) on the app's RedisClient on a
// timer and publishes the parsed figures. The poll never blocks: a poll
// whose previous reply has not arrived yet is skipped.
#pragma once

#include <QDateTime>
#include <QHash>
#include <QMetaType>
#include <QObject>
#include <QTimer>

class RedisClient;

/// Parsed INFO figures. Raw holds every "name:value" line for extras.
struct RedisServerInfo final
{
    QDateTime sampledAt; ///< UTC
    qint64 keyspaceHits = 0;
    qint64 keyspaceMisses = 0;
    qint64 expiredKeys = 0;
    qint64 evictedKeys = 0;
    qint64 usedMemory = 0; ///< bytes
    qint64 maxmemory = 0; ///< bytes, 0 = unlimited
    QString maxmemoryPolicy;
    qint64 connectedClients = 0;
    qint64 totalCommandsProcessed = 0;
    qint64 instantaneousOpsPerSec = 0;
    qint64 keys = 0; ///< keys in the client's db (from the keyspace section)
    qint64 uptimeSeconds = 0;
    QString redisVersion;
    QHash<QString, QString> raw;

    /// hits / (hits + misses), 0 when both are 0.
    double hitRatio() const;
    /// Parses the text of an INFO reply; db selects the "dbN:keys=..." line.
    static RedisServerInfo parse(const QByteArray &infoText, int db = 0);
};

class InfoPoller final : public QObject
{
    Q_OBJECT

public:
    explicit InfoPoller(RedisClient *client, QObject *parent = nullptr);

    /// Default 1000 ms.
    void setInterval(int ms);
    int interval() const { return m_timer.interval(); }
    void start(); ///< polls at once, then every interval
    void stop();
    bool isRunning() const { return m_timer.isActive(); }
    /// One poll now (skipped when one is still in flight).
    void pollNow();

    RedisServerInfo last() const { return m_last; }

signals:
    void updated(const RedisServerInfo &info);
    void errorOccurred(const QString &message);

private:
    RedisClient *m_client = nullptr;
    QTimer m_timer;
    bool m_inFlight = false;
    RedisServerInfo m_last;
};

Q_DECLARE_METATYPE(RedisServerInfo)
