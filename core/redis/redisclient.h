// RedisClient: an asynchronous Redis connection on the Qt event loop.
//
// hiredis does the protocol (redisFormatCommandArgv to encode, redisReader to
// decode); a QTcpSocket, QSslSocket or QLocalSocket does the transport. No
// call blocks: command() writes and returns; the callback runs later on the
// thread that owns the client. Replies arrive in the order commands were
// issued, so pipelining is simply calling command() many times.
//
// Guarantees:
//  - every callback runs exactly once (reply, server error, or client error),
//    unless its context object was destroyed first (or the client itself:
//    callbacks still pending when the client is destroyed are dropped);
//  - a command issued while not connected fails on the next event-loop turn
//    with a client error ("not connected"), it is never queued indefinitely;
//  - on connection loss every pending callback fails with a client error;
//  - a command that gets no reply within commandTimeout() aborts the
//    connection (all pending commands fail) and a reconnect begins;
//  - on every (re)connect the client sends AUTH, SELECT and CLIENT SETNAME
//    before anything else and reports connected() only when they succeeded
//    and the server has finished loading its data set (no -LOADING replies);
//  - the password never appears in a log line, error string or signal.
#pragma once

#include "redisreply.h"
#include "redisurl.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <functional>
#include <memory>

class RedisConnection;

using RedisCommand = QList<QByteArray>;
using RedisCallback = std::function<void(const RedisReply &)>;

class RedisClient final : public QObject
{
    Q_OBJECT

public:
    enum class State {
        Disconnected, ///< not connected and not trying (initial, or after disconnectFromServer)
        Connecting,   ///< socket/TLS handshake or AUTH/SELECT in progress
        Connected,    ///< ready for commands
        Reconnecting, ///< lost; waiting for the next backoff attempt
    };
    Q_ENUM(State)

    explicit RedisClient(const RedisUrl &url, QObject *parent = nullptr);
    ~RedisClient() override;

    const RedisUrl &url() const { return m_url; }
    State state() const;
    bool isConnected() const { return state() == State::Connected; }
    /// The last connection error (password redacted); empty when none.
    QString lastError() const;
    /// "redis_version" from the server's INFO after connecting ("7.0.15").
    QString serverVersion() const;

    /// Begins connecting; returns at once. Reconnects automatically after a
    /// loss until disconnectFromServer() is called.
    void connectToServer();
    void disconnectFromServer();

    /// Backoff between reconnect attempts: starts at min, doubles, capped at
    /// max, each wait randomised by +-jitter (0..1). Defaults 100 ms, 5 s, 0.2.
    void setReconnectPolicy(int minMs, int maxMs, double jitter);
    void setAutoReconnect(bool enabled);
    /// A command pending longer than this aborts the connection. Default 5000 ms.
    void setCommandTimeout(int ms);
    int commandTimeout() const;
    /// Connect (socket + TLS + handshake) timeout. Default 5000 ms.
    void setConnectTimeout(int ms);

    /// Sends one command. The callback runs once with the reply. If context
    /// is non-null and destroyed before the reply, the callback is dropped.
    void command(const RedisCommand &args, QObject *context, RedisCallback callback);
    void command(const RedisCommand &args, RedisCallback callback = {});

    /// Sends several commands in one write; the callback gets every reply in order.
    void pipeline(const QList<RedisCommand> &commands, QObject *context,
                  std::function<void(const QList<RedisReply> &)> callback);

    /// MULTI, the commands, EXEC written back to back. The callback gets the
    /// EXEC reply: an Array of the commands' results, Nil if a WATCH failed,
    /// or an Error (EXECABORT, connection loss).
    void transaction(const QList<RedisCommand> &commands, QObject *context, RedisCallback callback);

    /// Optimistic transaction with WATCH and retry:
    ///   WATCH keys; run `reads`; build(readReplies) -> commands;
    ///   MULTI commands EXEC; on Nil (a watched key changed) start again,
    ///   at most maxAttempts times.
    /// While it runs, other commands on this client are held back so they
    /// cannot land inside the WATCH window. build() may return an empty list
    /// to abort (the callback then gets Nil with attempts as counted).
    /// done(execReply, attempts) - execReply is Nil when every attempt lost.
    void watchTransaction(const QList<QByteArray> &watchKeys, const QList<RedisCommand> &reads,
                          std::function<QList<RedisCommand>(const QList<RedisReply> &)> build,
                          int maxAttempts, QObject *context,
                          std::function<void(const RedisReply &, int attempts)> done);

    /// Number of commands written and still waiting for their reply.
    int pendingCount() const;
    /// Total commands sent since construction (for metrics).
    quint64 commandsSent() const;

signals:
    void stateChanged(RedisClient::State state);
    void connected();
    /// Connection lost or closed; reason has the password redacted.
    void disconnected(const QString &reason);
    /// A connection attempt or the connection failed (also emitted before a reconnect).
    void errorOccurred(const QString &message);

private:
    /// Writes the commands (one callback each, all under one context) or, when
    /// not connected, fails every callback on the next event-loop turn.
    /// Unless bypassHold, calls made while a watchTransaction() runs are
    /// held back and replayed in order when it ends.
    void submit(const QList<RedisCommand> &commands, QList<RedisCallback> callbacks,
                QObject *context, bool bypassHold = false);
    void flushHeld();

    RedisUrl m_url;
    std::unique_ptr<RedisConnection> m_conn;
    bool m_watchRunning = false;          ///< a watchTransaction() owns the connection
    QList<std::function<void()>> m_held;  ///< calls made meanwhile, replayed in order
    friend class RedisConnection;
    friend struct RedisWatchJob;
};
