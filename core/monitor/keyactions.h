// KeyActions: changes the key browser can make to one key (TTL editing,
// deleting).
//
// "Set TTL" sends EXPIRE, "Persist" sends PERSIST, "Delete" sends DEL, each pipelined with PTTL
// and TYPE so the caller learns the key's new state in the same round trip
// and can show it at once. Input is validated before anything is sent: a
// TTL must be a whole number of seconds, at least 1 (EXPIRE with 0 or less
// deletes the key, which is not what "set TTL" means) and small enough that
// Redis can store the deadline. EXPIRE is refused (nothing changed) where
// it could lose an acknowledged write-behind write: on the queue keys
// "cachelab:wb:queue" / ":processing" / ":queued" / ":nextid" under any prefix, and on a
// hash still holding a "dirty" field (checked atomically with the EXPIRE in
// one script). DEL is refused on the same keys for the same reason. PERSIST
// is always allowed. Every action yields an OperationTrace,
// written by a TracedRedis call like the service's own, and hands it to the
// TraceSink (the service), so the trace panel shows it and the metrics count it.
#pragma once

#include "keydetails.h"
#include "operationtrace.h"

#include <functional>
#include <limits>
#include <optional>
#include <QMetaType>
#include <QObject>

class RedisClient;
class TraceSink;
class TracedRedis;

struct KeyActionResult final
{
    enum class Status {
        Ok,
        Invalid, ///< bad input; nothing was sent
        NotFound, ///< the key does not exist (any more)
        Denied, ///< the ACL user may not run the command (NOPERM)
        Refused, ///< unsafe for this key (unflushed write-behind data); nothing changed
        Unavailable, ///< Redis not reachable
        Error, ///< any other server error
    };
    Status status = Status::Ok;
    QByteArray key;
    QString action; ///< "expire", "persist" or "delete"
    QString message; ///< one line for a person: what happened or what went wrong
    qint64 pttlMs = -2; ///< the key's TTL afterwards (-1 none, -2 gone/unknown)
    QByteArray type; ///< the key's type afterwards ("none" when gone)
    OperationTrace trace;

    bool ok() const { return status == Status::Ok; }
};

Q_DECLARE_METATYPE(KeyActionResult)

class KeyActions final : public QObject
{
    Q_OBJECT

public:
    /// Redis stores an expiry as milliseconds since 1970 in a signed 64-bit
    /// number and refuses an EXPIRE whose deadline would overflow it; this
    /// leaves room for "now" until the year 2100.
    static constexpr qint64 MaxTtlSeconds = std::numeric_limits<qint64>::max() / 1000 - 4102444800LL;

    using Callback = std::function<void(const KeyActionResult &)>;

    /// Neither pointer is owned. The client is the key browser's own
    /// connection; sink (may be null in tests) receives every action's trace.
    KeyActions(RedisClient *client, TraceSink *sink, QObject *parent = nullptr);

    /// "120" -> 120. Anything but a whole number in 1..MaxTtlSeconds gives
    /// nullopt and a message in *error.
    static std::optional<qint64> parseTtlSeconds(const QString &text, QString *error = nullptr);

    /// EXPIRE key seconds. Invalid (nothing sent) when seconds is out of range.
    void setTtl(const QByteArray &key, qint64 seconds, Callback done = {});
    /// Validates the text first (see parseTtlSeconds).
    void setTtl(const QByteArray &key, const QString &seconds, Callback done = {});
    /// "[prefix]cachelab:wb:queue", "...:processing", "...:queued" or "...:nextid": never given a TTL.
    static bool isWriteBehindList(const QByteArray &key);
    /// PERSIST key: the key no longer expires.
    void persist(const QByteArray &key, Callback done = {});
    /// DEL key; Refused (nothing deleted) on the write-behind queue keys and
    /// on a hash holding a write not yet in SQLite. The caller asks first.
    void remove(const QByteArray &key, Callback done = {});

signals:
    /// Every action, after its callback.
    void finished(const KeyActionResult &result);
    /// Every action's trace, after the sink has numbered it.
    void traceRecorded(const OperationTrace &trace);

private:
    void run(
        const QByteArray &key, const QString &action, const QList<QByteArray> &command, qint64 seconds, Callback done);
    void deliver(KeyActionResult result, const Callback &done);

    RedisClient *m_client;
    TracedRedis *m_traced; ///< a child of this object
    TraceSink *m_sink;
};
