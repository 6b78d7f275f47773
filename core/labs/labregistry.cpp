// LabRegistry: the list of labs.
#include "labregistry.h"

#include "approxlrulab.h"
#include "avalanchelab.h"
#include "lfucounterlab.h"
#include "missratiolab.h"
#include "shootoutlab.h"
#include "stalesetlab.h"
#include "stampedelab.h"
#include "writepathslab.h"

namespace LabRegistry {

QStringList names()
{
    return { QStringLiteral("lfu-counter"), QStringLiteral("approx-lru"), QStringLiteral("miss-ratio-curve"), QStringLiteral("stampede"), QStringLiteral("stale-set"), QStringLiteral("avalanche-and-penetration"), QStringLiteral("write-paths-under-crash"),
        QStringLiteral("strategy-shoot-out") };
}

std::unique_ptr<Lab> create(const QString &name, QObject *parent)
{
    if (name == QLatin1String("lfu-counter"))
        return std::make_unique<LfuCounterLab>(parent);
    if (name == QLatin1String("approx-lru"))
        return std::make_unique<ApproxLruLab>(parent);
    if (name == QLatin1String("miss-ratio-curve"))
        return std::make_unique<MissRatioLab>(parent);
    if (name == QLatin1String("stampede"))
        return std::make_unique<StampedeLab>(parent);
    if (name == QLatin1String("stale-set"))
        return std::make_unique<StaleSetLab>(parent);
    if (name == QLatin1String("avalanche-and-penetration"))
        return std::make_unique<AvalancheLab>(parent);
    if (name == QLatin1String("strategy-shoot-out"))
        return std::make_unique<ShootOutLab>(parent);
    if (name == QLatin1String("write-paths-under-crash"))
        return std::make_unique<WritePathsLab>(parent);
    return nullptr;
}

} // namespace LabRegistry
