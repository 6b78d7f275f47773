// TestRedisServer: a real redis-server for one test binary.
//
// Starts redis-server (CACHELAB_REDIS_SERVER or PATH) on a free loopback
// port in a temporary directory, optionally with a password, ACL users,
// TLS or extra config. Blocking waits are fine here: this is test code, not
// the GUI thread. Every wait is bounded.
#pragma once

#include "redisurl.h"

#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <memory>

class TestRedisServer final
{
public:
    TestRedisServer();
    ~TestRedisServer(); ///< kills the server

    /// Extra "name value" config lines (e.g. "notify-keyspace-events KEA").
    void setExtraConfig(const QStringList &lines) { m_extra = lines; }
    /// Serve TLS only: "port 0", "tls-port <port()>", these files and
    /// "tls-auth-clients yes" (when requireClientCert). The readiness check
    /// and the sync helpers then use the server's unix socket.
    void setTls(const QString &certFile, const QString &keyFile, const QString &caFile,
                bool requireClientCert = true);
    void setPassword(const QString &password) { m_password = password; }

    /// Starts the server and waits (max 10 s) until it answers PING.
    bool start(QString *error = nullptr);
    /// Same port, same data dir.
    bool restart(QString *error = nullptr);
    void kill();   ///< SIGKILL, waits for exit
    void stop();   ///< SHUTDOWN NOSAVE / SIGTERM, waits for exit
    void pause();  ///< SIGSTOP
    void resume(); ///< SIGCONT
    bool isRunning() const;

    quint16 port() const { return m_port; }
    QString password() const { return m_password; }
    QString dir() const { return m_dir ? m_dir->path() : QString(); }
    /// The unix socket the server also listens on (inside dir()).
    QString socketPath() const;
    qint64 pid() const;
    /// URL with the password (if any) and db 0.
    RedisUrl url() const;

    /// Runs one command synchronously with a private hiredis connection
    /// (max 5 s). For test setup and assertions, e.g. sync({"TTL","k"}).
    QByteArray syncString(const QList<QByteArray> &args) const;
    qint64 syncInteger(const QList<QByteArray> &args) const;
    QList<QByteArray> syncList(const QList<QByteArray> &args) const;

private:
    bool launch(QString *error);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    QStringList m_extra;
    QString m_password;
    quint16 m_port = 0;
    QString m_tlsCert;
    QString m_tlsKey;
    QString m_tlsCa;
    bool m_tlsClientCert = true;
    bool m_paused = false;
};
