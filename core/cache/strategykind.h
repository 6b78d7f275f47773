// StrategyKind: the five caching strategies and their one spelling.
//
// The names ("none", "cache-aside", "read-through", "write-through",
// "write-behind") are used everywhere: command-line option, menu, HTTP API,
// benchmark output, traces. Convert only through these helpers so a typo in
// one place cannot invent a sixth strategy.
#pragma once

#include <optional>
#include <QList>
#include <QMetaType>
#include <QString>

enum class StrategyKind {
    None, ///< database only: the baseline
    CacheAside, ///< service reads Redis, fills from SQLite on a miss
    ReadThrough, ///< service asks a cache object whose loader reads SQLite
    WriteThrough, ///< read-through reads; writes commit SQLite then set the cache
    WriteBehind, ///< writes go to Redis + a reliable queue; a worker writes SQLite
};

/// "none", "cache-aside", "read-through", "write-through", "write-behind".
QString strategyName(StrategyKind kind);
/// Inverse of strategyName(); case-insensitive, surrounding blanks ignored.
/// std::nullopt for anything else.
std::optional<StrategyKind> strategyFromName(const QString &name);
/// All five, in menu order.
QList<StrategyKind> allStrategies();
/// All five names, in menu order (for combo boxes and usage text).
QStringList strategyNames();
/// One-line description for tooltips and the HTTP API.
QString strategyDescription(StrategyKind kind);

Q_DECLARE_METATYPE(StrategyKind)
