// MetricsExport: the service's metrics and Redis's INFO figures as one CSV
// table in long form: metric, operation, strategy, value.
//
// - The service's counters are the fields of MetricsSnapshot::toJson() (the
//   names the HTTP API's /metrics uses), one row each, operation and
//   strategy empty: "hits,,,12".
// - Each latency series gives one row per figure, named as in that JSON:
//   "p99Micros,get,cache-aside,830".
// - Redis's figures (when an INFO sample exists) are prefixed "redis.":
//   "redis.usedMemory,,,2516582".
// One table in long form keeps every figure in a column a spreadsheet can
// pivot, whatever the service adds to its snapshot later.
#pragma once

#include "cachemetrics.h"
#include "infopoller.h"

#include <QStringList>

class MetricsExport final
{
public:
    static QStringList csvColumns();
    /// info without a valid sampledAt contributes no rows.
    static QString toCsv(const MetricsSnapshot &metrics, const RedisServerInfo &info = {});
};
