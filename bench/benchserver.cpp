// BenchServer: a private redis-server per scenario, or an external one.
#include "benchserver.h"

#include "freeport.h"
#include "rawredis.h"
#include "redisserverbinary.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QThread>

BenchServer::~BenchServer()
{
    stop();
}

bool BenchServer::startChild(const QStringList &extraArgs, QString *error)
{
    stop();
    const QString binary = redisServerBinary();
    if (binary.isEmpty()) {
        *error = QStringLiteral("redis-server not found (install redis-server or set CACHELAB_REDIS_SERVER)");
        return false;
    }
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid()) {
        *error = QStringLiteral("cannot create a temporary directory: %1").arg(m_dir->errorString());
        return false;
    }
    // A port taken by someone else before the child binds makes it exit;
    // the next attempt asks for another port.
    for (int attempt = 0; attempt < 3; ++attempt) {
        const quint16 port = freeLoopbackPort();
        QStringList args { QStringLiteral("--port"), QString::number(port), QStringLiteral("--bind"),
            QStringLiteral("127.0.0.1"), QStringLiteral("--dir"), m_dir->path(), QStringLiteral("--logfile"), logPath(),
            QStringLiteral("--save"), QString(), QStringLiteral("--appendonly"), QStringLiteral("no"),
            QStringLiteral("--daemonize"), QStringLiteral("no") };
        args << extraArgs;
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process->setStandardOutputFile(QProcess::nullDevice());
        m_process->start(binary, args);
        if (!m_process->waitForStarted(5000)) {
            *error = QStringLiteral("cannot start %1: %2").arg(binary, m_process->errorString());
            m_process.reset();
            return false;
        }
        m_url = RedisUrl {};
        m_url.host = QStringLiteral("127.0.0.1");
        m_url.port = port;
        m_url.clientName = QStringLiteral("cachelab-bench");

        // Wait until it answers PING, or exits (port taken: try another).
        const QDeadlineTimer deadline(10000);
        RawRedis probe;
        while (!deadline.hasExpired() && m_process->state() == QProcess::Running) {
            QString ignored;
            if (probe.connect(m_url, &ignored) && probe.exec({ QByteArrayLiteral("PING") }))
                return readVersion(error);
            QThread::msleep(20);
        }
        const QByteArray log = logText();
        m_process->kill();
        m_process->waitForFinished(3000);
        m_process.reset();
        *error = QStringLiteral("redis-server did not come up on port %1: %2")
                     .arg(port)
                     .arg(QString::fromLocal8Bit(log.right(400)));
    }
    return false;
}

bool BenchServer::useExternal(const RedisUrl &url, bool allowFlush, QString *error)
{
    stop();
    m_url = url;
    RawRedis raw;
    if (!raw.connect(url, error))
        return false;
    qint64 keys = 0;
    if (!raw.exec({ QByteArrayLiteral("DBSIZE") }, nullptr, &keys)) {
        *error = raw.lastError();
        return false;
    }
    if (keys > 0 && !allowFlush) {
        *error = QStringLiteral("database %1 on %2 holds %3 keys; the bench flushes it, so pass --flush to allow that")
                     .arg(url.db)
                     .arg(url.endpoint())
                     .arg(keys);
        return false;
    }
    return flush(error) && readVersion(error);
}

bool BenchServer::readVersion(QString *error)
{
    RawRedis raw;
    if (!raw.connect(m_url, error))
        return false;
    QByteArray info;
    if (!raw.exec({ QByteArrayLiteral("INFO"), QByteArrayLiteral("server") }, &info)) {
        *error = raw.lastError();
        return false;
    }
    for (const QByteArray &line : info.split('\n')) {
        if (line.startsWith("redis_version:"))
            m_version = QString::fromLatin1(line.mid(14).trimmed());
    }
    return true;
}

void BenchServer::stop()
{
    if (m_process) {
        RawRedis raw;
        QString ignored;
        if (raw.connect(m_url, &ignored))
            raw.command({ QByteArrayLiteral("SHUTDOWN"), QByteArrayLiteral("NOSAVE") });
        if (!m_process->waitForFinished(3000)) {
            m_process->kill();
            m_process->waitForFinished(3000);
        }
        m_process.reset();
    }
    m_dir.reset();
}

QString BenchServer::logPath() const
{
    return m_dir ? m_dir->filePath(QStringLiteral("redis.log")) : QString();
}

QByteArray BenchServer::logText() const
{
    QFile f(logPath());
    if (logPath().isEmpty() || !f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

bool BenchServer::configSet(const QByteArray &name, const QByteArray &value, QString *error)
{
    RawRedis raw;
    if (!raw.connect(m_url, error))
        return false;
    if (!raw.exec({ QByteArrayLiteral("CONFIG"), QByteArrayLiteral("SET"), name, value })) {
        *error = QStringLiteral("CONFIG SET %1 failed: %2").arg(QString::fromLatin1(name), raw.lastError());
        return false;
    }
    return true;
}

bool BenchServer::flush(QString *error)
{
    RawRedis raw;
    if (!raw.connect(m_url, error))
        return false;
    if (!raw.exec({ QByteArrayLiteral("FLUSHDB") })) {
        *error = raw.lastError();
        return false;
    }
    return true;
}
