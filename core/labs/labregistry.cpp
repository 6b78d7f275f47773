// LabRegistry: the list of labs.
#include "labregistry.h"

#include "approxlrulab.h"
#include "lfucounterlab.h"
#include "missratiolab.h"

namespace LabRegistry {

QStringList names()
{
    return { QStringLiteral("lfu-counter"), QStringLiteral("approx-lru"), QStringLiteral("miss-ratio-curve") };
}

std::unique_ptr<Lab> create(const QString &name, QObject *parent)
{
    if (name == QLatin1String("lfu-counter"))
        return std::make_unique<LfuCounterLab>(parent);
    if (name == QLatin1String("approx-lru"))
        return std::make_unique<ApproxLruLab>(parent);
    if (name == QLatin1String("miss-ratio-curve"))
        return std::make_unique<MissRatioLab>(parent);
    return nullptr;
}

} // namespace LabRegistry
