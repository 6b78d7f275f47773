// The scenario list: names in the order `all` runs them.
#pragma once

#include "scenario.h"

struct ScenarioEntry final
{
    QString name;
    ScenarioFactory create;
};

QList<ScenarioEntry> allScenarios();
