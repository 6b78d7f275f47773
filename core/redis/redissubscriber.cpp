// RedisSubscriber: pub/sub on its own RedisConnection.
//
// After the handshake every reply is a push (RESP2 subscribe mode has no
// request/reply pairing for SUBSCRIBE), so the connection hands them all to
// onPush(). The wanted channels and patterns live here, not on the server,
// which is what lets a fresh connection subscribe to them again.
#include "redissubscriber.h"

#include "redisconnection.h"

#include <QTimer>

RedisSubscriber::RedisSubscriber(const RedisUrl &url, QObject *parent)
    : QObject(parent)
    , m_url(url)
    // A distinct name, so CLIENT LIST tells the subscriber from the client.
    , m_conn(std::make_unique<RedisConnection>(
          url, url.clientName.isEmpty() ? QString() : url.clientName + QStringLiteral("-sub"), this))
{
    RedisConnection *c = m_conn.get();
    c->setPushHandler([this](const RedisReply &reply) { onPush(reply); });
    connect(c, &RedisConnection::connected, this, &RedisSubscriber::onConnectionUp);
    connect(c, &RedisConnection::disconnected, this, [this](const QString &reason) {
        m_resubscribing = false;
        m_unconfirmedChannels.clear();
        m_unconfirmedPatterns.clear();
        emit disconnected(reason);
    });
    connect(c, &RedisConnection::errorOccurred, this, &RedisSubscriber::errorOccurred);

    m_healthTimer = new QTimer(this);
    m_healthTimer->setInterval(m_healthIntervalMs);
    connect(m_healthTimer, &QTimer::timeout, this, &RedisSubscriber::checkHealth);
}

RedisSubscriber::~RedisSubscriber() = default;

void RedisSubscriber::connectToServer()
{
    m_conn->open();
}

void RedisSubscriber::disconnectFromServer()
{
    m_conn->close();
}

bool RedisSubscriber::isConnected() const
{
    return m_conn->state() == RedisClient::State::Connected;
}

void RedisSubscriber::setReconnectPolicy(int minMs, int maxMs, double jitter)
{
    m_conn->setReconnectPolicy(minMs, maxMs, jitter);
}

void RedisSubscriber::setHealthCheckInterval(int ms)
{
    m_healthIntervalMs = qMax(0, ms);
    m_pingOutstanding = false;
    if (m_healthIntervalMs == 0) {
        m_healthTimer->stop();
        return;
    }
    m_healthTimer->setInterval(m_healthIntervalMs);
    if (isConnected())
        m_healthTimer->start();
}

void RedisSubscriber::checkHealth()
{
    if (!isConnected())
        return;
    if (m_pingOutstanding) {
        m_pingOutstanding = false;
        m_conn->abortConnection(QStringLiteral("subscriber: no reply to PING from %1 within %2 ms")
                                    .arg(m_url.endpoint())
                                    .arg(m_healthIntervalMs));
        return;
    }
    m_pingOutstanding = true;
    m_conn->sendUntracked({ { QByteArrayLiteral("PING") } });
}

void RedisSubscriber::subscribe(const QByteArray &channel)
{
    m_channels.insert(channel);
    // Sent even when already subscribed: the server confirms again, so a
    // caller waiting for subscribed() is not left hanging.
    if (isConnected())
        m_conn->sendUntracked({ { QByteArrayLiteral("SUBSCRIBE"), channel } });
}

void RedisSubscriber::unsubscribe(const QByteArray &channel)
{
    m_channels.remove(channel);
    m_unconfirmedChannels.remove(channel);
    if (isConnected())
        m_conn->sendUntracked({ { QByteArrayLiteral("UNSUBSCRIBE"), channel } });
}

void RedisSubscriber::psubscribe(const QByteArray &pattern)
{
    m_patterns.insert(pattern);
    if (isConnected())
        m_conn->sendUntracked({ { QByteArrayLiteral("PSUBSCRIBE"), pattern } });
}

void RedisSubscriber::punsubscribe(const QByteArray &pattern)
{
    m_patterns.remove(pattern);
    m_unconfirmedPatterns.remove(pattern);
    if (isConnected())
        m_conn->sendUntracked({ { QByteArrayLiteral("PUNSUBSCRIBE"), pattern } });
}

void RedisSubscriber::onConnectionUp()
{
    const bool reconnect = m_everConnected;
    m_everConnected = true;
    m_pingOutstanding = false;
    if (m_healthIntervalMs > 0)
        m_healthTimer->start();

    QList<RedisCommand> commands;
    if (!m_channels.isEmpty()) {
        RedisCommand cmd { QByteArrayLiteral("SUBSCRIBE") };
        for (const QByteArray &channel : std::as_const(m_channels))
            cmd.append(channel);
        commands.append(cmd);
    }
    if (!m_patterns.isEmpty()) {
        RedisCommand cmd { QByteArrayLiteral("PSUBSCRIBE") };
        for (const QByteArray &pattern : std::as_const(m_patterns))
            cmd.append(pattern);
        commands.append(cmd);
    }
    if (reconnect) {
        m_unconfirmedChannels = m_channels;
        m_unconfirmedPatterns = m_patterns;
        m_resubscribing = true;
    }
    if (!commands.isEmpty())
        m_conn->sendUntracked(commands);

    QPointer<RedisSubscriber> self(this);
    emit connected();
    if (self && reconnect && commands.isEmpty()) {
        m_resubscribing = false;
        emit resubscribed();
    }
}

void RedisSubscriber::confirm(bool pattern, const QByteArray &name)
{
    if (!m_resubscribing)
        return;
    (pattern ? m_unconfirmedPatterns : m_unconfirmedChannels).remove(name);
    if (m_unconfirmedChannels.isEmpty() && m_unconfirmedPatterns.isEmpty()) {
        m_resubscribing = false;
        emit resubscribed();
    }
}

void RedisSubscriber::onPush(const RedisReply &reply)
{
    // Anything at all from the server (the PONG or a message) proves it alive.
    m_pingOutstanding = false;
    // Pushes are arrays whose first element names the kind.
    if (!reply.isArray() || reply.size() < 2 || !reply.at(0).isString()) {
        if (reply.isError())
            emit errorOccurred(QStringLiteral("subscriber: %1").arg(reply.errorMessage()));
        return;
    }
    const QByteArray kind = reply.at(0).bytes().toLower();
    if (kind == "message" && reply.size() >= 3) {
        emit message(reply.at(1).bytes(), reply.at(2).bytes());
    } else if (kind == "pmessage" && reply.size() >= 4) {
        emit pmessage(reply.at(1).bytes(), reply.at(2).bytes(), reply.at(3).bytes());
    } else if (kind == "subscribe" || kind == "psubscribe") {
        const QByteArray name = reply.at(1).bytes();
        QPointer<RedisSubscriber> self(this);
        emit subscribed(name);
        if (self)
            confirm(kind == "psubscribe", name);
    }
    // "unsubscribe", "punsubscribe" and "pong" need no action.
}
