// RedisClient: the command API (single commands, pipelines, MULTI/EXEC and
// WATCH-based optimistic transactions) on top of RedisConnection.
//
// The connection owns transport, ordering and failure; this file only adds
// command shapes and the rule that nothing else may be written while a
// watchTransaction() holds its WATCH window open.
#include "redisclient.h"

#include "redisconnection.h"

#include <QTimer>

#include <algorithm>

RedisClient::RedisClient(const RedisUrl &url, QObject *parent)
    // The connection is a child too, so moveToThread() takes it along; the
    // unique_ptr still deletes it first, which unparents it cleanly.
    : QObject(parent)
    , m_url(url)
    , m_conn(std::make_unique<RedisConnection>(url, url.clientName, this))
{
    RedisConnection *c = m_conn.get();
    connect(c, &RedisConnection::stateChanged, this, &RedisClient::stateChanged);
    connect(c, &RedisConnection::connected, this, &RedisClient::connected);
    connect(c, &RedisConnection::disconnected, this, &RedisClient::disconnected);
    connect(c, &RedisConnection::errorOccurred, this, &RedisClient::errorOccurred);
}

RedisClient::~RedisClient() = default;

RedisClient::State RedisClient::state() const
{
    return m_conn->state();
}

QString RedisClient::lastError() const
{
    return m_conn->lastError();
}

QString RedisClient::serverVersion() const
{
    return m_conn->serverVersion();
}

void RedisClient::connectToServer()
{
    m_conn->open();
}

void RedisClient::disconnectFromServer()
{
    m_conn->close();
}

void RedisClient::setReconnectPolicy(int minMs, int maxMs, double jitter)
{
    m_conn->setReconnectPolicy(minMs, maxMs, jitter);
}

void RedisClient::setAutoReconnect(bool enabled)
{
    m_conn->setAutoReconnect(enabled);
}

void RedisClient::setCommandTimeout(int ms)
{
    m_conn->setCommandTimeout(ms);
}

int RedisClient::commandTimeout() const
{
    return m_conn->commandTimeout();
}

void RedisClient::setConnectTimeout(int ms)
{
    m_conn->setConnectTimeout(ms);
}

int RedisClient::pendingCount() const
{
    return m_conn->pendingCount();
}

quint64 RedisClient::commandsSent() const
{
    return m_conn->commandsSent();
}

void RedisClient::submit(
    const QList<RedisCommand> &commands, QList<RedisCallback> callbacks, QObject *context, bool bypassHold)
{
    Q_ASSERT(commands.size() == callbacks.size());
    if (m_watchRunning && !bypassHold) {
        // Replayed later; the context guard must survive the wait, because a
        // replay with a dead context must drop, not run without one.
        const QPointer<QObject> guard(context);
        const bool hasContext = context != nullptr;
        m_held.append([this, commands, callbacks, guard, hasContext] {
            if (hasContext && !guard)
                return;
            submit(commands, callbacks, guard.data());
        });
        return;
    }

    const bool empty
        = std::any_of(commands.cbegin(), commands.cend(), [](const RedisCommand &c) { return c.isEmpty(); });
    if (empty || m_conn->state() != State::Connected) {
        // Fail on the next turn, never inside the call: callers may not
        // expect their callback to run before command() returns. An empty
        // command would get no reply at all, so it is refused here.
        const QString message = empty ? QStringLiteral("empty command (no arguments)") : m_conn->notConnectedMessage();
        std::vector<RedisPending> pending;
        for (RedisCallback &cb : callbacks)
            pending.emplace_back(std::move(cb), context);
        QTimer::singleShot(0, this, [pending = std::move(pending), message] {
            const RedisReply failure = RedisReply::clientError(message);
            for (const RedisPending &p : pending)
                p.deliver(failure);
        });
        return;
    }

    std::vector<RedisPending> pending;
    pending.reserve(size_t(callbacks.size()));
    for (RedisCallback &cb : callbacks)
        pending.emplace_back(std::move(cb), context);
    m_conn->send(commands, std::move(pending));
}

void RedisClient::flushHeld()
{
    // Stops as soon as a replayed call starts another watchTransaction();
    // the rest then waits for that one.
    while (!m_watchRunning && !m_held.isEmpty()) {
        const std::function<void()> replay = m_held.takeFirst();
        replay();
    }
}

void RedisClient::command(const RedisCommand &args, QObject *context, RedisCallback callback)
{
    // The common case straight to the connection (what submit() would do,
    // without building two one-element lists and a vector per command).
    if (!m_watchRunning && !args.isEmpty() && m_conn->state() == State::Connected) {
        m_conn->sendOne(args, RedisPending(std::move(callback), context));
        return;
    }
    submit({ args }, { std::move(callback) }, context);
}

void RedisClient::command(const RedisCommand &args, RedisCallback callback)
{
    submit({ args }, { std::move(callback) }, nullptr);
}

void RedisClient::pipeline(
    const QList<RedisCommand> &commands, QObject *context, std::function<void(const QList<RedisReply> &)> callback)
{
    if (commands.isEmpty()) {
        QTimer::singleShot(0, context ? context : this, [callback] {
            if (callback)
                callback({});
        });
        return;
    }
    // Each reply lands in a shared list; the last one hands the list over.
    auto replies = std::make_shared<QList<RedisReply>>();
    replies->reserve(commands.size());
    const qsizetype total = commands.size();
    QList<RedisCallback> callbacks;
    callbacks.reserve(total);
    for (qsizetype i = 0; i < total; ++i) {
        callbacks.append([replies, total, callback](const RedisReply &reply) {
            replies->append(reply);
            if (replies->size() == total && callback)
                callback(*replies);
        });
    }
    submit(commands, std::move(callbacks), context);
}

