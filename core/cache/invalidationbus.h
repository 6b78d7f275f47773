// InvalidationBus: carries invalidations between running CacheLab instances.
//
// Publishes {origin, prefix, ids, versions, all} as JSON on a pub/sub
// channel and listens on its own RedisSubscriber connection. Messages from
// this instance (same origin id) are ignored, and so are messages about the
// same key prefix on this Redis: those keys were already handled by the
// sender. What remains is another instance caching the same products under
// its own prefix, which must drop its copies.
#pragma once

#include "redisurl.h"

#include <QByteArray>
#include <QList>
#include <QObject>

class RedisClient;
class RedisSubscriber;

class InvalidationBus final : public QObject
{
    Q_OBJECT

public:
    InvalidationBus(RedisClient *client, const QString &instanceId, QObject *parent = nullptr);
    ~InvalidationBus() override;

    void configure(const QByteArray &channel, const QByteArray &prefix, bool enabled);
    bool isEnabled() const { return m_enabled; }

    void publish(const QList<qint64> &ids, const QList<qint64> &versions, bool all);

    static QByteArray encode(const QString &origin, const QByteArray &prefix, const QList<qint64> &ids,
        const QList<qint64> &versions, bool all);

signals:
    void remoteInvalidation(const QString &origin, const QList<qint64> &ids, const QList<qint64> &versions, bool all);
    void subscribed();

private:
    void onMessage(const QByteArray &channel, const QByteArray &payload);

    RedisClient *m_client;
    RedisSubscriber *m_subscriber = nullptr;
    QString m_instanceId;
    QByteArray m_channel;
    QByteArray m_prefix;
    bool m_enabled = false;
};
