// RedisConnection: the transport, protocol reader, handshake and reconnect
// machinery shared by RedisClient and RedisSubscriber. Internal to core/redis.
//
// One instance owns at most one socket at a time (TCP, TLS or unix). Every
// command written is matched, in order, with one entry in a FIFO of pending
// replies; replies that arrive with no pending entry go to the push handler
// (the subscriber's message stream). Nothing here blocks: connect, TLS, the
// AUTH/SELECT/CLIENT SETNAME/INFO handshake, timeouts and backoff are all
// driven by socket signals and timers.
#pragma once

#include "redisclient.h"
#include "redisreply.h"
#include "redisurl.h"

#include <deque>
#include <functional>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>

class QIODevice;
class QAbstractSocket;
class QLocalSocket;
struct redisReader;

/// One reply the connection is waiting for.
struct RedisPending
{
    RedisCallback callback;
    QPointer<QObject> context;
    bool hasContext = false; ///< a null context means "none", a destroyed one means "drop"
    qint64 queuedAtMs = 0;

    RedisPending() = default;
    RedisPending(RedisCallback cb, QObject *ctx)
        : callback(std::move(cb))
        , context(ctx)
        , hasContext(ctx != nullptr)
    { }
    /// Runs the callback unless its context has gone.
    void deliver(const RedisReply &reply) const
    {
        if (hasContext && context.isNull())
            return;
        if (callback)
            callback(reply);
    }
};

class RedisConnection final : public QObject
{
    Q_OBJECT

public:
    using State = RedisClient::State;

    /// Replies bigger than this are refused as a protocol error (Redis' own
    /// proto-max-bulk-len default), so a bad length cannot make us buffer forever.
    static constexpr qint64 kMaxBulkBytes = 512LL * 1024 * 1024;
    /// Arrays longer than this are refused (hiredis would allocate for all of them).
    static constexpr qint64 kMaxArrayElements = 64LL * 1024 * 1024;

    RedisConnection(const RedisUrl &url, const QString &clientName, QObject *parent = nullptr);
    ~RedisConnection() override;

    void open();
    void close();

    State state() const { return m_state; }
    QString lastError() const { return m_lastError; }
    QString serverVersion() const { return m_serverVersion; }

    void setReconnectPolicy(int minMs, int maxMs, double jitter);
    void setAutoReconnect(bool enabled) { m_autoReconnect = enabled; }
    void setCommandTimeout(int ms);
    int commandTimeout() const { return m_commandTimeoutMs; }
    void setConnectTimeout(int ms) { m_connectTimeoutMs = ms; }

    /// Writes the commands in one write and queues one pending entry per
    /// command. Only valid while the transport is up (state Connected).
    void send(const QList<RedisCommand> &commands, std::vector<RedisPending> replies);
    /// The same for one command (the common case), without the lists.
    void sendOne(const RedisCommand &command, RedisPending reply);
    /// Writes commands whose answers arrive through the push handler.
    void sendUntracked(const QList<RedisCommand> &commands);
    /// Receives every reply that arrives while nothing is pending.
    void setPushHandler(std::function<void(const RedisReply &)> handler) { m_pushHandler = std::move(handler); }

    /// "not connected to Redis (<endpoint>): <last error>".
    QString notConnectedMessage() const;
    /// Replaces the password (if any) with *** in text meant for people.
    QString redact(QString text) const;

    int pendingCount() const { return int(m_pending.size()); }
    quint64 commandsSent() const { return m_commandsSent; }

    /// Drops the current connection as failed (pending replies fail with
    /// `message`) and reconnects with backoff. No-op when there is none.
    void abortConnection(const QString &message)
    {
        if (m_io)
            fail(message);
    }
    /// Set by the reader's guarded allocation hook when it refuses a reply.
    void setReaderRefusal(const QString &why) { m_readerRefusal = why; }

    /// RESP encoding of one command (binary safe). Empty for an empty command.
    static QByteArray encode(const RedisCommand &args);

signals:
    void stateChanged(RedisClient::State state);
    void connected();
    void disconnected(const QString &reason);
    void errorOccurred(const QString &message);

private:
    void startAttempt();
    void onTransportReady();
    void onReadyRead();
    void onTransportError(const QString &socketError);
    void onTransportClosed();
    void onConnectTimeout();
    void onCommandTimeoutCheck();
    void beginHandshake();
    void finishHandshake();
    /// Reads the version from INFO; while the server is loading its data
    /// set, asks again every 50 ms instead of finishing the handshake.
    void onHandshakeInfo(const RedisReply &reply);
    /// Tears the connection down with `message`, fails every pending reply,
    /// emits errorOccurred (and disconnected if it was up) and schedules the
    /// next attempt with backoff.
    void fail(const QString &message, bool emitError = true);
    /// Closes and forgets the socket and reader; returns what was pending.
    std::deque<RedisPending> dropTransport();
    void scheduleReconnect();
    void setState(State state);
    void armCommandTimeout();
    bool writeBytes(const QByteArray &bytes, bool flushNow = true);
    /// Empty when the partially read reply looks sane, else why not.
    QString checkIncompleteReply() const;
    qint64 now() const { return m_clock.elapsed(); }

    RedisUrl m_url;
    QString m_clientName;
    State m_state = State::Disconnected;
    bool m_wanted = false; ///< connectToServer() called and not yet disconnectFromServer()
    bool m_autoReconnect = true;
    quint64 m_generation = 0; ///< bumped on every transport teardown; guards stale callbacks

    QIODevice *m_io = nullptr;
    QAbstractSocket *m_tcp = nullptr; // also set for TLS
    QLocalSocket *m_local = nullptr;
    QStringList m_sslErrors;
    redisReader *m_reader = nullptr;
    QString m_readerRefusal;
    QByteArray m_readBuffer; ///< reused for every socket read (allocated on first use)

    std::deque<RedisPending> m_pending;
    /// Writes encoded commands already queued in m_pending; a failed write
    /// fails the connection on the next turn.
    void writeQueued(const QByteArray &bytes, bool idleBefore);
    std::function<void(const RedisReply &)> m_pushHandler;
    quint64 m_commandsSent = 0;

    QString m_lastError;
    QString m_serverVersion;
    bool m_serverLoading = false; ///< the last handshake INFO said loading:1

    int m_minBackoffMs = 100;
    int m_maxBackoffMs = 5000;
    double m_jitter = 0.2;
    int m_attempt = 0;
    int m_commandTimeoutMs = 5000;
    int m_connectTimeoutMs = 5000;

    QElapsedTimer m_clock;
    QTimer m_reconnectTimer;
    QTimer m_connectTimer;
    QTimer m_commandTimer;
};
