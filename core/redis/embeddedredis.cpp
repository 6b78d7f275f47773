// EmbeddedRedis: start, watch and stop CacheLab's private redis-server.
//
// The start sequence is a small state machine driven by the event loop, so
// the GUI thread never waits on the child: stale server check -> write
// config -> QProcess::start -> PING probe every 50 ms -> ready().
#include "embeddedredis.h"

#include "freeport.h"
#include "redisserverbinary.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTcpSocket>

#include <csignal>
#include <sys/prctl.h>
#include <utility>
#include <unistd.h>

namespace {

constexpr int ProbeIntervalMs = 50;
constexpr int MaxLaunchAttempts = 5;

QString randomSecret()
{
    // 32 bytes from the OS generator, hex encoded: 256 bits.
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
    return QString::fromLatin1(bytes.toHex());
}

bool processLooksLikeRedis(qint64 pid)
{
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (!cmdline.open(QIODevice::ReadOnly))
        return false;
    return cmdline.readAll().contains("redis-server");
}


} // namespace

// True while the process exists and is not a zombie (an exited child that
// nobody reaped yet, common in containers whose init does not reap).
bool EmbeddedRedis::processAlive(qint64 pid)
{
    if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) != 0)
        return false;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return true;
    const QByteArray line = stat.readAll();
    const qsizetype close = line.lastIndexOf(')');
    return close < 0 || close + 2 >= line.size() || line.at(close + 2) != 'Z';
}

EmbeddedRedis::EmbeddedRedis(const QString &dataDir, QObject *parent)
    : QObject(parent)
    , m_dataDir(dataDir)
    , m_binary(findServerBinary())
{
    m_probeTimer.setInterval(ProbeIntervalMs);
    connect(&m_probeTimer, &QTimer::timeout, this, &EmbeddedRedis::probe);
    // A server that ignores SIGTERM for this long is killed.
    m_killTimer.setSingleShot(true);
    m_killTimer.setInterval(3000);
    connect(&m_killTimer, &QTimer::timeout, this, [this] {
        if (m_process && m_process->state() != QProcess::NotRunning)
            m_process->kill();
    });
}

// Normally stop() ran earlier and the server has exited. If it still runs,
// QProcess's destructor kills it; acknowledged writes are already in the AOF
// (Redis writes it before it replies), so nothing acknowledged is lost.
EmbeddedRedis::~EmbeddedRedis()
{
    m_stopping = true;
    m_probeTimer.stop();
}

QString EmbeddedRedis::findServerBinary()
{
    return redisServerBinary();
}

QString EmbeddedRedis::installHint()
{
    return QStringLiteral(
        "CacheLab needs redis-server to run its embedded cache, and none was found.\n"
        "Install it with:  sudo apt-get install redis-server   (Debian/Ubuntu)\n"
        "or point CACHELAB_REDIS_SERVER at a redis-server binary,\n"
        "or connect to an existing server with --redis redis://host:6379");
}

bool EmbeddedRedis::isRunning() const
{
    if (m_sharedPid > 0)
        return processAlive(m_sharedPid);
    return m_process && m_process->state() == QProcess::Running;
}

qint64 EmbeddedRedis::pid() const
{
    if (m_sharedPid > 0)
        return m_sharedPid;
    return m_process ? m_process->processId() : 0;
}

// Takes port and password from the live server's config file (owner-only,
// so readable only by the same user) and probes it like a fresh start.
bool EmbeddedRedis::reuseRunning(qint64 pid)
{
    QFile conf(QDir(m_dataDir).filePath(QStringLiteral("redis.conf")));
    if (!conf.open(QIODevice::ReadOnly))
        return false;
    quint16 port = 0;
    QString password;
    const QList<QByteArray> lines = conf.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("port "))
            port = quint16(line.mid(5).trimmed().toUInt());
        else if (line.startsWith("requirepass "))
            password = QString::fromLatin1(line.mid(12).trimmed());
    }
    if (port == 0 || password.isEmpty())
        return false;
    m_port = port;
    m_password = password;
    m_sharedPid = pid;
    m_attempt = MaxLaunchAttempts; // never relaunch a server we do not own
    m_probeTimer.start();
    return true;
}

RedisUrl EmbeddedRedis::url() const
{
    RedisUrl url;
    url.transport = RedisUrl::Transport::Tcp;
    url.host = QStringLiteral("127.0.0.1");
    url.port = m_port;
    url.password = m_password;
    return url;
}

