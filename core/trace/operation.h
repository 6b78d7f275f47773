// Operation: one service call in flight.
//
// Holds the trace being written, the strategy the call started with and the
// caller's callback. Strategies and the backend pass it around as a
// shared_ptr so it lives exactly as long as some Redis or SQL reply may
// still add a step to it. finish() hands the result to ProductService,
// which records metrics, emits traceRecorded() and calls back (once).
#pragma once

#include "operationkind.h"
#include "operationtrace.h"
#include "serviceresult.h"

#include <functional>
#include <memory>
#include <QElapsedTimer>
#include <QPointer>

class CacheStrategy;

class Operation final
{
public:
    using Finisher = std::function<void(Operation &, ServiceResult)>;

    Operation(quint64 id, OperationKind what, StrategyKind strategy, qint64 productId);
    /// For operations started by name (core/catalog, CacheBackend): the
    /// name is kept as given and mapped to its kind (Other when unknown).
    Operation(quint64 id, const QString &name, StrategyKind strategy, qint64 productId);

    OperationTrace trace;
    CacheStrategy *strategy = nullptr;
    QPointer<QObject> context;
    bool hasContext = false;
    std::function<void(const ServiceResult &)> done;
    Finisher finisher;
    /// Who reads (gets): the window's or the API client's session id, for
    /// the unique-viewers HyperLogLog.
    QByteArray viewer;
    /// Optimistic retries the call needed (adjust-price).
    int retries = 0;
    /// Said to the caller with the result although the call succeeded (a
    /// fill Redis refused because it is full, ...).
    QStringList warnings;
    /// Kept alive as long as the operation: a product write holds its
    /// CacheBackend write ticket here, so the "changes invalidated up to"
    /// mark cannot pass a write whose cache step has not finished.
    std::shared_ptr<void> hold;

    /// The strategy the call started with.
    StrategyKind kind() const { return trace.strategy; }
    /// What the call is (trace.operation is its display name).
    OperationKind what() const { return m_what; }
    bool isFinished() const { return m_finished; }
    qint64 elapsedMicros() const { return m_clock.nsecsElapsed() / 1000; }

    void step(
        TraceSystem system, const QString &text, TraceOutcome outcome, qint64 micros = 0, const QString &detail = {});
    void note(const QString &text, TraceOutcome outcome = TraceOutcome::Ok) { step(TraceSystem::App, text, outcome); }

    /// Ends the call. A second call is ignored (defensive: exactly once).
    void finish(ServiceResult result);
    void fail(ServiceStatus status, const QString &error);
    /// The outcome the trace shows for the whole call: hit or miss for a
    /// get, "queued" for an acknowledged write-behind write, else the status.
    TraceOutcome outcomeFor(const ServiceResult &result) const;

private:
    void start(quint64 id, const QString &name, StrategyKind strategy, qint64 productId);

    QElapsedTimer m_clock;
    OperationKind m_what = OperationKind::Other;
    bool m_finished = false;
};

using OperationPtr = std::shared_ptr<Operation>;
