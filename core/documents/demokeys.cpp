// DemoKeys: one pipeline of short-lived sample keys.
#include "demokeys.h"

#include "redisclient.h"

DemoKeys::DemoKeys(RedisClient *redis, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
{ }

void DemoKeys::write(QObject *context, std::function<void()> done)
{
    QList<RedisCommand> cmds;
    cmds.append({ "SET", "session:demo-alice", "cart=3 items", "PX", "1800" });
    cmds.append({ "SET", "session:demo-bob", "cart=1 item", "PX", "6500" });
    cmds.append({ "HSET", "rate:demo:api", "window", "60", "used", "17" });
    cmds.append({ "PEXPIRE", "rate:demo:api", "9000" });
    cmds.append({ "SET", "feature:demo-banner", "on", "PX", "15000" });
    cmds.append({ "ZADD", "leaderboard:demo", "42", "alice", "37", "bob", "12", "carol" });
    cmds.append({ "XADD", "audit:demo", "*", "event", "login", "user", "alice" });
    m_redis->pipeline(cmds, context, [done = std::move(done)](const QList<RedisReply> &) { done(); });
}
