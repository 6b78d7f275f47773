// startup: launch to first answer, the program against a bare redis-server (see startup.h).
#include "startup.h"

#include "benchloop.h"
#include "freeport.h"
#include "productfixture.h"
#include "rawredis.h"
#include "redisserverbinary.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTcpSocket>
#include <QThread>

#include <algorithm>

namespace {

constexpr double MiB = 1024.0 * 1024.0;
constexpr int LaunchTimeoutMs = 20000;

// The children of pid (the embedded redis-server), from /proc.
QList<qint64> childrenOf(qint64 pid)
{
    QList<qint64> out;
    QFile file(QStringLiteral("/proc/%1/task/%1/children").arg(pid));
    if (file.open(QIODevice::ReadOnly)) {
        for (const QByteArray &id : file.readAll().split(' ')) {
            if (!id.trimmed().isEmpty())
                out << id.trimmed().toLongLong();
        }
    }
    return out;
}

// One HTTP/1.1 GET on loopback; true when it answered 200.
bool get200(quint16 port, const QByteArray &path)
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(200))
        return false;
    socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if (!socket.waitForBytesWritten(1000))
        return false;
    QByteArray reply;
    while (!reply.contains("\r\n") && socket.waitForReadyRead(2000))
        reply += socket.readAll();
    return reply.startsWith("HTTP/1.1 200");
}

// Ends a child: SIGTERM (a clean shutdown), then SIGKILL after 10 s.
void stopChild(QProcess &process)
{
    if (process.state() == QProcess::NotRunning)
        return;
    process.terminate();
    if (!process.waitForFinished(10000)) {
        process.kill();
        process.waitForFinished(5000);
    }
}

} // namespace

QString StartupScenario::description() const
{
    return QStringLiteral("cachelab launch -> window + embedded Redis answering (first API GET) | redis-server "
                          "launch -> first PONG");
}

QString StartupScenario::appBinary()
{
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("cachelab"));
}

QString StartupScenario::skipReason() const
{
    if (!QFileInfo(appBinary()).isExecutable())
        return QStringLiteral("the cachelab program is not next to cachelab-bench (%1)").arg(appBinary());
    if (redisServerBinary().isEmpty())
        return QStringLiteral("redis-server not found");
    return {};
}

bool StartupScenario::setUp(const BenchContext &ctx, QString *error)
{
    m_ctx = ctx;
    m_dbTemplate = QDir(ctx.workDir).filePath(QStringLiteral("startup-template.db"));
    ProductFixture fixture;
    if (!fixture.openDatabase(m_dbTemplate, std::max<qint64>(ctx.n, 1), error))
        return false;
    fixture.shutdown();
    return true;
}

Sample StartupScenario::runBaseline(int round)
{
    // The same kind of server the program embeds: loopback, no RDB/AOF on
    // disk; the figure is process start to first answer.
    const QString dir = QDir(m_ctx.workDir).filePath(QStringLiteral("bare-%1").arg(round));
    QDir().mkpath(dir);
    const quint16 port = freeLoopbackPort();
    QProcess server;
    server.setStandardOutputFile(QProcess::nullDevice());
    server.setStandardErrorFile(QProcess::nullDevice());
    RedisUrl url;
    url.host = QStringLiteral("127.0.0.1");
    url.port = port;
    QElapsedTimer clock;
    clock.start();
    server.start(redisServerBinary(),
        { QStringLiteral("--port"), QString::number(port), QStringLiteral("--bind"), QStringLiteral("127.0.0.1"),
            QStringLiteral("--dir"), dir, QStringLiteral("--save"), QString(), QStringLiteral("--appendonly"),
            QStringLiteral("no") });
    const QDeadlineTimer deadline(LaunchTimeoutMs);
    bool answered = false;
    while (!deadline.hasExpired() && server.state() != QProcess::NotRunning) {
        RawRedis probe;
        QString ignored;
        if (probe.connect(url, &ignored) && probe.exec({ QByteArrayLiteral("PING") })) {
            answered = true;
            break;
        }
        QThread::msleep(1);
    }
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    stopChild(server);
    if (!answered)
        return Sample::failed(QStringLiteral("the bare redis-server did not answer PING"));
    Sample s = Sample::throughput(1, seconds);
    s.value = seconds;
    return s;
}

