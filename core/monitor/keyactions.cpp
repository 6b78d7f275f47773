// KeyActions: EXPIRE / PERSIST / DEL with validation, the new state and a trace.
#include "keyactions.h"

#include "cachekeys.h"
#include "operation.h"
#include "redisclient.h"
#include "tracedredis.h"
#include "tracesink.h"

#include <QElapsedTimer>
#include <QTimer>

namespace {

// EXPIRE, unless the key is a hash still holding a write-behind write that
// SQLite has not seen ("dirty"): expiring it would lose that write. Checked
// and done in one script so the flusher cannot slip in between. -3 = refused.
const QByteArray GuardedExpire = QByteArrayLiteral(
    "if redis.call('TYPE', KEYS[1]).ok == 'hash' and redis.call('HEXISTS', KEYS[1], 'dirty') == 1 then "
    "return -3 end "
    "return redis.call('EXPIRE', KEYS[1], ARGV[1])");
// DEL, under the same guard: deleting a dirty hash loses its write just as
// surely as expiring it.
const QByteArray GuardedDelete = QByteArrayLiteral(
    "if redis.call('TYPE', KEYS[1]).ok == 'hash' and redis.call('HEXISTS', KEYS[1], 'dirty') == 1 then "
    "return -3 end "
    "return redis.call('DEL', KEYS[1])");
constexpr qint64 RefusedDirty = -3;

} // namespace

KeyActions::KeyActions(RedisClient *client, TraceSink *sink, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_traced(new TracedRedis(client, nullptr, this))
    , m_sink(sink)
{ }

std::optional<qint64> KeyActions::parseTtlSeconds(const QString &text, QString *error)
{
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return std::nullopt;
    };
    const QString t = text.trimmed();
    if (t.isEmpty())
        return fail(tr("Enter a TTL in seconds."));
    for (const QChar c : t) {
        if (c == QLatin1Char('-'))
            return fail(tr("The TTL must be positive (EXPIRE with 0 or less would delete the key)."));
        if (!c.isDigit() || c.unicode() > 0x7f)
            return fail(tr("The TTL must be a whole number of seconds, e.g. 120."));
    }
    bool ok = false;
    const qint64 seconds = t.toLongLong(&ok);
    if (!ok || seconds > MaxTtlSeconds)
        return fail(tr("The TTL is too large: at most %1 seconds.").arg(MaxTtlSeconds));
    if (seconds < 1)
        return fail(tr("The TTL must be at least 1 second (EXPIRE with 0 would delete the key)."));
    if (error)
        error->clear();
    return seconds;
}

void KeyActions::setTtl(const QByteArray &key, const QString &seconds, Callback done)
{
    QString error;
    const auto parsed = parseTtlSeconds(seconds, &error);
    if (!parsed) {
        KeyActionResult r;
        r.status = KeyActionResult::Status::Invalid;
        r.key = key;
        r.action = QStringLiteral("expire");
        r.message = error;
        r.trace.operation = QStringLiteral("key-expire");
        r.trace.started = QDateTime::currentDateTimeUtc();
        r.trace.steps.append(TraceStep {
            TraceSystem::App, tr("TTL \"%1\" rejected: %2").arg(seconds, error), TraceOutcome::Invalid, 0, {} });
        r.trace.outcome = TraceOutcome::Invalid;
        r.trace.error = error;
        // Asynchronous like every other outcome, so callers see one behaviour.
        QTimer::singleShot(0, this, [this, r, done] { deliver(r, done); });
        return;
    }
    setTtl(key, *parsed, std::move(done));
}

bool KeyActions::isWriteBehindList(const QByteArray &key)
{
    // Any prefix: another instance's queue on this Redis is just as unsafe.
    return CacheKeys::isWriteBehindKey(key);
}

