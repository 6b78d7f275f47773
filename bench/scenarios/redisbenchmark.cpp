// redis-benchmark: hit-seq vs redis-benchmark's own figure (see redisbenchmark.h).
#include "redisbenchmark.h"

#include "benchserver.h"

#include <QProcess>
#include <QStandardPaths>

QString RedisBenchmarkScenario::description() const
{
    return QStringLiteral("hit-seq's ProductService::get loop | redis-benchmark -c 1 -n N HGETALL product:1");
}

QString RedisBenchmarkScenario::findTool()
{
    return QStandardPaths::findExecutable(QStringLiteral("redis-benchmark"));
}

QString RedisBenchmarkScenario::skipReason() const
{
    return findTool().isEmpty() ? QStringLiteral("redis-benchmark is not installed (package redis-tools)") : QString();
}

double RedisBenchmarkScenario::parseCsvRps(const QByteArray &csv)
{
    // "test","rps",...\n"HGETALL product:1","55555.56",...
    for (const QByteArray &line : csv.split('\n')) {
        const QList<QByteArray> cells = line.trimmed().split(',');
        if (cells.size() < 2 || cells.at(0) == "\"test\"")
            continue;
        QByteArray rps = cells.at(1);
        rps.replace('"', QByteArray());
        bool ok = false;
        const double v = rps.toDouble(&ok);
        if (ok && v > 0)
            return v;
    }
    return 0;
}

Sample RedisBenchmarkScenario::runBaseline(int)
{
    const RedisUrl url = m_ctx.server->url();
    QStringList args;
    if (url.transport == RedisUrl::Transport::Unix)
        args << QStringLiteral("-s") << url.socketPath;
    else
        args << QStringLiteral("-h") << url.host << QStringLiteral("-p") << QString::number(url.port);
    if (url.db != 0)
        args << QStringLiteral("--dbnum") << QString::number(url.db);
    if (!url.user.isEmpty())
        args << QStringLiteral("--user") << url.user;
    if (!url.password.isEmpty()) {
        // redis-benchmark 7.0 takes a password only on its command line (no
        // REDISCLI_AUTH): only an external --redis server with a password
        // gets here; a bench-started server has none.
        args << QStringLiteral("--no-auth-warning") << QStringLiteral("-a") << url.password;
    }
    args << QStringLiteral("-c") << QStringLiteral("1") << QStringLiteral("-n") << QString::number(m_ctx.n)
         << QStringLiteral("--csv") << QStringLiteral("HGETALL") << QString::fromLatin1(m_key);
    QProcess tool;
    tool.start(findTool(), args);
    if (!tool.waitForFinished(600000) || tool.exitStatus() != QProcess::NormalExit || tool.exitCode() != 0) {
        return Sample::failed(QStringLiteral("redis-benchmark failed: %1 %2")
                                  .arg(tool.errorString(), QString::fromLocal8Bit(tool.readAllStandardError())));
    }
    const double rps = parseCsvRps(tool.readAllStandardOutput());
    if (rps <= 0)
        return Sample::failed(QStringLiteral("no rps figure in redis-benchmark's --csv output"));
    // redis-benchmark reports a rate; express it as the same N over the time it implies.
    return Sample::throughput(m_ctx.n, double(m_ctx.n) / rps);
}
