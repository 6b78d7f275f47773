// VersionedWrites: every product write CacheLab makes in SQLite, numbered so
// that no two acknowledged writes of one id ever share a version.
//
// Writers on several instances (and write-behind writes still queued in
// Redis, which SQLite has not seen) all take versions for an id, so the
// numbering cannot come from SQLite alone:
//  1. reserve: a script hands out one above everything any writer was given
//     for the id (the versions hash, the cached hash), and the SQL write
//     takes max(current + 1, reserved);
//  2. claim: when SQLite was ahead (an outside edit), the committed version
//     is claimed after the commit, and the row moved to a fresh one if
//     another writer already holds it;
//  3. offline: with Redis unreachable the version (and a new product's id)
//     is numbered OfflineStride above what is known, clear of anything a
//     queued write-behind write can hold.
// A write that is refused gives its reservation back. New products take
// their ids from the counter every instance shares.
#pragma once

#include "operation.h"
#include "productedit.h"
#include "productrepository.h"
#include "storeresult.h"

#include <functional>
#include <QObject>

class CacheBackend;

class VersionedWrites final : public QObject
{
    Q_OBJECT

public:
    /// A product write: the SQL call, told how to number the new version.
    using WriteCall = std::function<void(ProductRepository &, VersionRule, QObject *, StoreCallback)>;
    /// How far a SQL write made while Redis is unreachable is numbered
    /// above what SQLite had (versions, and ids of new products): write-behind
    /// writes still queued in Redis hold versions (and ids) SQLite has not
    /// seen, and cannot be asked; a million writes to one id would have to
    /// be waiting unflushed to reach it.
    static constexpr qint64 OfflineStride = 1000000;

    explicit VersionedWrites(CacheBackend &backend, QObject *parent = nullptr);

    /// Runs `call` in SQLite (create, update, upsert, delete; never the
    /// write-behind flush) under the numbering above; `then` sees the row as
    /// it ends up. A product with a write-behind write still queued is
    /// flushed first (BackendHost::drainQueuedWrites).
    void write(const OperationPtr &op, const QString &what, const WriteCall &call, bool isDelete,
        std::function<void(const StoreResult &)> then);
    /// The SQL call for a create, update or upsert, and its text for the
    /// trace (a create first takes its id).
    void prepare(const OperationPtr &op, const ProductEdit &edit,
        std::function<void(const QString &what, const WriteCall &call)> then);

    /// The next id for a new product from the shared counter (raised first
    /// to the highest id SQLite ever had). then(0) on failure.
    void allocateId(const OperationPtr &op, std::function<void(qint64)> then);
    /// Fails op after allocateId() gave 0: Unavailable when Redis went away.
    void allocationFailed(const OperationPtr &op);
    /// The next allocation re-reads SQLite's highest id first (after an
    /// insert reported by the change feed, and on every connect).
    void resetIdFloor() { m_idFloorReady = false; }
    /// On connect: reads where the shared counter stands, so a create made
    /// while Redis is away later takes its id far above it.
    void readIdCounter();

    static WriteCall upsertCall(qint64 id, const QString &name, qint64 price);
    static WriteCall updateCall(qint64 id, const QString &name, qint64 price, qint64 expectedVersion);
    static WriteCall removeCall(qint64 id);

private:
    /// With Redis up, an INSERT under an id from allocateId() (so write-behind
    /// creates on other instances can never take the same id); with Redis
    /// down, an id from this outage's window: OfflineStride above the
    /// highest id known (the counter as last seen, SQLite's highest).
    void newProductCall(const OperationPtr &op, const QString &name, qint64 price,
        std::function<void(const WriteCall &)> then);
    /// Moves product id from version `from` to `to` in SQLite (from 0: a
    /// deleted id, whose next life starts above `to`).
    void restamp(const OperationPtr &op, qint64 id, qint64 from, qint64 to, StoreCallback done);
    void readHighestId(const OperationPtr &op, StoreCallback done);
    void claimVersion(const OperationPtr &op, StoreResult r, bool isDelete, std::function<void(const StoreResult &)> then);
    void moveClearOfQueue(
        const OperationPtr &op, StoreResult r, bool isDelete, std::function<void(const StoreResult &)> then);

    CacheBackend &m_backend;
    /// The highest id the shared counter is known to have given out.
    qint64 m_lastAllocatedId = 0;
    /// Where ids of creates made while Redis is away start (a stride above
    /// it); -1 until the first such create after a connect.
    qint64 m_offlineBase = -1;
    bool m_idFloorReady = false;
};
