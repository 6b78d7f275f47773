// RawRedis: blocking hiredis calls for baselines and setup (see rawredis.h).
#include "rawredis.h"

#include <hiredis/hiredis.h>

#include <cerrno>

#include <vector>

void RawReplyDeleter::operator()(redisReply *reply) const
{
    if (reply)
        freeReplyObject(reply);
}

namespace {

// hiredis takes (argc, argv, argvlen); QByteArray keeps the bytes alive.
struct ArgvView
{
    explicit ArgvView(const QList<QByteArray> &args)
    {
        argv.reserve(size_t(args.size()));
        lens.reserve(size_t(args.size()));
        for (const QByteArray &a : args) {
            argv.push_back(a.constData());
            lens.push_back(size_t(a.size()));
        }
    }
    int argc() const { return int(argv.size()); }
    std::vector<const char *> argv;
    std::vector<size_t> lens;
};

} // namespace

RawRedis::~RawRedis()
{
    close();
}

void RawRedis::close()
{
    if (m_ctx) {
        redisFree(m_ctx);
        m_ctx = nullptr;
    }
}

bool RawRedis::connect(const RedisUrl &url, QString *error)
{
    close();
    const timeval tv { 5, 0 };
    if (url.transport == RedisUrl::Transport::Tls) {
        m_error = QStringLiteral(
            "the benchmark baselines use hiredis 0.14, which has no TLS; give a redis:// or unix:// URL");
    } else if (url.transport == RedisUrl::Transport::Unix) {
        m_ctx = redisConnectUnixWithTimeout(url.socketPath.toLocal8Bit().constData(), tv);
    } else {
        m_ctx = redisConnectWithTimeout(url.host.toLatin1().constData(), url.port, tv);
    }
    if (m_ctx && m_ctx->err) {
        m_error = QStringLiteral("cannot connect to %1: %2").arg(url.endpoint(), QString::fromLocal8Bit(m_ctx->errstr));
        close();
    }
    if (!m_ctx) {
        if (m_error.isEmpty())
            m_error = QStringLiteral("cannot allocate a hiredis context");
        if (error)
            *error = m_error;
        return false;
    }
    if (!url.password.isEmpty()) {
        QList<QByteArray> auth { QByteArrayLiteral("AUTH") };
        if (!url.user.isEmpty())
            auth << url.user.toUtf8();
        auth << url.password.toUtf8();
        if (!exec(auth)) {
            // Never echo the password: exec() only stores the server's text.
            if (error)
                *error = QStringLiteral("AUTH failed: %1").arg(m_error);
            close();
            return false;
        }
    }
    if (url.db != 0 && !exec({ QByteArrayLiteral("SELECT"), QByteArray::number(url.db) })) {
        if (error)
            *error = QStringLiteral("SELECT %1 failed: %2").arg(url.db).arg(m_error);
        close();
        return false;
    }
    return true;
}

void RawRedis::setTimeout(int ms)
{
    if (m_ctx)
        redisSetTimeout(m_ctx, timeval { ms / 1000, (ms % 1000) * 1000 });
}

RawReplyPtr RawRedis::command(const QList<QByteArray> &args)
{
    if (!m_ctx)
        return {};
    ArgvView v(args);
    auto *reply = static_cast<redisReply *>(redisCommandArgv(m_ctx, v.argc(), v.argv.data(), v.lens.data()));
    if (!reply)
        m_error = QString::fromLocal8Bit(m_ctx->errstr);
    return RawReplyPtr(reply);
}

bool RawRedis::append(const QList<QByteArray> &args)
{
    if (!m_ctx)
        return false;
    ArgvView v(args);
    return redisAppendCommandArgv(m_ctx, v.argc(), v.argv.data(), v.lens.data()) == REDIS_OK;
}

RawReplyPtr RawRedis::read()
{
    if (!m_ctx)
        return {};
    void *reply = nullptr;
    m_timedOut = false;
    if (redisGetReply(m_ctx, &reply) != REDIS_OK) {
        const int err = errno;
        m_error = QString::fromLocal8Bit(m_ctx->errstr);
        if (m_ctx->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK)) {
            // hiredis 0.14 marks the context failed on a read timeout although
            // nothing was consumed; clearing the flag makes it usable again.
            m_timedOut = true;
            m_ctx->err = 0;
            m_ctx->errstr[0] = '\0';
        }
        return {};
    }
    return RawReplyPtr(static_cast<redisReply *>(reply));
}

bool RawRedis::exec(const QList<QByteArray> &args, QByteArray *text, qint64 *integer)
{
    RawReplyPtr r = command(args);
    if (!r)
        return false;
    if (r->type == REDIS_REPLY_ERROR) {
        m_error = QString::fromUtf8(r->str, qsizetype(r->len));
        return false;
    }
    if (text && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS))
        *text = QByteArray(r->str, qsizetype(r->len));
    if (integer && r->type == REDIS_REPLY_INTEGER)
        *integer = r->integer;
    return true;
}

bool RawRedis::execPipelined(const QList<QList<QByteArray>> &commands, int depth)
{
    for (qsizetype start = 0; start < commands.size(); start += depth) {
        const qsizetype end = std::min(commands.size(), start + depth);
        for (qsizetype i = start; i < end; ++i) {
            if (!append(commands.at(i)))
                return false;
        }
        bool ok = true;
        for (qsizetype i = start; i < end; ++i) {
            RawReplyPtr r = read();
            if (!r)
                return false;
            if (r->type == REDIS_REPLY_ERROR && ok) {
                m_error = QString::fromUtf8(r->str, qsizetype(r->len));
                ok = false;
            }
        }
        if (!ok)
            return false;
    }
    return true;
}
