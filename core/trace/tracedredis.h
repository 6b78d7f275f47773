// TracedRedis: a Redis call that times itself and writes its trace step.
//
// Every Redis call core makes on behalf of an operation goes through here:
// the call is sent on the shared RedisClient, timed from send to reply,
// counted (when a counter is given), and recorded as one step of the
// operation's trace with the command text (passwords redacted) and a short
// form of the reply. Calls whose step text depends on what the reply means
// (the write-behind write, the WATCH/MULTI update) use runScript() /
// watchTransaction() and write that step themselves; timing, counting and
// the NOSCRIPT reload are still done here.
#pragma once

#include "operation.h"
#include "redisclient.h"

#include <functional>
#include <QObject>

class RedisScript;

class TracedRedis final : public QObject
{
    Q_OBJECT

public:
    using Classifier = std::function<TraceOutcome(const RedisReply &)>;
    /// Neither pointer is owned. `commands` (may be null) counts every
    /// command sent.
    TracedRedis(RedisClient *client, quint64 *commands, QObject *parent = nullptr);

    RedisClient *client() const { return m_client; }
    bool isUp() const { return m_client && m_client->isConnected(); }
    /// For calls counted by hand (watchTransaction's queued commands).
    void count(quint64 n)
    {
        if (m_commands)
            *m_commands += n;
    }

    void command(const OperationPtr &op, const RedisCommand &cmd, const Classifier &classify,
        std::function<void(const RedisReply &)> then);
    using ReplyClassifier = std::function<TraceOutcome(const QList<RedisReply> &)>;
    /// One step for the whole pipeline: the first error's outcome, else
    /// classify(replies) (Ok without one).
    void pipeline(const OperationPtr &op, const QList<RedisCommand> &cmds, const QString &label,
        std::function<void(const QList<RedisReply> &)> then, const ReplyClassifier &classify = {});
    /// MULTI cmds EXEC as one step; `ok` is its outcome when EXEC succeeds.
    void transaction(const OperationPtr &op, const QList<RedisCommand> &cmds, const QString &label,
        std::function<void(const RedisReply &)> then, TraceOutcome ok = TraceOutcome::Ok);
    void script(const OperationPtr &op, const RedisScript &script, const QList<QByteArray> &keys,
        const QList<QByteArray> &args, const Classifier &classify, std::function<void(const RedisReply &)> then);
    /// EVALSHA commands for a pipeline (NOSCRIPT in a pipeline is retried one by one).
    void scriptPipeline(const OperationPtr &op, const RedisScript &script,
        const QList<QPair<QList<QByteArray>, QList<QByteArray>>> &calls, const QString &label,
        std::function<void(const QList<RedisReply> &)> then);
    /// A script call whose step the caller writes from the reply: `then`
    /// gets the reply and the round trip in microseconds. A NOSCRIPT reload
    /// is traced here.
    void runScript(const OperationPtr &op, const RedisScript &script, const QList<QByteArray> &keys,
        const QList<QByteArray> &args, std::function<void(const RedisReply &, qint64 micros)> then);
    /// RedisClient::watchTransaction, timed; the caller writes the step.
    /// `then` gets EXEC's reply, the attempts made and the microseconds.
    void watchTransaction(const QList<QByteArray> &watchKeys, const QList<RedisCommand> &reads,
        std::function<QList<RedisCommand>(const QList<RedisReply> &)> build, int maxAttempts,
        std::function<void(const RedisReply &, int attempts, qint64 micros)> then);

    /// Unavailable for a client-side error (Redis unreachable), else Error.
    static TraceOutcome errorOutcome(const RedisReply &reply);

private:
    RedisClient *m_client;
    quint64 *m_commands;
};
