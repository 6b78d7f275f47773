// WriteBehindStrategy (write-back): writes go to the cache and a queue; a
// worker writes the database later.
//
// Write: 1. set the hash (no TTL, marked dirty) and 2. enqueue its id, in
//        one atomic script, then answer; 3. the WriteBehindQueue worker
//        moves batches of queued ids to SQLite.
// Read:  the cache holds the newest data, so reads go through it (a
//        ReadThroughCache, SQLite filling misses).
//
// An update or delete is one Lua script (CacheScripts::wbWrite): it checks
// the version Redis holds (compare-and-set against expectedVersion), HSETs
// the hash with no TTL and a dirty mark and RPUSHes the id to the queue, all
// atomically and in one round trip. Writes that arrive while such a call is
// in flight go together in the next one (WriteBehindBatcher), each still
// decided and answered on its own. When Redis is
// unreachable the write is refused: it must never look accepted while in
// neither store.
#pragma once

#include "cachestrategy.h"
#include "readthroughcache.h"
#include "writebehindbatcher.h"

#include <functional>
#include <optional>
#include <QHash>
#include <QList>

class WriteBehindQueue;

class WriteBehindStrategy final : public CacheStrategy
{
public:
    WriteBehindStrategy(CacheBackend &backend, WriteBehindQueue &queue);

    StrategyKind kind() const override { return StrategyKind::WriteBehind; }
    void get(const OperationPtr &op, qint64 id) override;
    void list(const OperationPtr &op) override;
    void save(const OperationPtr &op, const ProductEdit &edit) override;
    void remove(const OperationPtr &op, qint64 id) override;
    /// No cache step to make atomic: the queued write is one atomic script already.
    void updateInTransaction(const OperationPtr &op, const ProductEdit &edit) override;

private:
    void createNew(const OperationPtr &op, const QString &name, qint64 price);
    enum class Mode { Update, Delete, Create, Upsert };
    /// How often an update or delete reads SQLite again because another
    /// writer was given a newer version; then it takes what it sees (a
    /// writer that died after its reservation must not block the id).
    static constexpr int MaxStaleReads = 8; ///< 4 ms doubling: about 1 s in all
    struct Write
    {
        qint64 id = 0;
        QString name;
        qint64 price = 0;
        qint64 expectedVersion = 0;
        Mode mode = Mode::Update;
        /// Times SQLite was asked again because another writer was given
        /// a newer version meanwhile (see CacheScripts::wbWrite).
        int staleReads = 0;
    };
    /// What SQLite said about the id: its highest version ever (deleted
    /// lives included) and whether the row exists now.
    struct DbState
    {
        qint64 lastVersion = 0;
        bool exists = false;
    };
    void queueWrite(const OperationPtr &op, const Write &w, std::optional<DbState> db);
    /// Refuses when Redis is down; otherwise runs next() once a change-log
    /// replay after a reconnect is done.
    void whenAccepting(const OperationPtr &op, std::function<void()> next);

    /// Ids whose write is asking SQLite for the version (the hash was not
    /// cached), with the writes to the same id that came after it: they wait,
    /// so writes to one id reach Redis in the order they were made.
    struct Resolving
    {
        int count = 0; ///< writes of this id reading SQLite now
        QList<std::function<void()>> waiting;
    };
    QHash<qint64, Resolving> m_resolving;
    void releaseResolving(qint64 id);

    WriteBehindQueue &m_queue;
    ReadThroughCache m_cache;
    WriteBehindBatcher m_batcher;
};