void RedisClient::transaction(const QList<RedisCommand> &commands, QObject *context, RedisCallback callback)
{
    QList<RedisCommand> all;
    all.reserve(commands.size() + 2);
    all.append({ QByteArrayLiteral("MULTI") });
    all.append(commands);
    all.append({ QByteArrayLiteral("EXEC") });
    // MULTI's OK and each QUEUED are swallowed: a queueing error makes the
    // server answer EXEC with EXECABORT, which is what the caller sees.
    QList<RedisCallback> callbacks(all.size() - 1);
    callbacks.append(std::move(callback));
    submit(all, std::move(callbacks), context);
}

// One watchTransaction() in progress. Its internal commands are sent with no
// context (and bypass the hold queue): even if the caller's context dies, the
// job must run to its end so the hold queue is released.
struct RedisWatchJob
{
    QList<QByteArray> keys;
    QList<RedisCommand> reads;
    std::function<QList<RedisCommand>(const QList<RedisReply> &)> build;
    int maxAttempts = 1;
    QPointer<QObject> context;
    bool hasContext = false;
    std::function<void(const RedisReply &, int)> done;
    int attempt = 0;

    static void start(RedisClient *client, const std::shared_ptr<RedisWatchJob> &job)
    {
        client->m_watchRunning = true;
        runAttempt(client, job);
    }

    static void runAttempt(RedisClient *client, const std::shared_ptr<RedisWatchJob> &job)
    {
        ++job->attempt;
        QList<RedisCommand> commands;
        RedisCommand watch { QByteArrayLiteral("WATCH") };
        watch.append(job->keys);
        commands.append(watch);
        commands.append(job->reads);

        auto replies = std::make_shared<QList<RedisReply>>();
        const qsizetype total = commands.size();
        QList<RedisCallback> callbacks;
        for (qsizetype i = 0; i < total; ++i) {
            callbacks.append([client, job, replies, total](const RedisReply &reply) {
                replies->append(reply);
                if (replies->size() == total)
                    afterReads(client, job, *replies);
            });
        }
        client->submit(commands, std::move(callbacks), nullptr, true);
    }

    static void afterReads(
        RedisClient *client, const std::shared_ptr<RedisWatchJob> &job, const QList<RedisReply> &replies)
    {
        // WATCH failing, or the connection going away, ends the job; a read
        // answered with a server error is left for build() to judge.
        for (const RedisReply &reply : replies) {
            if (reply.isClientError() || (&reply == &replies.first() && reply.isError())) {
                finish(client, job, reply);
                return;
            }
        }
        if (job->hasContext && !job->context) {
            client->submit({ { QByteArrayLiteral("UNWATCH") } }, { RedisCallback() }, nullptr, true);
            finish(client, job, RedisReply::nil());
            return;
        }
        const QList<RedisCommand> commands = job->build ? job->build(replies.mid(1)) : QList<RedisCommand>();
        if (commands.isEmpty()) {
            client->submit({ { QByteArrayLiteral("UNWATCH") } }, { RedisCallback() }, nullptr, true);
            finish(client, job, RedisReply::nil());
            return;
        }

        QList<RedisCommand> all;
        all.append({ QByteArrayLiteral("MULTI") });
        all.append(commands);
        all.append({ QByteArrayLiteral("EXEC") });
        QList<RedisCallback> callbacks(all.size() - 1);
        callbacks.append([client, job](const RedisReply &exec) {
            // Nil: a watched key changed between WATCH and EXEC; EXEC has
            // already dropped the watch, so simply start over.
            if (exec.isNil() && job->attempt < job->maxAttempts)
                runAttempt(client, job);
            else
                finish(client, job, exec);
        });
        client->submit(all, std::move(callbacks), nullptr, true);
    }

    static void finish(RedisClient *client, const std::shared_ptr<RedisWatchJob> &job, const RedisReply &reply)
    {
        client->m_watchRunning = false;
        // Calls held back were made before this reply is reported: send them
        // first so their order relative to what done() issues is kept.
        QPointer<RedisClient> alive(client);
        client->flushHeld();
        if (!alive)
            return;
        if (job->hasContext && !job->context)
            return;
        if (job->done)
            job->done(reply, job->attempt);
    }
};

void RedisClient::watchTransaction(const QList<QByteArray> &watchKeys, const QList<RedisCommand> &reads,
    std::function<QList<RedisCommand>(const QList<RedisReply> &)> build, int maxAttempts, QObject *context,
    std::function<void(const RedisReply &, int attempts)> done)
{
    auto job = std::make_shared<RedisWatchJob>();
    job->keys = watchKeys;
    job->reads = reads;
    job->build = std::move(build);
    job->maxAttempts = qMax(1, maxAttempts);
    job->context = context;
    job->hasContext = context != nullptr;
    job->done = std::move(done);

    if (watchKeys.isEmpty()) {
        QTimer::singleShot(0, this, [job] {
            if (job->done && (!job->hasContext || job->context))
                job->done(RedisReply::clientError(QStringLiteral("watchTransaction needs at least one key")), 0);
        });
        return;
    }
    if (m_watchRunning) {
        m_held.append([this, job] {
            if (job->hasContext && !job->context)
                return;
            RedisWatchJob::start(this, job);
        });
        return;
    }
    RedisWatchJob::start(this, job);
}
