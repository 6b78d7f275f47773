// TestRedisServer: starts and controls a throw-away redis-server for tests.
//
// Every server gets its own temporary directory holding its config file,
// log and unix socket. The unix socket is always on, so readiness checks and
// the synchronous helpers work the same for plain TCP and TLS-only servers.
#include "testredisserver.h"

#include "freeport.h"
#include "redisserverbinary.h"

#include <QDeadlineTimer>
#include <QFile>

#include <hiredis/hiredis.h>

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

namespace {

QByteArray quoted(const QString &value)
{
    QByteArray out = value.toUtf8();
    out.replace('\\', "\\\\");
    out.replace('"', "\\\"");
    return '"' + out + '"';
}

struct ContextDeleter
{
    void operator()(redisContext *c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter
{
    void operator()(redisReply *r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr runCommand(redisContext *c, const QList<QByteArray> &args)
{
    std::vector<const char *> argv;
    std::vector<size_t> lens;
    for (const QByteArray &a : args) {
        argv.push_back(a.constData());
        lens.push_back(size_t(a.size()));
    }
    return ReplyPtr(static_cast<redisReply *>(redisCommandArgv(c, int(argv.size()), argv.data(), lens.data())));
}

// A blocking connection over the unix socket, authenticated if needed.
ContextPtr connectSync(const QString &socketPath, const QString &password, int timeoutMs)
{
    const timeval tv { timeoutMs / 1000, (timeoutMs % 1000) * 1000 };
    ContextPtr c(redisConnectUnixWithTimeout(QFile::encodeName(socketPath).constData(), tv));
    if (!c || c->err)
        return nullptr;
    redisSetTimeout(c.get(), tv);
    if (!password.isEmpty()) {
        ReplyPtr r = runCommand(c.get(), { QByteArrayLiteral("AUTH"), password.toUtf8() });
        if (!r || r->type == REDIS_REPLY_ERROR)
            return nullptr;
    }
    return c;
}

} // namespace

TestRedisServer::TestRedisServer() = default;

TestRedisServer::~TestRedisServer()
{
    kill();
}

void TestRedisServer::setTls(
    const QString &certFile, const QString &keyFile, const QString &caFile, bool requireClientCert)
{
    m_tlsCert = certFile;
    m_tlsKey = keyFile;
    m_tlsCa = caFile;
    m_tlsClientCert = requireClientCert;
}

QString TestRedisServer::socketPath() const
{
    return m_dir ? m_dir->filePath(QStringLiteral("redis.sock")) : QString();
}

qint64 TestRedisServer::pid() const
{
    return m_process ? m_process->processId() : 0;
}

bool TestRedisServer::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

RedisUrl TestRedisServer::url() const
{
    RedisUrl url;
    url.transport = m_tlsCert.isEmpty() ? RedisUrl::Transport::Tcp : RedisUrl::Transport::Tls;
    url.host = QStringLiteral("127.0.0.1");
    url.port = m_port;
    url.password = m_password;
    url.db = 0;
    return url;
}

bool TestRedisServer::start(QString *error)
{
    kill();
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid()) {
        if (error)
            *error = QStringLiteral("cannot create a temporary directory");
        return false;
    }
    // A port taken between freeLoopbackPort() and the server's bind is retried.
    QString lastError;
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freeLoopbackPort();
        if (m_port == 0)
            continue;
        if (launch(&lastError))
            return true;
    }
    if (error)
        *error = lastError;
    return false;
}

bool TestRedisServer::restart(QString *error)
{
    kill();
    if (!m_dir || m_port == 0)
        return start(error);
    // Same port: the old socket may linger in TIME_WAIT, which redis'
    // SO_REUSEADDR handles; retry briefly in case the kernel is slow.
    QString lastError;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (launch(&lastError))
            return true;
    }
    if (error)
        *error = lastError;
    return false;
}

bool TestRedisServer::launch(QString *error)
{
    const QString binary = redisServerBinary();
    if (binary.isEmpty()) {
        *error = QStringLiteral("redis-server not found (set CACHELAB_REDIS_SERVER)");
        return false;
    }

    QByteArray config;
    const auto line
        = [&config](const QByteArray &name, const QByteArray &value) { config += name + ' ' + value + '\n'; };
    line("bind", "127.0.0.1");
    if (m_tlsCert.isEmpty()) {
        line("port", QByteArray::number(m_port));
    } else {
        line("port", "0");
        line("tls-port", QByteArray::number(m_port));
        line("tls-cert-file", quoted(m_tlsCert));
        line("tls-key-file", quoted(m_tlsKey));
        line("tls-ca-cert-file", quoted(m_tlsCa));
        line("tls-auth-clients", m_tlsClientCert ? "yes" : "no");
    }
    line("unixsocket", quoted(socketPath()));
    line("unixsocketperm", "700");
    line("dir", quoted(m_dir->path()));
    line("logfile", quoted(m_dir->filePath(QStringLiteral("redis.log"))));
    line("save", "\"\"");
    line("appendonly", "no");
    line("daemonize", "no");
    if (!m_password.isEmpty())
        line("requirepass", quoted(m_password));
    for (const QString &extra : std::as_const(m_extra))
        config += extra.toUtf8() + '\n';

    const QString configPath = m_dir->filePath(QStringLiteral("redis.conf"));
    QFile file(configPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(config) != config.size()) {
        *error = QStringLiteral("cannot write %1").arg(configPath);
        return false;
    }
    file.close();
    QFile::remove(m_dir->filePath(QStringLiteral("redis.log")));

    m_paused = false;
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(binary);
    m_process->setArguments({ configPath });
    m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process->setStandardOutputFile(QProcess::nullDevice());
    // If the test binary dies, the server must not outlive it.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_process->start();
    if (!m_process->waitForStarted(5000)) {
        *error = QStringLiteral("cannot start %1: %2").arg(binary, m_process->errorString());
        m_process.reset();
        return false;
    }

    // Bounded readiness loop: PING over the unix socket until PONG.
    const QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired()) {
        if (m_process->state() == QProcess::NotRunning)
            break;
        if (ContextPtr c = connectSync(socketPath(), m_password, 200)) {
            ReplyPtr r = runCommand(c.get(), { QByteArrayLiteral("PING") });
            if (r && r->type == REDIS_REPLY_STATUS && QByteArray(r->str, qsizetype(r->len)) == "PONG")
                return true;
        }
        // Doubles as the poll interval and notices an early exit.
        m_process->waitForFinished(25);
    }

