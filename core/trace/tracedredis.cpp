// TracedRedis: timing, counting and the trace step of every Redis call.
#include "tracedredis.h"

#include "redisscript.h"

#include <QElapsedTimer>

namespace {

// The arguments part of scriptText(): what redactedCommandText(keys + args,
// 140) gives, built directly when every argument is printable ASCII (a fill
// carries a product name, which usually has a space and so missed that
// function's own fast path). Anything else goes to redactedCommandText.
QString scriptArgsText(const QList<QByteArray> &keys, const QList<QByteArray> &args)
{
    constexpr int MaxChars = 140;
    constexpr qsizetype MaxArg = 48;
    const QByteArray first = keys.isEmpty() ? (args.isEmpty() ? QByteArray() : args.first()) : keys.first();
    bool plain = first.compare("AUTH", Qt::CaseInsensitive) != 0 && first.compare("HELLO", Qt::CaseInsensitive) != 0
        && first.compare("CONFIG", Qt::CaseInsensitive) != 0;
    const auto printable = [](const QByteArray &a) {
        for (const char c : a) {
            if (c < ' ' || c > '~')
                return false;
        }
        return true;
    };
    for (qsizetype i = 0; plain && i < keys.size() + args.size(); ++i)
        plain = printable(i < keys.size() ? keys.at(i) : args.at(i - keys.size()));
    if (!plain)
        return redactedCommandText(keys + args, MaxChars);
    QString out;
    out.reserve(MaxChars + 64);
    for (qsizetype i = 0; i < keys.size() + args.size(); ++i) {
        const QByteArray &a = i < keys.size() ? keys.at(i) : args.at(i - keys.size());
        if (i > 0)
            out += QLatin1Char(' ');
        const bool elided = a.size() > MaxArg;
        const QByteArray shown = elided ? a.left(MaxArg - 3) + "..." : a;
        if (shown.isEmpty() || shown.contains(' ') || shown.contains('"')) {
            out += QLatin1Char('"');
            for (const char c : shown) {
                if (c == '"')
                    out += QLatin1Char('\\');
                out += QLatin1Char(c);
            }
            out += QLatin1Char('"');
        } else {
            out += QLatin1StringView(shown);
        }
        if (out.size() > MaxChars + 48)
            break; // the rest would be cut off below anyway
    }
    if (out.size() > MaxChars)
        out = out.left(MaxChars - 3) + QStringLiteral("...");
    return out;
}

QString scriptText(
    const QByteArray &sha, const QString &name, const QList<QByteArray> &keys, const QList<QByteArray> &args)
{
    return QStringLiteral("EVALSHA ") + QLatin1StringView(sha.left(8)) + QStringLiteral(".. (") + name
        + QStringLiteral(") ") + scriptArgsText(keys, args);
}

// "label: MULTI | cmd | ... | EXEC", the trace text of a transaction.
QString transactionText(const QList<RedisCommand> &cmds, const QString &label)
{
    QString text = label.isEmpty() ? QString() : label + QStringLiteral(": ");
    text += QStringLiteral("MULTI");
    for (const RedisCommand &c : cmds)
        text += QStringLiteral(" | ") + redactedCommandText(c, 90);
    text += QStringLiteral(" | EXEC");
    return text;
}

} // namespace

