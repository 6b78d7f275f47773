// StrategyKind names: the single source of the five spellings.
#include "strategykind.h"

#include <array>

namespace {
struct Entry
{
    StrategyKind kind;
    const char *name;
    const char *description;
};
constexpr std::array<Entry, 5> kEntries { {
    { StrategyKind::None, "none", "Database only: every call goes to SQLite (the baseline)." },
    { StrategyKind::CacheAside, "cache-aside",
        "The service reads Redis; on a miss it reads SQLite and fills the cache. Writes go to SQLite, then "
        "invalidate." },
    { StrategyKind::ReadThrough, "read-through",
        "The service asks a cache object whose loader reads SQLite on a miss. Writes go to SQLite, then invalidate." },
    { StrategyKind::WriteThrough, "write-through",
        "Reads as read-through; a write commits to SQLite and then sets the cache before it reports success." },
    { StrategyKind::WriteBehind, "write-behind",
        "A write goes to Redis and a reliable queue; a worker writes SQLite later, coalesced and batched." },
} };
} // namespace

QString strategyName(StrategyKind kind)
{
    for (const Entry &e : kEntries) {
        if (e.kind == kind)
            return QString::fromLatin1(e.name);
    }
    return QStringLiteral("none");
}

std::optional<StrategyKind> strategyFromName(const QString &name)
{
    const QString wanted = name.trimmed().toLower();
    for (const Entry &e : kEntries) {
        if (wanted == QLatin1String(e.name))
            return e.kind;
    }
    return std::nullopt;
}

QList<StrategyKind> allStrategies()
{
    QList<StrategyKind> out;
    for (const Entry &e : kEntries)
        out << e.kind;
    return out;
}

QStringList strategyNames()
{
    QStringList out;
    for (const Entry &e : kEntries)
        out << QString::fromLatin1(e.name);
    return out;
}

QString strategyDescription(StrategyKind kind)
{
    for (const Entry &e : kEntries) {
        if (e.kind == kind)
            return QString::fromLatin1(e.description);
    }
    return {};
}
