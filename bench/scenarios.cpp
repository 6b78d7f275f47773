// The scenario list (see scenarios.h). Order: cheap first, the key browser loads last.
#include "scenarios.h"

#include "expireburst.h"
#include "hitconcurrent.h"
#include "hitseq.h"
#include "keys1m.h"
#include "missfill.h"
#include "redisbenchmark.h"
#include "startup.h"
#include "wbaccept.h"
#include "wbdrain.h"
#include "writelatency.h"

namespace {
template<typename T> ScenarioEntry entry()
{
    return { T().name(), [] { return std::unique_ptr<Scenario>(new T); } };
}
} // namespace

QList<ScenarioEntry> allScenarios()
{
    return {
        entry<HitSeqScenario>(),
        entry<HitConcurrentScenario>(),
        entry<MissFillScenario>(),
        entry<WbAcceptScenario>(),
        entry<WbDrainScenario>(),
        entry<WriteLatencyScenario>(),
        entry<ExpireBurstScenario>(),
        entry<RedisBenchmarkScenario>(),
        entry<StartupScenario>(),
        entry<Keys1mScenario>(),
        entry<Keys10mScenario>(),
    };
}
