// DemoKeys: the sample keys --demo writes beside the app's own, so the key
// browser and the events panel show more than product hashes at once.
//
// Two sessions, a rate-limit hash, a feature flag (all with short TTLs, the
// first gone after 1.8 s), a small leaderboard and an audit stream, in one
// pipeline. They are not CacheLab data: nothing reads them back.
#pragma once

#include <functional>
#include <QObject>

class RedisClient;

class DemoKeys final : public QObject
{
    Q_OBJECT

public:
    explicit DemoKeys(RedisClient *redis, QObject *parent = nullptr);

    /// Writes the keys; done runs once Redis answered (or the call failed),
    /// unless context is gone by then.
    void write(QObject *context, std::function<void()> done);

private:
    RedisClient *m_redis;
};
