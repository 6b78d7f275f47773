// EmbeddedRedis: a private redis-server child process for CacheLab.
//
// Started when the user gives no --redis URL. It listens on 127.0.0.1 only,
// on a free port, with a random password (written to a 0600 config file,
// never on the command line), keyspace notifications on, AOF on, and its data
// in the given directory. start() returns at once; ready() follows once the
// server answers PING, or failed() with a message a person can act on.
// A server left running by a crashed earlier run (found through the pid
// file in the data directory) is stopped first; its AOF data is kept. A
// server whose owner (another CacheLab, found through owner.pid) is still
// running is shared instead, and stop() leaves it alone.
#pragma once

#include "redisurl.h"

#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QTimer>
#include <memory>

class QTcpSocket;

class EmbeddedRedis final : public QObject
{
    Q_OBJECT

public:
    explicit EmbeddedRedis(const QString &dataDir, QObject *parent = nullptr);
    ~EmbeddedRedis() override; ///< a server still running is killed (call stop() first for a clean exit)

    /// The binary start() launches: redisServerBinary() (redisserverbinary.h),
    /// the search every launcher shares. Empty when none is found.
    static QString findServerBinary();
    /// Human text that says how to install redis-server on this system.
    static QString installHint();
    /// True while the process exists and is not a zombie.
    static bool processAlive(qint64 pid);

    void setServerBinary(const QString &path) { m_binary = path; }
    void setAppendOnly(bool on) { m_appendOnly = on; }
    /// Extra "name value" config lines written to the config file.
    void setExtraConfig(const QStringList &lines) { m_extraConfig = lines; }
    /// Give up after this long without a PING answer. Default 10 s.
    void setStartTimeout(int ms) { m_startTimeoutMs = ms; }
    /// Try this port first; if it is taken, a free one is picked instead.
    void setPreferredPort(quint16 port) { m_preferredPort = port; }

    void start();
    /// Asks the server to exit (SIGTERM, so it flushes its AOF; SIGKILL after
    /// 3 s) and returns at once; stopped() follows when it has exited. A
    /// shared server is left running.
    void stop();

    bool isRunning() const;
    quint16 port() const { return m_port; }
    QString password() const { return m_password; }
    QString dataDir() const { return m_dataDir; }
    qint64 pid() const;
    /// redis://:password@127.0.0.1:port/0 (use RedisUrl::redacted() to show it).
    RedisUrl url() const;

signals:
    void ready();
    void failed(const QString &message);
    /// The server has exited after stop() (or stop() had nothing to do).
    void stopped();
    /// The server exited without stop() being called.
    void crashed(const QString &message);

private:
    void launch();
    void probe();
    void onProbeData();
    /// Forgets the probe connection in flight, if any (deleted on the next turn).
    void dropProbe();
    void cleanupStale();
    bool reuseRunning(qint64 pid);
    bool writeConfig(QString *error);
    void fail(const QString &message);

    QString m_dataDir;
    QString m_binary;
    QString m_password;
    QStringList m_extraConfig;
    quint16 m_port = 0;
    quint16 m_preferredPort = 0;
    bool m_appendOnly = true;
    bool m_stopping = false;
    bool m_ready = false;
    int m_attempt = 0;
    int m_startTimeoutMs = 10000;
    QProcess *m_process = nullptr;
    QTimer m_probeTimer;
    QTimer m_killTimer;
    QElapsedTimer m_startClock;
    QTcpSocket *m_probeSocket = nullptr;
    QByteArray m_probeBuffer;
    qint64 m_stalePid = 0;
    qint64 m_sharedPid = 0; ///< >0: a server owned by another running CacheLab, shared
};
