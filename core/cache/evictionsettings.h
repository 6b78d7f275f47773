// EvictionSettings: Redis's own memory limit and eviction policy.
//
// Applied with CONFIG SET and read back with CONFIG GET by ProductService.
// Evictions then show up as "evicted" keyspace events.
#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

struct EvictionSettings final
{
    qint64 maxmemoryBytes = 0; ///< 0 = no limit
    QString policy = QStringLiteral("noeviction");
    int samples = 5; ///< maxmemory-samples, 1..64

    /// allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu,
    /// volatile-random, volatile-ttl, noeviction.
    static QStringList policies();
    static bool isValidPolicy(const QString &policy);
    /// True for allkeys-*: such a policy may evict keys without a TTL, which
    /// includes unflushed write-behind hashes and the queue itself.
    static bool isAllKeysPolicy(const QString &policy);
    /// Empty when valid, else a sentence naming the problem.
    QString validate() const;

    bool operator==(const EvictionSettings &o) const = default;
};

Q_DECLARE_METATYPE(EvictionSettings)