void KeyActions::setTtl(const QByteArray &key, qint64 seconds, Callback done)
{
    if (seconds < 1 || seconds > MaxTtlSeconds) {
        setTtl(key, QString::number(seconds), std::move(done)); // the validating path explains why
        return;
    }
    if (isWriteBehindList(key)) {
        KeyActionResult r;
        r.status = KeyActionResult::Status::Refused;
        r.key = key;
        r.action = QStringLiteral("expire");
        r.message = tr("%1 belongs to the write-behind queue (writes not yet in SQLite, or the ids they use); a TTL "
                       "could lose them. "
                       "Nothing was changed.")
                        .arg(QString::fromUtf8(key));
        r.trace.operation = QStringLiteral("key-expire");
        r.trace.started = QDateTime::currentDateTimeUtc();
        r.trace.steps.append(TraceStep { TraceSystem::App, r.message, TraceOutcome::Error, 0, {} });
        r.trace.outcome = TraceOutcome::Error;
        r.trace.error = r.message;
        QTimer::singleShot(0, this, [this, r, done] { deliver(r, done); });
        return;
    }
    run(key, QStringLiteral("expire"),
        { QByteArrayLiteral("EVAL"), GuardedExpire, QByteArrayLiteral("1"), key, QByteArray::number(seconds) }, seconds,
        std::move(done));
}

void KeyActions::persist(const QByteArray &key, Callback done)
{
    run(key, QStringLiteral("persist"), { QByteArrayLiteral("PERSIST"), key }, 0, std::move(done));
}

void KeyActions::remove(const QByteArray &key, Callback done)
{
    if (isWriteBehindList(key)) {
        KeyActionResult r;
        r.status = KeyActionResult::Status::Refused;
        r.key = key;
        r.action = QStringLiteral("delete");
        r.message = tr("%1 belongs to the write-behind queue (writes not yet in SQLite, or the ids they use); "
                       "deleting it could lose them. Nothing was deleted.")
                        .arg(QString::fromUtf8(key));
        r.trace.operation = QStringLiteral("key-delete");
        r.trace.started = QDateTime::currentDateTimeUtc();
        r.trace.steps.append(TraceStep { TraceSystem::App, r.message, TraceOutcome::Error, 0, {} });
        r.trace.outcome = TraceOutcome::Error;
        r.trace.error = r.message;
        QTimer::singleShot(0, this, [this, r, done] { deliver(r, done); });
        return;
    }
    run(key, QStringLiteral("delete"), { QByteArrayLiteral("EVAL"), GuardedDelete, QByteArrayLiteral("1"), key }, 0,
        std::move(done));
}