void EmbeddedRedis::start()
{
    if (isRunning() || m_probeTimer.isActive())
        return;
    m_stopping = false;
    m_ready = false;
    m_attempt = 0;
    if (m_binary.isEmpty()) {
        // Reported on the next turn so callers can connect to failed() after start().
        QTimer::singleShot(0, this, [this] { fail(installHint()); });
        return;
    }
    if (!QDir().mkpath(m_dataDir)) {
        QTimer::singleShot(0, this, [this] {
            fail(tr("Cannot create the Redis data directory %1.").arg(m_dataDir));
        });
        return;
    }
    QFile::setPermissions(m_dataDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    m_startClock.start();
    cleanupStale();
}

// A redis-server left behind by a crashed CacheLab still holds the data
// directory (and its AOF). Ask it to finish (SIGTERM makes Redis flush the
// AOF), poll until it is gone, then launch our own on the same data.
void EmbeddedRedis::cleanupStale()
{
    QFile pidFile(QDir(m_dataDir).filePath(QStringLiteral("redis.pid")));
    qint64 stale = 0;
    if (pidFile.open(QIODevice::ReadOnly))
        stale = pidFile.readAll().trimmed().toLongLong();
    pidFile.close();

    if (stale <= 0 || !processAlive(stale) || !processLooksLikeRedis(stale)) {
        QFile::remove(pidFile.fileName());
        launch();
        return;
    }
    // A server whose owner (the CacheLab that started it) is still running
    // is not stale: another window uses this data folder right now. Share
    // its server instead of stopping it under that window's feet; the two
    // windows then see one cache and stay coherent.
    QFile ownerFile(QDir(m_dataDir).filePath(QStringLiteral("owner.pid")));
    qint64 owner = 0;
    if (ownerFile.open(QIODevice::ReadOnly))
        owner = ownerFile.readAll().trimmed().toLongLong();
    if (owner > 0 && owner != QCoreApplication::applicationPid() && processAlive(owner) && reuseRunning(stale)) {
        qInfo("cachelab: sharing the redis-server (pid %lld) of the CacheLab running as pid %lld", stale, owner);
        return;
    }
    qInfo("cachelab: stopping a redis-server (pid %lld) left by an earlier run", stale);
    m_stalePid = stale;
    ::kill(static_cast<pid_t>(stale), SIGTERM);
    auto *wait = new QTimer(this);
    wait->setInterval(ProbeIntervalMs);
    connect(wait, &QTimer::timeout, this, [this, wait] {
        if (!processAlive(m_stalePid) || m_startClock.elapsed() > 3000) {
            if (processAlive(m_stalePid))
                ::kill(static_cast<pid_t>(m_stalePid), SIGKILL);
            wait->deleteLater();
            m_stalePid = 0;
            if (!m_stopping)
                launch();
        }
    });
    wait->start();
}

bool EmbeddedRedis::writeConfig(QString *error)
{
    const QDir dir(m_dataDir);
    QFile conf(dir.filePath(QStringLiteral("redis.conf")));
    // Created owner-only before the secret is written into it.
    if (!conf.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = tr("Cannot write %1: %2").arg(conf.fileName(), conf.errorString());
        return false;
    }
    conf.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QStringList lines{
        QStringLiteral("bind 127.0.0.1"),
        QStringLiteral("port %1").arg(m_port),
        QStringLiteral("protected-mode yes"),
        QStringLiteral("requirepass %1").arg(m_password),
        QStringLiteral("notify-keyspace-events KEA"),
        QStringLiteral("appendonly %1").arg(m_appendOnly ? QStringLiteral("yes") : QStringLiteral("no")),
        QStringLiteral("appendfsync everysec"),
        QStringLiteral("save \"\""),
        QStringLiteral("daemonize no"),
        QStringLiteral("dir \"%1\"").arg(dir.absolutePath()),
        QStringLiteral("pidfile \"%1\"").arg(dir.absoluteFilePath(QStringLiteral("redis.pid"))),
        QStringLiteral("logfile \"%1\"").arg(dir.absoluteFilePath(QStringLiteral("redis.log"))),
        // Pub/sub clients (the event watcher) may lag during a burst of
        // expirations; give them room before Redis disconnects them.
        QStringLiteral("client-output-buffer-limit pubsub 256mb 128mb 60"),
    };
    lines += m_extraConfig;
    conf.write(lines.join(QLatin1Char('\n')).toUtf8());
    conf.write("\n");
    return conf.error() == QFileDevice::NoError;
}

void EmbeddedRedis::launch()
{
    ++m_attempt;
    m_port = (m_attempt == 1 && m_preferredPort != 0) ? m_preferredPort : freeLoopbackPort();
    m_password = randomSecret();
    QString error;
    if (m_port == 0) {
        fail(tr("No free TCP port on 127.0.0.1 for the embedded Redis."));
        return;
    }
    if (!writeConfig(&error)) {
        fail(error);
        return;
    }

    // A probe still in flight was aimed at the previous attempt's port. When
    // that port was taken, it is connected to whoever holds the port, which
    // never answers PING, and since probe() sends one probe at a time no probe
    // would ever reach the new server: start() then failed on its timeout.
    // (A fast build usually saw the failed server exit before the first probe;
    // the sanitizer build, and any busy machine, did not.)
    dropProbe();

    // Relaunches run inside the old process's finished() handler: deleting
    // the sender from its own signal is not safe, so it goes on the next turn.
    if (m_process) {
        m_process->disconnect(this);
        m_process->deleteLater();
    }
    m_process = new QProcess(this);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    // If CacheLab dies without stopping the server, the kernel sends it
    // SIGTERM, so no orphan keeps the port and the data directory.
    // Its own process group: a Ctrl+C or a closed terminal reaches CacheLab,
    // whose clean shutdown (write-behind drain first) then stops the server;
    // the terminal's signal must not stop it first. The kernel still stops
    // it when CacheLab dies.
    m_process->setChildProcessModifier([] {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    });
    connect(m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus) {
        if (m_stopping) {
            m_killTimer.stop();
            emit stopped();
            return;
        }
        const QString log = QString::fromUtf8(m_process->readAll()).trimmed();
        if (!m_ready) {
            m_probeTimer.stop();
            if (m_attempt < MaxLaunchAttempts) {
                // Most often the port was taken between our check and the bind.
                launch();
                return;
            }
            fail(tr("redis-server exited during start (code %1). %2").arg(code).arg(log));
            return;
        }
        m_ready = false;
        emit crashed(tr("The embedded redis-server exited unexpectedly (code %1).").arg(code));
    });
    m_process->start(m_binary, {QDir(m_dataDir).absoluteFilePath(QStringLiteral("redis.conf"))});
    // Records who owns the server, so a second CacheLab on the same data
    // folder shares it instead of treating it as left over from a crash.
    QFile ownerFile(QDir(m_dataDir).filePath(QStringLiteral("owner.pid")));
    if (ownerFile.open(QIODevice::WriteOnly | QIODevice::Truncate))
        ownerFile.write(QByteArray::number(QCoreApplication::applicationPid()));
    m_probeTimer.start();
}

