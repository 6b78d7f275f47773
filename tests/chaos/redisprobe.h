// RedisProbe: synchronous reads of the chaos run's redis-server for the
// checks (queue lengths, product hashes), over its unix socket with
// hiredis. Each call opens its own connection and is bounded by the
// timeout; a failure is nullopt, never a hang.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <optional>

class RedisProbe final
{
public:
    explicit RedisProbe(QString socketPath, int timeoutMs = 2000);

    std::optional<qint64> integer(const QList<QByteArray> &args) const;
    /// Names matching a glob (KEYS: the run's keyspace is small).
    std::optional<QList<QByteArray>> keys(const QByteArray &pattern) const;
    /// HGETALL of many keys in one pipelined round trip; a missing key maps
    /// to an empty hash.
    std::optional<QHash<QByteArray, QHash<QByteArray, QByteArray>>> hashes(const QList<QByteArray> &keys) const;

private:
    QString m_socketPath;
    int m_timeoutMs;
};
