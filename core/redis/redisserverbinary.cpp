// redisserverbinary.cpp: the one search for the redis-server program.
#include "redisserverbinary.h"

#include <QFileInfo>
#include <QStandardPaths>

QString redisServerBinary()
{
    const QString fromEnv = qEnvironmentVariable("CACHELAB_REDIS_SERVER");
    if (!fromEnv.isEmpty())
        return QFileInfo(fromEnv).isExecutable() ? fromEnv : QString();
    const QString name = QStringLiteral("redis-server");
    const QString onPath = QStandardPaths::findExecutable(name);
    if (!onPath.isEmpty())
        return onPath;
    // Desktop launchers often start programs with a short PATH; these are
    // where distribution packages and "make install" put the server.
    return QStandardPaths::findExecutable(
        name, { QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/bin") });
}
