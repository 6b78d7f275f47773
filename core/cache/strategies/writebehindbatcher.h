// WriteBehindBatcher: sends write-behind writes to Redis, batching the ones
// that arrive while a call is in flight.
//
// Write-behind exists to make writes fast, and one script call per write
// caps that at the rate Redis runs separate script calls. So: a write that
// finds no call in flight goes at once, alone (no added latency when idle);
// writes that arrive while one is in flight wait for its answer and then go
// together, in arrival order, as one wbWrite call. The batch size follows
// the load: the busier Redis is, the more writes each call carries. The
// script decides and applies every write on its own and answers each one,
// so a write is still acknowledged only when Redis holds it.
#pragma once

#include "operation.h"

#include <functional>
#include <QByteArray>
#include <QList>
#include <vector>

class CacheBackend;
class RedisReply;

class WriteBehindBatcher
{
public:
    /// The write's own {code, version, depth, pushed} reply (or an error),
    /// the call's round trip and how many other writes shared the call.
    using Answer = std::function<void(const RedisReply &reply, qint64 micros, int others)>;

    explicit WriteBehindBatcher(CacheBackend &backend);

    /// Queues one write: its hash key and its CacheScripts::WbWriteCall arguments.
    void submit(const OperationPtr &op, const QByteArray &hashKey, QList<QByteArray> args, Answer answer);

    /// Calls in flight at once; the rest wait for one to answer.
    static constexpr int MaxInFlight = 1;
    /// Writes in one call at most (keeps one script's run short: other
    /// clients of Redis wait while it runs).
    static constexpr int MaxBatch = 256;

    int inFlight() const { return m_inFlight; }
    int waiting() const { return int(m_waiting.size()); }
    /// Calls sent and writes carried, since construction.
    quint64 callsSent() const { return m_calls; }
    quint64 writesSent() const { return m_writes; }

private:
    struct Item
    {
        OperationPtr op;
        QByteArray key;
        QList<QByteArray> args;
        Answer answer;
    };
    void sendWaiting();

    CacheBackend &m_backend;
    std::vector<Item> m_waiting;
    int m_inFlight = 0;
    quint64 m_calls = 0;
    quint64 m_writes = 0;
};
