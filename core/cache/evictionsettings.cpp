// EvictionSettings: the policies Redis 7 knows, and their checks.
#include "evictionsettings.h"

QStringList EvictionSettings::policies()
{
    return { QStringLiteral("noeviction"), QStringLiteral("allkeys-lru"), QStringLiteral("allkeys-lfu"),
        QStringLiteral("allkeys-random"), QStringLiteral("volatile-lru"), QStringLiteral("volatile-lfu"),
        QStringLiteral("volatile-random"), QStringLiteral("volatile-ttl") };
}

bool EvictionSettings::isValidPolicy(const QString &policy)
{
    return policies().contains(policy);
}

bool EvictionSettings::isAllKeysPolicy(const QString &policy)
{
    return policy.startsWith(QLatin1String("allkeys-"));
}

QString EvictionSettings::validate() const
{
    if (maxmemoryBytes < 0)
        return QStringLiteral("maxmemory must be 0 (no limit) or a positive number of bytes.");
    if (!isValidPolicy(policy))
        return QStringLiteral("Unknown eviction policy \"%1\"; use one of: %2.")
            .arg(policy, policies().join(QStringLiteral(", ")));
    if (samples < 1 || samples > 64)
        return QStringLiteral("maxmemory-samples must be between 1 and 64.");
    return {};
}
