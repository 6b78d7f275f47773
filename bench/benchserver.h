// BenchServer: the redis-server one scenario runs against.
//
// By default every scenario gets a fresh redis-server child: 127.0.0.1, a
// free port, a temporary directory, no persistence (so disk I/O of Redis does
// not blur the figures), plus whatever config lines the scenario asks for.
// With --redis URL the given server is used instead; its selected database is
// flushed at the start of each scenario, so the bench refuses a non-empty one
// unless --flush was given.
#pragma once

#include "redisurl.h"

#include <memory>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

class BenchServer final
{
public:
    BenchServer() = default;
    ~BenchServer(); ///< stops the child, if any

    /// Starts a child redis-server with these extra "--name value" arguments
    /// and waits (max 10 s) until it answers PING.
    bool startChild(const QStringList &extraArgs, QString *error);
    /// Uses an external server. Flushes its database when allowFlush, else
    /// fails when the database is not empty.
    bool useExternal(const RedisUrl &url, bool allowFlush, QString *error);
    void stop();

    bool isChild() const { return m_process != nullptr; }
    RedisUrl url() const { return m_url; }
    QString version() const { return m_version; }
    /// The child's log file (empty for an external server).
    QString logPath() const;
    /// The child's log as text (for "output buffer limit" lines and errors).
    QByteArray logText() const;
    /// Applies "CONFIG SET name value" (used on external servers, where the
    /// command line is not ours).
    bool configSet(const QByteArray &name, const QByteArray &value, QString *error);
    /// Drops every key in the selected database (FLUSHDB).
    bool flush(QString *error);

private:
    bool readVersion(QString *error);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    RedisUrl m_url;
    QString m_version;
};
