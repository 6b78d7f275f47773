// TraceSink: where a finished trace goes to be seen and counted.
//
// ProductService is the sink of the window and the API: a trace handed to it
// gets the next operation id, is counted in the metrics (per operation and
// strategy, failures apart) and is emitted to the trace panel, exactly as the
// service's own operations are. Code that runs Redis calls outside the
// service (key actions, the catalog) records its traces here, so nothing the
// program sends is missing from either the trace or the metrics.
#pragma once

#include "operationtrace.h"

class TraceSink
{
public:
    /// Publishes trace; returns the id it was given.
    virtual quint64 recordTrace(OperationTrace trace) = 0;

protected:
    ~TraceSink() = default;
};
