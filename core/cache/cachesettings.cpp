// CacheSettings: ranges, names and JSON form of the service knobs.
#include "cachesettings.h"

#include <algorithm>
#include <array>

namespace {
struct ModeName
{
    StampedeMode mode;
    const char *name;
};
constexpr std::array<ModeName, 4> kModes { {
    { StampedeMode::Off, "off" },
    { StampedeMode::SingleFlight, "single-flight" },
    { StampedeMode::RedisLock, "lock" },
    { StampedeMode::EarlyRefresh, "xfetch" },
} };
} // namespace

QString stampedeModeName(StampedeMode mode)
{
    for (const ModeName &m : kModes) {
        if (m.mode == mode)
            return QString::fromLatin1(m.name);
    }
    return QStringLiteral("off");
}

std::optional<StampedeMode> stampedeModeFromName(const QString &name)
{
    const QString wanted = name.trimmed().toLower();
    for (const ModeName &m : kModes) {
        if (wanted == QLatin1String(m.name))
            return m.mode;
    }
    return std::nullopt;
}

QStringList stampedeModeNames()
{
    QStringList out;
    for (const ModeName &m : kModes)
        out << QString::fromLatin1(m.name);
    return out;
}

CacheSettings CacheSettings::clamped() const
{
    CacheSettings s = *this;
    s.ttlSeconds = std::clamp(s.ttlSeconds, 1, 86400);
    s.ttlJitterPercent = std::clamp(s.ttlJitterPercent, 0, 50);
    s.negativeTtlSeconds = std::clamp(s.negativeTtlSeconds, 0, 3600);
    s.guardTtlSeconds = std::clamp(s.guardTtlSeconds, 1, 3600);
    s.readDeadlineMs = std::clamp(s.readDeadlineMs, 0, 10000);
    s.lockTtlMs = std::clamp(s.lockTtlMs, 100, 60000);
    s.lockWaitMs = std::clamp(s.lockWaitMs, 100, 60000);
    s.xfetchBeta = std::clamp(s.xfetchBeta, 0.1, 10.0);
    s.writeBehindBatchSize = std::clamp(s.writeBehindBatchSize, 1, 10000);
    s.writeBehindFlushIntervalMs = std::clamp(s.writeBehindFlushIntervalMs, 10, 60000);
    s.recentLimit = std::clamp(s.recentLimit, 1, 100);
    s.warmUpBatchSize = std::clamp(s.warmUpBatchSize, 1, 10000);
    if (s.invalidationChannel.trimmed().isEmpty())
        s.invalidationChannel = QStringLiteral("cachelab:invalidate");
    return s;
}

QJsonObject CacheSettings::toJson() const
{
    return QJsonObject {
        { QStringLiteral("keyPrefix"), keyPrefix },
        { QStringLiteral("ttlSeconds"), ttlSeconds },
        { QStringLiteral("ttlJitterPercent"), ttlJitterPercent },
        { QStringLiteral("negativeTtlSeconds"), negativeTtlSeconds },
        { QStringLiteral("guardTtlSeconds"), guardTtlSeconds },
        { QStringLiteral("readDeadlineMs"), readDeadlineMs },
        { QStringLiteral("staleSetGuard"), staleSetGuard },
        { QStringLiteral("stampede"), stampedeModeName(stampede) },
        { QStringLiteral("lockTtlMs"), lockTtlMs },
        { QStringLiteral("lockWaitMs"), lockWaitMs },
        { QStringLiteral("xfetchBeta"), xfetchBeta },
        { QStringLiteral("writeBehindBatchSize"), writeBehindBatchSize },
        { QStringLiteral("writeBehindFlushIntervalMs"), writeBehindFlushIntervalMs },
        { QStringLiteral("recentLimit"), recentLimit },
        { QStringLiteral("trackRecent"), trackRecent },
        { QStringLiteral("warmUpBatchSize"), warmUpBatchSize },
        { QStringLiteral("invalidationChannel"), invalidationChannel },
        { QStringLiteral("publishInvalidations"), publishInvalidations },
    };
}

CacheSettings CacheSettings::fromJson(const QJsonObject &j, const CacheSettings &base)
{
    CacheSettings s = base;
    auto intOf = [&](const char *key, int &field) {
        const QString k = QString::fromLatin1(key);
        if (j.contains(k))
            field = j.value(k).toInt(field);
    };
    auto boolOf = [&](const char *key, bool &field) {
        const QString k = QString::fromLatin1(key);
        if (j.contains(k))
            field = j.value(k).toBool(field);
    };
    if (j.contains(QStringLiteral("keyPrefix")))
        s.keyPrefix = j.value(QStringLiteral("keyPrefix")).toString();
    intOf("ttlSeconds", s.ttlSeconds);
    intOf("ttlJitterPercent", s.ttlJitterPercent);
    intOf("negativeTtlSeconds", s.negativeTtlSeconds);
    intOf("guardTtlSeconds", s.guardTtlSeconds);
    intOf("readDeadlineMs", s.readDeadlineMs);
    boolOf("staleSetGuard", s.staleSetGuard);
    if (j.contains(QStringLiteral("stampede"))) {
        if (auto m = stampedeModeFromName(j.value(QStringLiteral("stampede")).toString()))
            s.stampede = *m;
    }
    intOf("lockTtlMs", s.lockTtlMs);
    intOf("lockWaitMs", s.lockWaitMs);
    if (j.contains(QStringLiteral("xfetchBeta")))
        s.xfetchBeta = j.value(QStringLiteral("xfetchBeta")).toDouble(s.xfetchBeta);
    intOf("writeBehindBatchSize", s.writeBehindBatchSize);
    intOf("writeBehindFlushIntervalMs", s.writeBehindFlushIntervalMs);
    intOf("recentLimit", s.recentLimit);
    boolOf("trackRecent", s.trackRecent);
    intOf("warmUpBatchSize", s.warmUpBatchSize);
    if (j.contains(QStringLiteral("invalidationChannel")))
        s.invalidationChannel = j.value(QStringLiteral("invalidationChannel")).toString();
    boolOf("publishInvalidations", s.publishInvalidations);
    return s.clamped();
}
