// WriteBehindBatcher: one wbWrite call for the writes that waited together.
#include "writebehindbatcher.h"

#include "cachebackend.h"
#include "cachescripts.h"
#include "redisreply.h"

WriteBehindBatcher::WriteBehindBatcher(CacheBackend &backend)
    : m_backend(backend)
{ }

void WriteBehindBatcher::submit(const OperationPtr &op, const QByteArray &hashKey, QList<QByteArray> args, Answer answer)
{
    m_waiting.push_back(Item { op, hashKey, std::move(args), std::move(answer) });
    if (m_inFlight < MaxInFlight)
        sendWaiting();
}

void WriteBehindBatcher::sendWaiting()
{
    if (m_waiting.empty())
        return;
    const size_t n = std::min<size_t>(m_waiting.size(), MaxBatch);
    auto batch = std::make_shared<std::vector<Item>>(std::make_move_iterator(m_waiting.begin()),
        std::make_move_iterator(m_waiting.begin() + qsizetype(n)));
    m_waiting.erase(m_waiting.begin(), m_waiting.begin() + qsizetype(n));

    CacheScripts::WbWriteCall call(m_backend.keys());
    for (const Item &item : *batch)
        call.add(item.key, item.args);
    ++m_inFlight;
    ++m_calls;
    m_writes += n;
    // The first write's trace gets the NOSCRIPT reload step, if one happens.
    m_backend.tracedRedis().runScript(batch->front().op, CacheScripts::wbWrite(), call.keys(), call.args(),
        [this, batch](const RedisReply &r, qint64 us) {
            const int others = int(batch->size()) - 1;
            const bool perWrite = r.isArray() && r.size() == qsizetype(batch->size());
            for (size_t i = 0; i < batch->size(); ++i) {
                const Item &item = batch->at(i);
                if (perWrite)
                    item.answer(r.elements().at(qsizetype(i)), us, others);
                else if (r.isError())
                    item.answer(r, us, others); // the call as a whole failed (Redis gone, OOM, ...)
                else
                    item.answer(RedisReply::error("unexpected reply " + r.toDisplayString(80).toUtf8()), us, others);
            }
            // The call counts as in flight until every answer is given, so
            // the writes those answers start join the ones that waited:
            // what arrived meanwhile goes now, together.
            --m_inFlight;
            if (m_inFlight < MaxInFlight)
                sendWaiting();
        });
}
