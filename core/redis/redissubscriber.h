// RedisSubscriber: a dedicated pub/sub connection.
//
// A connection in subscribe mode cannot run ordinary commands, so pub/sub
// gets its own. The subscriber remembers every channel and pattern it was
// asked for and subscribes to all of them again after each reconnect, then
// emits resubscribed() so a UI can say that messages may have been missed
// while it was away.
#pragma once

#include "redisurl.h"

#include <QObject>
#include <QSet>
#include <memory>

class RedisClient;
class RedisConnection;
class RedisReply;
class QTimer;

class RedisSubscriber final : public QObject
{
    Q_OBJECT

public:
    explicit RedisSubscriber(const RedisUrl &url, QObject *parent = nullptr);
    ~RedisSubscriber() override;

    void connectToServer();
    void disconnectFromServer();
    bool isConnected() const;
    void setReconnectPolicy(int minMs, int maxMs, double jitter);
    /// A subscriber sends nothing on its own, so a hung server would go
    /// unnoticed: every interval it sends PING, and if the previous PING got
    /// no answer (and nothing else arrived) it drops the connection and
    /// reconnects. Default 15000 ms; 0 turns the check off.
    void setHealthCheckInterval(int ms);

    void subscribe(const QByteArray &channel);
    void unsubscribe(const QByteArray &channel);
    void psubscribe(const QByteArray &pattern);
    void punsubscribe(const QByteArray &pattern);

    QSet<QByteArray> channels() const { return m_channels; }
    QSet<QByteArray> patterns() const { return m_patterns; }

signals:
    void connected();
    void disconnected(const QString &reason);
    void errorOccurred(const QString &message);
    /// The server confirmed a (p)subscribe.
    void subscribed(const QByteArray &channelOrPattern);
    /// After a reconnect all channels and patterns were subscribed again.
    void resubscribed();
    void message(const QByteArray &channel, const QByteArray &payload);
    void pmessage(const QByteArray &pattern, const QByteArray &channel, const QByteArray &payload);

private:
    void onConnectionUp();
    void onPush(const RedisReply &reply);
    void confirm(bool pattern, const QByteArray &name);
    void checkHealth();

    QSet<QByteArray> m_channels;
    QSet<QByteArray> m_patterns;
    RedisUrl m_url;
    std::unique_ptr<RedisConnection> m_conn;
    bool m_everConnected = false;
    // Names re-sent after a reconnect and not yet confirmed; resubscribed()
    // follows when both are empty again.
    bool m_resubscribing = false;
    QSet<QByteArray> m_unconfirmedChannels;
    QSet<QByteArray> m_unconfirmedPatterns;
    QTimer *m_healthTimer = nullptr;
    int m_healthIntervalMs = 15000;
    bool m_pingOutstanding = false;
    friend class RedisConnection;
};