void KeyActions::run(
    const QByteArray &key, const QString &action, const QList<QByteArray> &command, qint64 seconds, Callback done)
{
    KeyActionResult base;
    base.key = key;
    base.action = action;
    // The operation only collects the trace; the sink numbers and shows it.
    auto op = std::make_shared<Operation>(0, QStringLiteral("key-") + action, StrategyKind::None, 0);
    const QList<RedisCommand> cmds { command, { QByteArrayLiteral("PTTL"), key }, { QByteArrayLiteral("TYPE"), key } };
    // The guarded EXPIRE and DEL are scripts; the trace names what they do.
    const QString mainText = action == QLatin1String("expire")
        ? QStringLiteral("EXPIRE %1 %2 (EVAL: refused if a write-behind write is unflushed)")
              .arg(QString::fromUtf8(key))
              .arg(seconds)
        : action == QLatin1String("delete")
        ? QStringLiteral("DEL %1 (EVAL: refused if a write-behind write is unflushed)").arg(QString::fromUtf8(key))
        : redactedCommandText(cmds.at(0));
    m_traced->pipeline(op, cmds, mainText + QStringLiteral(", then PTTL and TYPE"),
        [this, op, base, cmds, seconds, done = std::move(done)](const QList<RedisReply> &replies) mutable {
            KeyActionResult r = std::move(base);
            r.trace = op->trace;
            r.trace.totalMicros = op->elapsedMicros();
            const RedisReply main = replies.value(0, RedisReply::clientError(tr("no reply")));
            const RedisReply pttl = replies.value(1);
            const RedisReply type = replies.value(2);
            if (!r.trace.steps.isEmpty())
                r.trace.steps.last().detail = main.toDisplayString(80) + QStringLiteral("; PTTL ")
                    + pttl.toDisplayString(20) + QStringLiteral("; TYPE ") + type.toDisplayString(20);
            const bool deleting = r.action == QLatin1String("delete");
            const QString commandName = r.action == QLatin1String("expire") ? QStringLiteral("EXPIRE")
                : deleting                                                  ? QStringLiteral("DEL")
                                                                            : QString::fromLatin1(cmds.at(0).at(0));
            r.pttlMs = pttl.isInteger() ? pttl.toInteger() : -2;
            r.type = type.isString() || type.isStatus() ? type.bytes() : QByteArray();
            const QString keyText = QString::fromUtf8(r.key);

            if (main.isClientError()) {
                r.status = KeyActionResult::Status::Unavailable;
                r.message = deleting
                    ? tr("Redis is not reachable (%1); %2 was not deleted.").arg(main.errorMessage(), keyText)
                    : tr("Redis is not reachable (%1); the TTL of %2 was not changed.")
                          .arg(main.errorMessage(), keyText);
            } else if (main.isError()
                && (main.bytes().startsWith("NOPERM")
                    || main.bytes().contains("The user executing the script can't"))) {
                // NOPERM for EVAL itself; Redis 7.0 words an EXPIRE denied
                // inside the script as an ERR.
                r.status = KeyActionResult::Status::Denied;
                r.message = tr("Redis refused %1 for %2: the connection's ACL user lacks the permission (%3).")
                                .arg(commandName, keyText, main.errorMessage());
            } else if (main.isInteger() && main.toInteger() == RefusedDirty) {
                r.status = KeyActionResult::Status::Refused;
                r.message = deleting
                    ? tr("%1 holds a write not yet in SQLite; deleting it would lose that write — flush "
                         "write-behind first. Nothing was deleted.")
                          .arg(keyText)
                    : tr("%1 holds a write not yet in SQLite; setting a TTL could lose it — flush write-behind "
                         "first. Nothing was changed.")
                          .arg(keyText);
            } else if (main.isError()) {
                r.status = KeyActionResult::Status::Error;
                r.message = tr("%1 failed for %2: %3").arg(commandName, keyText, main.errorMessage());
            } else if (deleting) {
                // DEL answers how many keys it removed: 0 when it was gone already.
                r.pttlMs = -2;
                if (main.toInteger() == 1) {
                    r.message = tr("%1 deleted (DEL).").arg(keyText);
                } else {
                    r.status = KeyActionResult::Status::NotFound;
                    r.message = tr("%1 no longer exists (expired or deleted); nothing deleted.").arg(keyText);
                }
            } else if (r.type == "none" || (main.toInteger() == 0 && r.action == QLatin1String("expire"))) {
                // EXPIRE answers 0 only for a missing key; PERSIST also for a
                // key without TTL, which TYPE tells apart.
                r.status = KeyActionResult::Status::NotFound;
                r.pttlMs = -2;
                r.message = tr("%1 no longer exists (expired or deleted); nothing changed.").arg(keyText);
            } else if (r.action == QLatin1String("expire")) {
                r.message = tr("%1 now expires in %2 s.").arg(keyText, QString::number(seconds));
            } else {
                r.message = main.toInteger() == 1 ? tr("%1 no longer expires (PERSIST).").arg(keyText)
                                                  : tr("%1 had no TTL; it still never expires.").arg(keyText);
            }
            switch (r.status) {
            case KeyActionResult::Status::Ok:
                r.trace.outcome = TraceOutcome::Ok;
                break;
            case KeyActionResult::Status::NotFound:
                r.trace.outcome = TraceOutcome::NotFound;
                break;
            case KeyActionResult::Status::Unavailable:
                r.trace.outcome = TraceOutcome::Unavailable;
                r.trace.error = r.message;
                break;
            default:
                r.trace.outcome = TraceOutcome::Error;
                r.trace.error = r.message;
                break;
            }
            r.trace.steps.append(TraceStep { TraceSystem::App, r.message, r.trace.outcome, 0, {} });
            deliver(std::move(r), done);
        });
}

void KeyActions::deliver(KeyActionResult result, const Callback &done)
{
    if (m_sink)
        result.trace.id = m_sink->recordTrace(result.trace);
    if (done)
        done(result);
    emit traceRecorded(result.trace);
    emit finished(result);
}
