// Operation: trace bookkeeping of one call in flight.
#include "operation.h"

Operation::Operation(quint64 id, OperationKind what, StrategyKind strategy, qint64 productId)
    : m_what(what)
{
    start(id, operationName(what), strategy, productId);
}

Operation::Operation(quint64 id, const QString &name, StrategyKind strategy, qint64 productId)
    : m_what(operationKindFromName(name))
{
    start(id, name, strategy, productId);
}

void Operation::start(quint64 id, const QString &name, StrategyKind strategy, qint64 productId)
{
    trace.id = id;
    trace.operation = name;
    trace.strategy = strategy;
    trace.productId = productId;
    // A cache hit writes two steps, most calls a handful: one allocation
    // up front instead of a regrow on the second step.
    trace.steps.reserve(4);
    trace.started = QDateTime::currentDateTimeUtc();
    m_clock.start();
}

void Operation::step(
    TraceSystem system, const QString &text, TraceOutcome outcome, qint64 micros, const QString &detail)
{
    // Steps arriving after finish() (a fire-and-forget tail) are dropped: the
    // trace was already published.
    if (m_finished)
        return;
    trace.steps.append(TraceStep { system, text, outcome, micros, detail });
}

void Operation::finish(ServiceResult result)
{
    if (m_finished)
        return;
    trace.totalMicros = elapsedMicros();
    m_finished = true;
    if (finisher)
        finisher(*this, std::move(result));
}

void Operation::fail(ServiceStatus status, const QString &error)
{
    ServiceResult r;
    r.status = status;
    r.error = error;
    finish(std::move(r));
}
