// LabServer: start, connect, run commands on the lab's own redis-server.
#include "labserver.h"

#include "embeddedredis.h"

#include <QCoreApplication>
#include <QElapsedTimer>

LabServer::LabServer(QObject *parent)
    : QObject(parent)
{ }

namespace {
int s_stopping = 0;
}

LabServer::~LabServer()
{
    m_client.reset();
    retire(std::move(m_server), std::move(m_dir));
}

void LabServer::retire(std::unique_ptr<EmbeddedRedis> owned, std::unique_ptr<QTemporaryDir> ownedDir)
{
    if (!owned || !owned->isRunning())
        return;
    EmbeddedRedis *server = owned.release();
    QTemporaryDir *dir = ownedDir.release();
    server->disconnect();
    server->setParent(QCoreApplication::instance());
    ++s_stopping;
    connect(server, &EmbeddedRedis::stopped, server, [server, dir] {
        --s_stopping;
        server->deleteLater();
        delete dir;
    });
    server->stop();
}

int LabServer::stopping()
{
    return s_stopping;
}

void LabServer::waitForStopped(int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (s_stopping > 0 && clock.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
}

RedisUrl LabServer::url() const
{
    return m_server ? m_server->url() : RedisUrl {};
}

qint64 LabServer::pid() const
{
    return m_server ? m_server->pid() : 0;
}

void LabServer::start()
{
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid()) {
        emit failed(tr("Could not make a temporary directory for the lab's redis-server: %1").arg(m_dir->errorString()));
        return;
    }
    m_server = std::make_unique<EmbeddedRedis>(m_dir->path());
    m_server->setAppendOnly(false);
    // The lab sets maxmemory and the policies itself; no events are needed.
    m_server->setExtraConfig({ QStringLiteral("notify-keyspace-events \"\"") });
    connect(m_server.get(), &EmbeddedRedis::failed, this, &LabServer::failed);
    connect(m_server.get(), &EmbeddedRedis::crashed, this, &LabServer::failed);
    connect(m_server.get(), &EmbeddedRedis::ready, this, [this] {
        RedisUrl url = m_server->url();
        url.clientName = QStringLiteral("cachelab-lab");
        m_client = std::make_unique<RedisClient>(url);
        // A lab's batches are large; a slow box must not abort them.
        m_client->setCommandTimeout(30000);
        connect(m_client.get(), &RedisClient::connected, this, [this] {
            if (!m_ready) {
                m_ready = true;
                emit ready();
            }
        });
        m_client->connectToServer();
    });
    m_server->start();
}

void LabServer::call(const RedisCommand &args, std::function<void(const RedisReply &)> done)
{
    m_client->command(args, this, std::move(done));
}

void LabServer::pipeline(const QList<RedisCommand> &commands, std::function<void(const QList<RedisReply> &)> done)
{
    m_client->pipeline(commands, this, std::move(done));
}

void LabServer::infoField(const QByteArray &section, const QByteArray &field,
    std::function<void(qint64, QString)> done)
{
    call({ QByteArrayLiteral("INFO"), section }, [field, done = std::move(done)](const RedisReply &r) {
        if (r.isError()) {
            done(0, r.errorMessage());
            return;
        }
        const QByteArray prefix = field + ':';
        for (const QByteArray &line : r.bytes().split('\n')) {
            if (line.startsWith(prefix)) {
                done(line.mid(prefix.size()).trimmed().toLongLong(), {});
                return;
            }
        }
        done(0, {});
    });
}
