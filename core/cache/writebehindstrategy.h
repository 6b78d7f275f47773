// WriteBehindStrategy: writes go to Redis and a reliable queue; the
// WriteBehindQueue worker writes SQLite later.
//
// An update or delete is one Lua script (CacheScripts::wbWrite): it checks
// the version Redis holds (compare-and-set against expectedVersion), HSETs
// the hash with no TTL and a dirty mark and RPUSHes the id to the queue, all
// atomically and in one round trip, so writes pipeline. When Redis is
// unreachable the write is refused: it must never look accepted while in
// neither store.
#pragma once

#include "cachestrategy.h"

#include <optional>

class WriteBehindQueue;

class WriteBehindStrategy final : public CacheStrategy
{
public:
    WriteBehindStrategy(CacheBackend &backend, WriteBehindQueue &queue);

    StrategyKind kind() const override { return StrategyKind::WriteBehind; }
    void get(const OperationPtr &op, qint64 id) override;
    void list(const OperationPtr &op) override;
    void create(const OperationPtr &op, const QString &name, qint64 price) override;
    void update(const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion) override;
    void remove(const OperationPtr &op, qint64 id) override;

    /// The next create re-reads the highest SQLite id before allocating
    /// (called when the change feed reports an insert).
    void resetIdFloor() { m_idFloorReady = false; }

private:
    struct Write
    {
        qint64 id = 0;
        QString name;
        qint64 price = 0;
        qint64 expectedVersion = 0;
        bool isDelete = false;
    };
    void queueWrite(const OperationPtr &op, const Write &w, std::optional<qint64> dbVersion);
    bool refuseWhenDown(const OperationPtr &op);
    void allocateId(const OperationPtr &op, std::function<void(qint64)> then);

    WriteBehindQueue &m_queue;
    bool m_idFloorReady = false;
};