void EmbeddedRedis::probe()
{
    if (m_startClock.elapsed() > m_startTimeoutMs) {
        m_probeTimer.stop();
        stop();
        fail(tr("redis-server did not answer PING within %1 s.").arg(m_startTimeoutMs / 1000));
        return;
    }
    if (m_probeSocket)
        return; // one probe at a time
    m_probeBuffer.clear();
    m_probeSocket = new QTcpSocket(this);
    connect(m_probeSocket, &QTcpSocket::connected, this, [this] {
        m_probeSocket->write("AUTH " + m_password.toLatin1() + "\r\nPING\r\n");
    });
    connect(m_probeSocket, &QTcpSocket::readyRead, this, &EmbeddedRedis::onProbeData);
    connect(m_probeSocket, &QTcpSocket::errorOccurred, this, &EmbeddedRedis::dropProbe);
    connect(m_probeSocket, &QTcpSocket::disconnected, this, &EmbeddedRedis::dropProbe);
    m_probeSocket->connectToHost(QHostAddress::LocalHost, m_port);
}

void EmbeddedRedis::dropProbe()
{
    if (!m_probeSocket)
        return;
    QTcpSocket *socket = std::exchange(m_probeSocket, nullptr);
    socket->disconnect(this); // closed by its destructor; nothing of it reaches us any more
    socket->deleteLater();
}

void EmbeddedRedis::onProbeData()
{
    if (!m_probeSocket)
        return;
    m_probeBuffer += m_probeSocket->readAll();
    if (!m_probeBuffer.contains("+PONG")) {
        // Both replies are in (AUTH's and PING's) and PING was refused: most
        // often "-LOADING" from a server still reading an existing AOF, which
        // already accepts connections. Redis keeps the connection open, so
        // without this the one probe allowed at a time would wait forever;
        // drop it and let the next tick ask again.
        if (m_probeBuffer.count("\r\n") >= 2)
            dropProbe();
        return;
    }
    m_probeSocket->disconnectFromHost();
    m_probeTimer.stop();
    m_ready = true;
    emit ready();
}

void EmbeddedRedis::stop()
{
    m_stopping = true;
    m_probeTimer.stop();
    m_ready = false;
    if (m_sharedPid > 0) {
        // Shared with another running CacheLab: it is theirs to stop.
        m_sharedPid = 0;
        QTimer::singleShot(0, this, &EmbeddedRedis::stopped);
        return;
    }
    if (!m_process || m_process->state() == QProcess::NotRunning) {
        QTimer::singleShot(0, this, &EmbeddedRedis::stopped);
        return;
    }
    // SIGTERM: Redis flushes the AOF and exits; finished() then reports
    // stopped(). Nothing here waits: the kill timer bounds a stuck server.
    m_process->terminate();
    m_killTimer.start();
}

void EmbeddedRedis::fail(const QString &message)
{
    m_probeTimer.stop();
    emit failed(message);
}
