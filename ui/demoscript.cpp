// DemoScript: the steps, as continuations.
#include "demoscript.h"

#include "backend.h"
#include "productservice.h"
#include "redisclient.h"

DemoScript::DemoScript(Backend *backend, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
{ }

void DemoScript::start()
{
    ProductService *service = m_backend->service();
    RedisClient *redis = m_backend->redis();
    const auto get = [this, service](qint64 id) {
        return [this, service, id](
                   std::function<void()> done) { service->get(id, this, [done](const ServiceResult &) { done(); }); };
    };
    const auto shortKeys = [this, redis](std::function<void()> done) {
        QList<RedisCommand> cmds;
        cmds.append({ "SET", "session:demo-alice", "cart=3 items", "PX", "1800" });
        cmds.append({ "SET", "session:demo-bob", "cart=1 item", "PX", "6500" });
        cmds.append({ "HSET", "rate:demo:api", "window", "60", "used", "17" });
        cmds.append({ "PEXPIRE", "rate:demo:api", "9000" });
        cmds.append({ "SET", "feature:demo-banner", "on", "PX", "15000" });
        cmds.append({ "ZADD", "leaderboard:demo", "42", "alice", "37", "bob", "12", "carol" });
        cmds.append({ "XADD", "audit:demo", "*", "event", "login", "user", "alice" });
        redis->pipeline(cmds, this, [done](const QList<RedisReply> &) { done(); });
    };
    m_steps = {
        get(1),
        get(2),
        get(3),
        shortKeys,
        get(1),
        get(4),
        get(2),
        [this, service](std::function<void()> done) {
            service->get(3, this, [this, service, done](const ServiceResult &r) {
                if (!r.product)
                    return done();
                service->update(
                    3, r.product->name, r.product->price + 100, 0, this, [done](const ServiceResult &) { done(); });
            });
        },
        get(5),
        get(1),
        get(3),
        get(6),
        get(7),
        get(2),
        get(8),
        get(4),
        get(9),
    };
    m_step = 0;
    m_running = true;
    next();
}

void DemoScript::later(int ms)
{
    QTimer::singleShot(ms, this, &DemoScript::next);
}

void DemoScript::next()
{
    if (m_step >= m_steps.size()) {
        m_running = false;
        emit finished();
        return;
    }
    const auto step = m_steps.at(m_step++);
    // A quick first burst so a screenshot after two seconds has content,
    // then a calmer pace a person can follow.
    const int pause = m_step < 8 ? 120 : 700;
    step([this, pause] {
        if (m_step == 8)
            emit burstFinished();
        later(pause);
    });
}
