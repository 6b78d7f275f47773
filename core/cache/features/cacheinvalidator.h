// CacheInvalidator: every way product keys leave Redis other than a write's
// own invalidation.
//
// - by hand: one id, a key pattern (SCAN + the drop-keys script) or every
//   droppable key; unflushed write-behind hashes and the queue keys are
//   always kept;
// - the store's change feed: a change made outside the app (sqlite3 shell,
//   another program) drops the cached copy with a guard, so a reader that
//   loaded the old row just before cannot put it back;
// - another instance's invalidation (pub/sub channel or change-log stream),
//   with the same version guard;
// - CacheBackend's dropAll hook (a gap in the change log).
#pragma once

#include "operation.h"

#include <functional>
#include <QObject>

class CacheBackend;
class InvalidationBus;
class OperationStarter;
struct ProductChange;

class CacheInvalidator final : public QObject
{
    Q_OBJECT

public:
    CacheInvalidator(CacheBackend &backend, InvalidationBus &bus, OperationStarter &starter, QObject *parent = nullptr);

    /// Drops product:{id}. count = keys removed.
    void invalidate(const OperationPtr &op, qint64 id);
    /// Drops the keys matching a glob below the prefix, found with SCAN.
    void invalidatePattern(const OperationPtr &op, const QString &pattern);
    /// Drops every product hash, negative entry, guard, lock and the recent list.
    void invalidateAll(const OperationPtr &op);
    /// Drops every droppable product key, then then() (CacheBackend::dropAll).
    void dropAll(const OperationPtr &op, std::function<void()> then);

    /// The store's change feed: outside changes are invalidated (own writes
    /// did that themselves); every change moves the change-log mark.
    void onStoreChanged(const QList<ProductChange> &changes);
    /// A message on the invalidation channel from another instance.
    void onRemoteInvalidation(const QString &origin, const QList<qint64> &ids, const QList<qint64> &versions, bool all);
    /// A change another instance made, from the change-log stream (see
    /// ProductService::applyRemoteChange).
    void applyRemoteChange(const QString &origin, qint64 id, qint64 version, bool deleted, const QString &via,
        std::function<void(const ServiceResult &)> done);

signals:
    void productChanged(qint64 id);
    void productRemoved(qint64 id);
    /// Keys this class removed from Redis.
    void keysInvalidated(const QList<QByteArray> &keys);

private:
    void remoteInvalidate(const QString &origin, const QString &via, const QList<qint64> &ids,
        const QList<qint64> &versions, bool all, std::function<void(const ServiceResult &)> done);
    /// Finds the keys matching patterns with SCAN, drops them (never
    /// write-behind data), then then(scanned keys, removed, kept).
    void scanAndDrop(const OperationPtr &op, const QList<QByteArray> &patterns,
        std::function<void(const QList<QByteArray> &keys, qint64 removed, qint64 kept)> then);
    void scanKeys(const OperationPtr &op, QList<QByteArray> patterns, QList<QByteArray> found, QByteArray cursor,
        std::function<void(const QList<QByteArray> &)> then);
    void dropKeys(
        const OperationPtr &op, const QList<QByteArray> &keys, std::function<void(qint64 removed, qint64 kept)> then);
    /// Fails op (Unavailable) when Redis is unreachable; true when it did.
    bool failWhenDown(const OperationPtr &op);

    CacheBackend &m_backend;
    InvalidationBus &m_bus;
    OperationStarter &m_starter;
};
