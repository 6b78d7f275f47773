// RedisScript: EVALSHA with a NOSCRIPT fallback to SCRIPT LOAD.
#include "redisscript.h"

#include <QCryptographicHash>

RedisScript::RedisScript(const QString &name, const QByteArray &source)
    : m_name(name)
    , m_source(source)
    , m_sha(QCryptographicHash::hash(source, QCryptographicHash::Sha1).toHex())
{ }

RedisCommand RedisScript::evalsha(const QList<QByteArray> &keys, const QList<QByteArray> &args) const
{
    RedisCommand cmd { QByteArrayLiteral("EVALSHA"), m_sha, QByteArray::number(keys.size()) };
    cmd += keys;
    cmd += args;
    return cmd;
}

bool RedisScript::isNoScript(const RedisReply &reply)
{
    return reply.isError() && !reply.isClientError() && reply.bytes().startsWith("NOSCRIPT");
}

void RedisScript::run(RedisClient *client, const QList<QByteArray> &keys, const QList<QByteArray> &args,
    QObject *context, std::function<void(const RedisReply &, bool)> done) const
{
    const RedisCommand cmd = evalsha(keys, args);
    const RedisCommand loadCmd = load();
    client->command(
        cmd, context, [client, cmd, loadCmd, context, done = std::move(done)](const RedisReply &reply) mutable {
            if (!isNoScript(reply)) {
                done(reply, false);
                return;
            }
            // The server lost its script cache (restart, SCRIPT FLUSH): load and
            // repeat once. Pipelined so it costs one round trip.
            client->pipeline({ loadCmd, cmd }, context, [done = std::move(done)](const QList<RedisReply> &replies) {
                done(replies.size() == 2 ? replies.at(1)
                                         : RedisReply::clientError(QStringLiteral("script reload failed")),
                    true);
            });
        });
}