    QFile log(m_dir->filePath(QStringLiteral("redis.log")));
    QByteArray tail;
    if (log.open(QIODevice::ReadOnly))
        tail = log.readAll().right(600);
    *error
        = QStringLiteral("redis-server on port %1 did not become ready: %2").arg(m_port).arg(QString::fromUtf8(tail));
    kill();
    return false;
}

void TestRedisServer::kill()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        ::kill(pid_t(m_process->processId()), SIGKILL);
        m_process->waitForFinished(5000);
    }
    m_paused = false;
    m_process.reset();
}

void TestRedisServer::stop()
{
    if (!m_process)
        return;
    if (m_paused)
        resume();
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(5000))
            kill();
    }
    m_process.reset();
}

void TestRedisServer::pause()
{
    if (isRunning()) {
        ::kill(pid_t(m_process->processId()), SIGSTOP);
        m_paused = true;
    }
}

void TestRedisServer::resume()
{
    if (isRunning()) {
        ::kill(pid_t(m_process->processId()), SIGCONT);
        m_paused = false;
    }
}

QByteArray TestRedisServer::syncString(const QList<QByteArray> &args) const
{
    ContextPtr c = connectSync(socketPath(), m_password, 5000);
    if (!c)
        return QByteArray();
    ReplyPtr r = runCommand(c.get(), args);
    if (!r)
        return QByteArray();
    switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        return QByteArray(r->str, qsizetype(r->len));
    case REDIS_REPLY_INTEGER:
        return QByteArray::number(r->integer);
    default:
        return QByteArray();
    }
}

qint64 TestRedisServer::syncInteger(const QList<QByteArray> &args) const
{
    ContextPtr c = connectSync(socketPath(), m_password, 5000);
    if (!c)
        return -1;
    ReplyPtr r = runCommand(c.get(), args);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return QByteArray(r->str, qsizetype(r->len)).toLongLong();
    return -1;
}

QList<QByteArray> TestRedisServer::syncList(const QList<QByteArray> &args) const
{
    QList<QByteArray> out;
    ContextPtr c = connectSync(socketPath(), m_password, 5000);
    if (!c)
        return out;
    ReplyPtr r = runCommand(c.get(), args);
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return out;
    for (size_t i = 0; i < r->elements; ++i) {
        const redisReply *e = r->element[i];
        if (e->type == REDIS_REPLY_INTEGER)
            out.append(QByteArray::number(e->integer));
        else if (e->str)
            out.append(QByteArray(e->str, qsizetype(e->len)));
        else
            out.append(QByteArray());
    }
    return out;
}
