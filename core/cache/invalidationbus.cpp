// InvalidationBus: PUBLISH out, SUBSCRIBE in, own messages ignored.
#include "invalidationbus.h"

#include "redisclient.h"
#include "redissubscriber.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

InvalidationBus::InvalidationBus(RedisClient *client, const QString &instanceId, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_instanceId(instanceId)
{ }

InvalidationBus::~InvalidationBus() = default;

void InvalidationBus::configure(const QByteArray &channel, const QByteArray &prefix, bool enabled)
{
    m_prefix = prefix;
    if (channel == m_channel && enabled == m_enabled)
        return;
    if (m_subscriber && !m_channel.isEmpty())
        m_subscriber->unsubscribe(m_channel);
    m_channel = channel;
    m_enabled = enabled;
    if (!enabled)
        return;
    if (!m_subscriber) {
        RedisUrl url = m_client->url();
        url.clientName = QStringLiteral("cachelab-invalidation");
        m_subscriber = new RedisSubscriber(url, this);
        connect(m_subscriber, &RedisSubscriber::message, this, &InvalidationBus::onMessage);
        connect(m_subscriber, &RedisSubscriber::subscribed, this, &InvalidationBus::subscribed);
        m_subscriber->connectToServer();
    }
    m_subscriber->subscribe(m_channel);
}

QByteArray InvalidationBus::encode(
    const QString &origin, const QByteArray &prefix, const QList<qint64> &ids, const QList<qint64> &versions, bool all)
{
    QJsonArray jIds;
    for (qint64 id : ids)
        jIds.append(id);
    QJsonArray jVersions;
    for (qint64 v : versions)
        jVersions.append(v);
    const QJsonObject o { { QStringLiteral("origin"), origin }, { QStringLiteral("prefix"), QString::fromUtf8(prefix) },
        { QStringLiteral("ids"), jIds }, { QStringLiteral("versions"), jVersions }, { QStringLiteral("all"), all } };
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

void InvalidationBus::publish(const QList<qint64> &ids, const QList<qint64> &versions, bool all)
{
    if (!m_enabled || !m_client->isConnected())
        return;
    m_client->command({ QByteArrayLiteral("PUBLISH"), m_channel, encode(m_instanceId, m_prefix, ids, versions, all) },
        this, [](const RedisReply &) {});
}

void InvalidationBus::onMessage(const QByteArray &channel, const QByteArray &payload)
{
    if (channel != m_channel)
        return;
    const QJsonObject o = QJsonDocument::fromJson(payload).object();
    const QString origin = o.value(QStringLiteral("origin")).toString();
    if (origin.isEmpty() || origin == m_instanceId)
        return; // our own message
    if (o.value(QStringLiteral("prefix")).toString().toUtf8() == m_prefix)
        return; // same keys on the same Redis: the sender already dropped them
    QList<qint64> ids;
    QList<qint64> versions;
    for (const auto &v : o.value(QStringLiteral("ids")).toArray())
        ids << qint64(v.toDouble());
    for (const auto &v : o.value(QStringLiteral("versions")).toArray())
        versions << qint64(v.toDouble());
    emit remoteInvalidation(origin, ids, versions, o.value(QStringLiteral("all")).toBool());
}
