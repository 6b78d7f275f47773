// RedisProbe: hiredis blocking context with a timeout, one per call.
#include "redisprobe.h"

#include <QFile>

#include <hiredis/hiredis.h>

#include <memory>
#include <vector>

namespace {

struct ContextFree
{
    void operator()(redisContext *c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;

struct ReplyFree
{
    void operator()(redisReply *r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

Context open(const QString &socketPath, int timeoutMs)
{
    const timeval tv { timeoutMs / 1000, suseconds_t(timeoutMs % 1000) * 1000 };
    Context c(redisConnectUnixWithTimeout(QFile::encodeName(socketPath).constData(), tv));
    if (!c || c->err)
        return nullptr;
    redisSetTimeout(c.get(), tv);
    return c;
}

void append(redisContext *c, const QList<QByteArray> &args)
{
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    for (const QByteArray &a : args) {
        argv.push_back(a.constData());
        lengths.push_back(size_t(a.size()));
    }
    redisAppendCommandArgv(c, int(argv.size()), argv.data(), lengths.data());
}

Reply next(redisContext *c)
{
    void *raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK)
        return nullptr;
    return Reply(static_cast<redisReply *>(raw));
}

QByteArray text(const redisReply *r)
{
    return r->str ? QByteArray(r->str, qsizetype(r->len)) : QByteArray::number(r->integer);
}

} // namespace

RedisProbe::RedisProbe(QString socketPath, int timeoutMs)
    : m_socketPath(std::move(socketPath))
    , m_timeoutMs(timeoutMs)
{ }

std::optional<qint64> RedisProbe::integer(const QList<QByteArray> &args) const
{
    Context c = open(m_socketPath, m_timeoutMs);
    if (!c)
        return std::nullopt;
    append(c.get(), args);
    const Reply r = next(c.get());
    if (!r || r->type != REDIS_REPLY_INTEGER)
        return std::nullopt;
    return r->integer;
}

std::optional<QList<QByteArray>> RedisProbe::keys(const QByteArray &pattern) const
{
    Context c = open(m_socketPath, m_timeoutMs);
    if (!c)
        return std::nullopt;
    append(c.get(), { "KEYS", pattern });
    const Reply r = next(c.get());
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return std::nullopt;
    QList<QByteArray> out;
    for (size_t i = 0; i < r->elements; ++i)
        out.append(text(r->element[i]));
    return out;
}

std::optional<QHash<QByteArray, QHash<QByteArray, QByteArray>>> RedisProbe::hashes(const QList<QByteArray> &keys) const
{
    Context c = open(m_socketPath, m_timeoutMs);
    if (!c)
        return std::nullopt;
    for (const QByteArray &key : keys)
        append(c.get(), { "HGETALL", key });
    QHash<QByteArray, QHash<QByteArray, QByteArray>> out;
    for (const QByteArray &key : keys) {
        const Reply r = next(c.get());
        if (!r)
            return std::nullopt;
        QHash<QByteArray, QByteArray> &fields = out[key];
        // A key that is not a hash (WRONGTYPE) reads as empty; product keys are hashes.
        if (r->type != REDIS_REPLY_ARRAY)
            continue;
        for (size_t i = 0; i + 1 < r->elements; i += 2)
            fields.insert(text(r->element[i]), text(r->element[i + 1]));
    }
    return out;
}
