// OperationKind: what a traced call is, as an enum, and the one spelling of
// each kind in traces, metrics and the JSON the HTTP API returns.
//
// Code that must tell operations apart (ProductService::finish, the trace's
// overall outcome) switches on the enum. The string stays in
// OperationTrace::operation for display only. Operations started outside
// core/cache (tags, search, key actions) have names of their own: they are
// OperationKind::Other and keep the name they were given.
#pragma once

#include <QString>

enum class OperationKind {
    Get,
    List,
    Create,
    Update,
    UpdateTx, ///< the WATCH/MULTI update ("update-tx")
    Upsert,
    Delete,
    AdjustPrice,
    Invalidate,
    InvalidatePattern,
    InvalidateAll,
    Recent,
    WarmUp,
    Eviction, ///< CONFIG GET / SET of the eviction settings
    Flush, ///< a write-behind worker batch
    Recover, ///< write-behind items re-queued after a crash
    ChangeFeed, ///< outside changes reported by the store's change feed
    RemoteInvalidate, ///< another instance's invalidation (pub/sub, change-log stream)
    ChangeLogReplay, ///< replay of the change table after the watermark, on connect
    DeferredInvalidate, ///< invalidations remembered while Redis was away
    Other, ///< a name this enum does not know (catalog, key actions)
};

/// The name shown in traces: "get", "update-tx", "warm-up", ... Empty for Other.
QString operationName(OperationKind kind);
/// Inverse of operationName(); Other for any other name. Only for callers
/// that still start operations by name (CacheBackend's beginBackground hook,
/// Operation's by-name constructor).
OperationKind operationKindFromName(const QString &name);