Sample StartupScenario::runCacheLab(int round)
{
    // A fresh profile each round (no saved window layout, its own embedded
    // server directory) and a copy of the seeded database.
    const QString home = QDir(m_ctx.workDir).filePath(QStringLiteral("home-%1").arg(round));
    QDir().mkpath(home);
    const QString db = QDir(home).filePath(QStringLiteral("products.db"));
    QFile::remove(db);
    if (!QFile::copy(m_dbTemplate, db))
        return Sample::failed(QStringLiteral("cannot copy the database to %1").arg(db));
    const quint16 port = freeLoopbackPort();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), QDir(home).filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), QDir(home).filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), QDir(home).filePath(QStringLiteral("cache")));
    env.remove(QStringLiteral("CACHELAB_REDIS_URL"));
    QProcess app;
    app.setProcessEnvironment(env);
    app.setStandardOutputFile(QProcess::nullDevice());
    app.setStandardErrorFile(QDir(home).filePath(QStringLiteral("stderr.txt")));

    QElapsedTimer clock;
    clock.start();
    app.start(appBinary(), { QStringLiteral("--db"), db, QStringLiteral("--api-port"), QString::number(port) });
    const QDeadlineTimer deadline(LaunchTimeoutMs);
    bool answered = false;
    while (!deadline.hasExpired() && app.state() != QProcess::NotRunning) {
        if (get200(port, QByteArrayLiteral("/product/1"))) {
            answered = true;
            break;
        }
        QThread::msleep(1);
    }
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    const qint64 pid = app.processId();
    const qint64 appRss = answered ? BenchLoop::residentBytesOf(pid) : -1;
    qint64 serverRss = 0;
    for (qint64 child : childrenOf(pid))
        serverRss += BenchLoop::residentBytesOf(child);
    stopChild(app);
    if (!answered) {
        QFile log(QDir(home).filePath(QStringLiteral("stderr.txt")));
        log.open(QIODevice::ReadOnly);
        return Sample::failed(QStringLiteral("cachelab did not answer GET /product/1 within %1 ms (exit %2): %3")
                                  .arg(LaunchTimeoutMs)
                                  .arg(app.exitCode())
                                  .arg(QString::fromUtf8(log.readAll().trimmed().right(400))));
    }
    if (app.exitStatus() != QProcess::NormalExit)
        return Sample::failed(QStringLiteral("cachelab did not shut down cleanly on SIGTERM"));
    Sample s = Sample::throughput(1, seconds);
    s.value = seconds;
    s.extra.insert(QStringLiteral("rss_mib"), double(appRss) / MiB);
    s.extra.insert(QStringLiteral("embedded_redis_rss_mib"), double(serverRss) / MiB);
    return s;
}

Evaluation StartupScenario::evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const
{
    Evaluation e = Scenario::evaluate(baseline, cachelab);
    const double bare = median(baseline);
    const double program = median(cachelab);
    QList<double> rss;
    QList<double> serverRss;
    for (const Sample &s : cachelab) {
        if (s.ok) {
            rss << s.extra.value(QStringLiteral("rss_mib")).toDouble();
            serverRss << s.extra.value(QStringLiteral("embedded_redis_rss_mib")).toDouble();
        }
    }
    const double worstRss = rss.isEmpty() ? 0 : *std::max_element(rss.begin(), rss.end());
    const double relativeLimit = RelativeGoalFactor * bare + RelativeGoalExtraSeconds;
    const bool absoluteMet = program <= AbsoluteGoalSeconds;
    const bool relativeMet = program <= relativeLimit;
    const bool memoryMet = !rss.isEmpty() && worstRss <= MemoryGoalMiB;
    e.met = absoluteMet && relativeMet && memoryMet && !cachelab.isEmpty();
    e.fields.insert(QStringLiteral("startup_seconds"), program);
    e.fields.insert(QStringLiteral("bare_redis_seconds"), bare);
    e.fields.insert(QStringLiteral("absolute_goal_seconds"), AbsoluteGoalSeconds);
    e.fields.insert(QStringLiteral("absolute_met"), absoluteMet);
    e.fields.insert(QStringLiteral("relative_limit_seconds"), relativeLimit);
    e.fields.insert(QStringLiteral("relative_met"), relativeMet);
    e.fields.insert(QStringLiteral("rss_mib"), worstRss);
    e.fields.insert(QStringLiteral("rss_source"),
        QStringLiteral("VmRSS of the cachelab process after the first answer, worst round"));
    e.fields.insert(QStringLiteral("embedded_redis_rss_mib"), medianOf(serverRss));
    e.fields.insert(QStringLiteral("memory_goal_mib"), MemoryGoalMiB);
    e.fields.insert(QStringLiteral("memory_met"), memoryMet);
    e.notes << QStringLiteral("%1 s (limit %2 s)")
                   .arg(program, 0, 'f', 3)
                   .arg(std::min(AbsoluteGoalSeconds, relativeLimit), 0, 'f', 3)
            << QStringLiteral("RSS %1 MiB").arg(worstRss, 0, 'f', 1);
    return e;
}
