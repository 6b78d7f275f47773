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

TraceOutcome Operation::outcomeFor(const ServiceResult &r) const
{
    switch (r.status) {
    case ServiceStatus::Ok:
        if (what() == OperationKind::Get) {
            if (r.fromCache)
                return TraceOutcome::Hit;
            return kind() == StrategyKind::None ? TraceOutcome::Ok : TraceOutcome::Miss;
        }
        if (kind() == StrategyKind::WriteBehind && what() != OperationKind::Flush) {
            // A save whose id already waited in the queue says so, as its
            // diagram does: the worker writes only the newest state, once.
            if (trace.hasStep(TraceOutcome::Queue))
                return TraceOutcome::Queue;
            if (trace.hasStep(TraceSystem::Redis, TraceOutcome::Coalesced))
                return TraceOutcome::Coalesced;
        }
        return TraceOutcome::Ok;
    case ServiceStatus::NotFound:
        return r.fromCache ? TraceOutcome::NegativeHit : TraceOutcome::NotFound;
    case ServiceStatus::Invalid:
        return TraceOutcome::Invalid;
    case ServiceStatus::Conflict:
        return TraceOutcome::Conflict;
    case ServiceStatus::Unavailable:
        return TraceOutcome::Unavailable;
    case ServiceStatus::Error:
        return TraceOutcome::Error;
    }
    return TraceOutcome::Error;
}
