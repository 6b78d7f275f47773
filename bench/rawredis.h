// RawRedis: a blocking hiredis connection for the baselines and for setup.
//
// The baselines are "the fastest plain way to do the same work", so they use
// hiredis directly: redisCommandArgv for one round trip, redisAppendCommandArgv
// + redisGetReply for pipelines. Nothing here touches CacheLab's own client.
// Blocking is fine: this is the benchmark program, not the GUI thread.
#pragma once

#include "redisurl.h"

#include <memory>
#include <QByteArray>
#include <QList>
#include <QString>

struct redisContext;
struct redisReply;

/// Frees a hiredis reply when it goes out of scope.
struct RawReplyDeleter
{
    void operator()(redisReply *reply) const;
};
using RawReplyPtr = std::unique_ptr<redisReply, RawReplyDeleter>;

class RawRedis final
{
public:
    RawRedis() = default;
    ~RawRedis();
    RawRedis(const RawRedis &) = delete;
    RawRedis &operator=(const RawRedis &) = delete;

    /// Connects (TCP or unix socket), AUTHs and SELECTs as the URL says.
    /// TLS URLs are refused: hiredis 0.14 has no TLS.
    bool connect(const RedisUrl &url, QString *error);
    bool isConnected() const { return m_ctx != nullptr; }
    void close();
    redisContext *context() const { return m_ctx; }
    /// Read timeout for blocking reads (0 = none).
    void setTimeout(int ms);

    /// One command, one round trip. Null on a connection error (see lastError()).
    RawReplyPtr command(const QList<QByteArray> &args);
    /// Queues a command in the output buffer without reading.
    bool append(const QList<QByteArray> &args);
    /// Reads one reply (flushing queued commands first). Null on error or timeout.
    RawReplyPtr read();

    /// Convenience for setup code: the reply as text/integer; false on error replies.
    bool exec(const QList<QByteArray> &args, QByteArray *text = nullptr, qint64 *integer = nullptr);
    /// Sends every command pipelined in chunks of `depth`; false on the first error reply.
    bool execPipelined(const QList<QList<QByteArray>> &commands, int depth = 1000);

    QString lastError() const { return m_error; }
    /// The last read() failed only because the read timeout passed; the
    /// connection is still usable (the error flag has been cleared).
    bool timedOut() const { return m_timedOut; }

private:
    redisContext *m_ctx = nullptr;
    QString m_error;
    bool m_timedOut = false;
};