TracedRedis::TracedRedis(RedisClient *client, quint64 *commands, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_commands(commands)
{ }

TraceOutcome TracedRedis::errorOutcome(const RedisReply &r)
{
    return r.isClientError() ? TraceOutcome::Unavailable : TraceOutcome::Error;
}

void TracedRedis::command(const OperationPtr &op, const RedisCommand &cmd, const Classifier &classify,
    std::function<void(const RedisReply &)> then)
{
    QElapsedTimer clock;
    clock.start();
    count(1);
    // The trace text is made when the reply is recorded, not before sending
    // (cmd is implicitly shared; the same text, and none for a finished op).
    m_client->command(cmd, this, [op, cmd, clock, classify, then = std::move(then)](const RedisReply &r) {
        if (op && !op->isFinished()) {
            const qint64 micros = clock.nsecsElapsed() / 1000;
            const TraceOutcome outcome = r.isError() ? errorOutcome(r) : (classify ? classify(r) : TraceOutcome::Ok);
            op->step(TraceSystem::Redis, redactedCommandText(cmd), outcome, micros, r.toDisplayString(80));
        }
        if (then)
            then(r);
    });
}

void TracedRedis::pipeline(const OperationPtr &op, const QList<RedisCommand> &cmds, const QString &label,
    std::function<void(const QList<RedisReply> &)> then, const ReplyClassifier &classify)
{
    QElapsedTimer clock;
    clock.start();
    count(quint64(cmds.size()));
    QString text = label;
    if (text.isEmpty()) {
        text = QStringLiteral("pipeline %1: ").arg(cmds.size());
        text += cmds.isEmpty() ? QString() : redactedCommandText(cmds.first(), 80);
        if (cmds.size() > 1)
            text += QStringLiteral(" ...");
    }
    m_client->pipeline(cmds, this, [op, text, clock, classify, then = std::move(then)](const QList<RedisReply> &replies) {
        if (op) {
            TraceOutcome outcome = classify ? classify(replies) : TraceOutcome::Ok;
            for (const RedisReply &r : replies) {
                if (r.isError()) {
                    outcome = errorOutcome(r);
                    break;
                }
            }
            op->step(TraceSystem::Redis, text, outcome, clock.nsecsElapsed() / 1000,
                replies.size() > 1 ? QStringLiteral("%1 replies in 1 round trip (%2 saved by pipelining)")
                                         .arg(replies.size())
                                         .arg(replies.size() - 1)
                                   : QStringLiteral("%1 replies").arg(replies.size()));
        }
        if (then)
            then(replies);
    });
}

void TracedRedis::transaction(const OperationPtr &op, const QList<RedisCommand> &cmds, const QString &label,
    std::function<void(const RedisReply &)> then, TraceOutcome ok)
{
    QElapsedTimer clock;
    clock.start();
    count(quint64(cmds.size()) + 2);
    // Trace text made when the reply is recorded (see command()).
    m_client->transaction(cmds, this, [op, cmds, label, clock, ok, then = std::move(then)](const RedisReply &r) {
        if (op && !op->isFinished()) {
            const qint64 micros = clock.nsecsElapsed() / 1000;
            const TraceOutcome outcome = r.isError() ? errorOutcome(r) : ok;
            op->step(TraceSystem::Redis, transactionText(cmds, label), outcome, micros, r.toDisplayString(80));
        }
        if (then)
            then(r);
    });
}

void TracedRedis::script(const OperationPtr &op, const RedisScript &s, const QList<QByteArray> &keys,
    const QList<QByteArray> &args, const Classifier &classify, std::function<void(const RedisReply &)> then)
{
    QElapsedTimer clock;
    clock.start();
    count(1);
    // Trace text made when the reply is recorded (see command()).
    const QByteArray sha = s.sha();
    const QString name = s.name();
    s.run(m_client, keys, args, this,
        [this, op, sha, keys, args, name, clock, classify, then = std::move(then)](const RedisReply &r, bool reloaded) {
            if (reloaded)
                count(1);
            if (op && !op->isFinished()) {
                const QString text = scriptText(sha, name, keys, args);
                if (reloaded)
                    op->step(TraceSystem::Redis, QStringLiteral("SCRIPT LOAD (%1) after NOSCRIPT").arg(name),
                        TraceOutcome::Ok);
                const TraceOutcome outcome
                    = r.isError() ? errorOutcome(r) : (classify ? classify(r) : TraceOutcome::Ok);
                op->step(TraceSystem::Redis, text, outcome, clock.nsecsElapsed() / 1000, r.toDisplayString(80));
            }
            if (then)
                then(r);
        });
}

void TracedRedis::scriptPipeline(const OperationPtr &op, const RedisScript &s,
    const QList<QPair<QList<QByteArray>, QList<QByteArray>>> &calls, const QString &label,
    std::function<void(const QList<RedisReply> &)> then)
{
    QList<RedisCommand> cmds;
    for (const auto &c : calls)
        cmds << s.evalsha(c.first, c.second);
    const QString text
        = label.isEmpty() ? QStringLiteral("pipeline %1 x EVALSHA (%2)").arg(cmds.size()).arg(s.name()) : label;
    pipeline(op, cmds, text, [this, op, cmds, &s, then = std::move(then)](const QList<RedisReply> &replies) {
        QList<int> missing;
        for (int i = 0; i < replies.size(); ++i) {
            if (RedisScript::isNoScript(replies.at(i)))
                missing << i;
        }
        if (missing.isEmpty()) {
            then(replies);
            return;
        }
        // The script cache was flushed: load once and repeat only the calls
        // that did not run (the others already had their effect).
        QList<RedisCommand> again { s.load() };
        for (int i : missing)
            again << cmds.at(i);
        pipeline(op, again, QStringLiteral("SCRIPT LOAD (%1) + %2 x EVALSHA again").arg(s.name()).arg(missing.size()),
            [replies, missing, then](const QList<RedisReply> &second) {
                QList<RedisReply> merged = replies;
                for (int k = 0; k < missing.size(); ++k)
                    merged[missing.at(k)] = k + 1 < second.size()
                        ? second.at(k + 1)
                        : RedisReply::clientError(QStringLiteral("script reload failed"));
                then(merged);
            });
    });
}

void TracedRedis::runScript(const OperationPtr &op, const RedisScript &s, const QList<QByteArray> &keys,
    const QList<QByteArray> &args, std::function<void(const RedisReply &, qint64 micros)> then)
{
    QElapsedTimer clock;
    clock.start();
    count(1);
    const QString name = s.name();
    s.run(m_client, keys, args, this, [this, op, name, clock, then = std::move(then)](const RedisReply &r, bool reloaded) {
        if (reloaded) {
            count(1);
            if (op)
                op->step(TraceSystem::Redis, QStringLiteral("SCRIPT LOAD (%1) after NOSCRIPT").arg(name),
                    TraceOutcome::Ok);
        }
        then(r, clock.nsecsElapsed() / 1000);
    });
}

void TracedRedis::watchTransaction(const QList<QByteArray> &watchKeys, const QList<RedisCommand> &reads,
    std::function<QList<RedisCommand>(const QList<RedisReply> &)> build, int maxAttempts,
    std::function<void(const RedisReply &, int attempts, qint64 micros)> then)
{
    QElapsedTimer clock;
    clock.start();
    m_client->watchTransaction(watchKeys, reads, std::move(build), maxAttempts, this,
        [clock, then = std::move(then)](const RedisReply &exec, int attempts) {
            then(exec, attempts, clock.nsecsElapsed() / 1000);
        });
}
