// LabServer: a private redis-server for one lab run, and a client on it.
//
// Labs that reconfigure the server (maxmemory, eviction policy, LFU factor)
// never do it on the user's Redis: each run starts its own embedded
// redis-server in a temporary directory (no AOF, no snapshots, loopback, a
// random password) and stops it when the lab is reset or destroyed.
#pragma once

#include "redisclient.h"

#include <QObject>
#include <QTemporaryDir>
#include <functional>
#include <memory>

class EmbeddedRedis;

class LabServer final : public QObject
{
    Q_OBJECT

public:
    explicit LabServer(QObject *parent = nullptr);
    ~LabServer() override;

    /// Starts the server and connects; ready() or failed() follows.
    void start();
    bool isReady() const { return m_ready; }
    RedisClient *client() const { return m_client.get(); }
    /// Where it listens, with its password (for more clients on it).
    RedisUrl url() const;
    qint64 pid() const;

    /// One command; an error reply (or a lost connection) goes to the
    /// callback like any other reply.
    void call(const RedisCommand &args, std::function<void(const RedisReply &)> done);
    void pipeline(const QList<RedisCommand> &commands, std::function<void(const QList<RedisReply> &)> done);
    /// Stops a server without waiting: it is sent SIGTERM and deleted, with
    /// its directory, once it has exited (LabServer's destructor does this;
    /// labs with servers of their own use it too).
    static void retire(std::unique_ptr<EmbeddedRedis> server, std::unique_ptr<QTemporaryDir> dir);
    /// Servers of destroyed LabServers still shutting down (they are sent
    /// SIGTERM and deleted once they exit, so no destructor waits).
    static int stopping();
    /// For program exit: runs the event loop until every such server has
    /// exited, at most timeoutMs.
    static void waitForStopped(int timeoutMs);

    /// Reads one "field:value" line from INFO section (0 when absent).
    void infoField(const QByteArray &section, const QByteArray &field, std::function<void(qint64, QString error)> done);

signals:
    void ready();
    void failed(const QString &message);

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<EmbeddedRedis> m_server;
    std::unique_ptr<RedisClient> m_client;
    bool m_ready = false;
};
