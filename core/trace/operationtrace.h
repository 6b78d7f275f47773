// OperationTrace: what one service call did, step by step.
//
// Every ProductService call produces one trace: the ordered steps it took in
// the app, in Redis and in SQL, each with the command or statement (password
// redacted), its outcome and its duration. The dashboard draws traces, tests
// assert on them and the HTTP API returns them as JSON. A trace is a plain
// value: cheap to copy and safe to queue across threads.
#pragma once

#include "strategykind.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

enum class TraceSystem { App, Redis, Sql };

enum class TraceOutcome {
    Ok, ///< the step succeeded (no cache meaning)
    Hit, ///< the value came from Redis
    Miss, ///< Redis had nothing usable
    NegativeHit, ///< Redis remembered that the id does not exist
    Fill, ///< the value was written into Redis
    StaleSkip, ///< a fill was refused: Redis holds a newer version or a guard
    Invalidate, ///< cached data was dropped
    Queue, ///< a write was queued for the write-behind worker
    Coalesced, ///< joined a load already in flight (single-flight / lock wait)
    LockWait, ///< another loader holds the Redis lock; waiting
    EarlyRefresh, ///< XFetch decided to refresh before expiry
    Deferred, ///< could not reach Redis; remembered for later
    Unavailable, ///< Redis unreachable; the step was skipped or fell back
    Skipped, ///< deliberately not done (e.g. unflushed write-behind data kept)
    NotFound, ///< the id does not exist
    Invalid, ///< input rejected before reaching any store
    Conflict, ///< expected version did not match
    Error, ///< the step failed
};

/// "app", "redis", "sql".
QString traceSystemName(TraceSystem system);
/// "ok", "hit", "miss", "negative-hit", "fill", "stale-skip", "invalidate",
/// "queue", "coalesced", "lock-wait", "early-refresh", "deferred",
/// "unavailable", "skipped", "not-found", "invalid", "conflict", "error".
QString traceOutcomeName(TraceOutcome outcome);

struct TraceStep final
{
    TraceSystem system = TraceSystem::App;
    QString text; ///< Redis command, SQL statement or app note; password redacted
    TraceOutcome outcome = TraceOutcome::Ok;
    qint64 micros = 0; ///< wall time of the step, 0 for instant app notes
    QString detail; ///< short reply rendering or error text (may be empty)

    QJsonObject toJson() const;
};

struct OperationTrace final
{
    quint64 id = 0; ///< unique per ProductService, increasing
    QString operation; ///< "get", "list", "create", "update", "update-tx", "delete",
                       ///< "invalidate", "invalidate-pattern", "invalidate-all",
                       ///< "recent", "warm-up", "flush", "remote-invalidate",
                       ///< "change-feed", "eviction", "deferred-invalidate"
    StrategyKind strategy = StrategyKind::None; ///< the strategy the call started with
    QDateTime started; ///< UTC
    qint64 productId = 0; ///< 0 when not about one product
    QList<TraceStep> steps;
    TraceOutcome outcome = TraceOutcome::Ok; ///< overall: hit/miss/not-found/error/...
    qint64 totalMicros = 0;
    QString error; ///< empty unless outcome is Error/Invalid/Conflict/Unavailable
    /// The trace id of the operation this one follows up (the get whose
    /// product's tags are then read); 0 for an operation of its own.
    quint64 causedBy = 0;
    /// Started by the program, not by a person (flush, change feed, replay).
    bool background = false;

    /// Started by a person (or an API client): not background, not a follow-up.
    bool isUserStarted() const { return !background && causedBy == 0; }

    /// True when any step has this outcome (tests and the UI use it).
    bool hasStep(TraceOutcome outcome) const;
    bool hasStep(TraceSystem system, TraceOutcome outcome) const;
    /// Steps of one system, in order.
    QList<TraceStep> stepsOf(TraceSystem system) const;
    int count(TraceSystem system) const;

    QJsonObject toJson() const;
    /// Multi-line text for logs and the clipboard.
    QString toText() const;
};

/// Renders a Redis command for a trace: arguments joined by spaces, quoted
/// when needed, long values elided, and any secret (AUTH, HELLO AUTH,
/// CONFIG SET requirepass/masterauth) replaced by "***".
QString redactedCommandText(const QList<QByteArray> &args, int maxChars = 160);

Q_DECLARE_METATYPE(TraceStep)
Q_DECLARE_METATYPE(OperationTrace)
