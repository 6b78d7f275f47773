// CacheInvalidator: manual, change-feed and remote invalidation of product keys.
#include "cacheinvalidator.h"

#include "cachebackend.h"
#include "versionedwrites.h"
#include "writeinvalidation.h"
#include "cachescripts.h"
#include "invalidationbus.h"
#include "operationstarter.h"
#include "rejectinvalid.h"

namespace {
// What invalidate-all drops: every droppable key and the recent list.
QList<QByteArray> everythingDroppable(const CacheKeys &keys)
{
    QList<QByteArray> patterns = keys.droppablePatterns();
    patterns << keys.recent();
    return patterns;
}

ServiceResult removedResult(qint64 removed, qint64 kept)
{
    ServiceResult r;
    r.count = removed;
    if (kept > 0)
        r.warnings << QStringLiteral("%1 key(s) kept: they hold unflushed write-behind data").arg(kept);
    return r;
}
} // namespace

CacheInvalidator::CacheInvalidator(
    CacheBackend &backend, InvalidationBus &bus, OperationStarter &starter, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
    , m_bus(bus)
    , m_starter(starter)
{ }

// --- by hand ------------------------------------------------------------------------------------------

void CacheInvalidator::invalidate(const OperationPtr &op, qint64 id)
{
    if (const auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return rejectInvalid(op, errors);
    m_backend.invalidation().afterWrite(op, id, 0, [op](qint64 removed) {
        ServiceResult r;
        r.count = removed;
        op->finish(r);
    });
}

bool CacheInvalidator::failWhenDown(const OperationPtr &op)
{
    if (m_backend.cacheUp())
        return false;
    op->note(QStringLiteral("cache unavailable"), TraceOutcome::Unavailable);
    op->fail(ServiceStatus::Unavailable, QStringLiteral("Redis is unreachable; nothing was invalidated."));
    return true;
}

void CacheInvalidator::invalidatePattern(const OperationPtr &op, const QString &pattern)
{
    if (pattern.trimmed().isEmpty())
        return rejectInvalid(
            op, { { QStringLiteral("pattern"), QStringLiteral("Give a key pattern such as product:1*.") } });
    if (failWhenDown(op))
        return;
    const QByteArray full = m_backend.keys().prefix() + pattern.trimmed().toUtf8();
    scanAndDrop(op, { full }, [this, op](const QList<QByteArray> &keys, qint64 removed, qint64 kept) {
        const ServiceResult r = removedResult(removed, kept);
        QList<qint64> ids;
        for (const QByteArray &k : keys) {
            if (const qint64 id = m_backend.keys().idFromProductKey(k))
                ids << id;
        }
        if (!ids.isEmpty())
            m_bus.publish(ids, QList<qint64>(ids.size(), 0), false);
        op->finish(r);
    });
}

void CacheInvalidator::invalidateAll(const OperationPtr &op)
{
    if (failWhenDown(op))
        return;
    scanAndDrop(
        op, everythingDroppable(m_backend.keys()), [this, op](const QList<QByteArray> &, qint64 removed, qint64 kept) {
            const ServiceResult r = removedResult(removed, kept);
            m_bus.publish({}, {}, true);
            op->finish(r);
        });
}

void CacheInvalidator::dropAll(const OperationPtr &op, std::function<void()> then)
{
    scanAndDrop(op, m_backend.keys().droppablePatterns(),
        [then = std::move(then)](const QList<QByteArray> &, qint64, qint64) { then(); });
}

// --- SCAN and drop --------------------------------------------------------------------------------------

void CacheInvalidator::scanAndDrop(const OperationPtr &op, const QList<QByteArray> &patterns,
    std::function<void(const QList<QByteArray> &, qint64, qint64)> then)
{
    scanKeys(
        op, patterns, {}, QByteArrayLiteral("0"), [this, op, then = std::move(then)](const QList<QByteArray> &keys) {
            dropKeys(op, keys, [keys, then](qint64 removed, qint64 kept) { then(keys, removed, kept); });
        });
}

void CacheInvalidator::scanKeys(const OperationPtr &op, QList<QByteArray> patterns, QList<QByteArray> found,
    QByteArray cursor, std::function<void(const QList<QByteArray> &)> then)
{
    if (patterns.isEmpty()) {
        then(found);
        return;
    }
    const QByteArray pattern = patterns.first();
    m_backend.tracedRedis().command(op,
        { QByteArrayLiteral("SCAN"), cursor, QByteArrayLiteral("MATCH"), pattern, QByteArrayLiteral("COUNT"),
            QByteArrayLiteral("1000") },
        {}, [this, op, patterns, found, then = std::move(then)](const RedisReply &r) mutable {
            if (r.isError() || r.size() != 2) {
                then(found);
                return;
            }
            for (const RedisReply &k : r.at(1).elements())
                found << k.bytes();
            const QByteArray next = r.at(0).bytes();
            if (next == "0")
                patterns.removeFirst();
            if (patterns.isEmpty()) {
                // SCAN may return a key more than once; report each once.
                QList<QByteArray> unique;
                QSet<QByteArray> seen;
                for (const QByteArray &k : std::as_const(found)) {
                    if (!seen.contains(k)) {
                        seen.insert(k);
                        unique << k;
                    }
                }
                then(unique);
                return;
            }
            scanKeys(op, patterns, std::move(found), next, std::move(then));
        });
}

void CacheInvalidator::dropKeys(
    const OperationPtr &op, const QList<QByteArray> &keys, std::function<void(qint64, qint64)> then)
{
    // The queue keys and the id counter are never dropped, whatever the
    // pattern - this instance's or another prefix's (an empty prefix's "*"
    // matches them all).
    QList<QByteArray> droppable;
    for (const QByteArray &key : keys) {
        if (!CacheKeys::isWriteBehindKey(key))
            droppable << key;
    }
    if (droppable.isEmpty()) {
        then(0, 0);
        return;
    }
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
    for (qsizetype i = 0; i < droppable.size(); i += 500)
        calls.append({ droppable.mid(i, 500), {} });
    m_backend.tracedRedis().scriptPipeline(op, CacheScripts::dropKeys(), calls,
        QStringLiteral("EVALSHA (drop-keys) x %1: DEL %2 key(s) unless unflushed write-behind")
            .arg(calls.size())
            .arg(droppable.size()),
        [this, droppable, then = std::move(then)](const QList<RedisReply> &replies) {
            qint64 removed = 0;
            qint64 kept = 0;
            for (const RedisReply &r : replies) {
                if (r.isArray() && r.size() == 2) {
                    removed += r.at(0).toInteger();
                    kept += r.at(1).toInteger();
                }
            }
            m_backend.metrics().invalidations += quint64(removed);
            emit keysInvalidated(droppable);
            then(removed, kept);
        });
}

// --- changes made elsewhere -------------------------------------------------------------------------------

void CacheInvalidator::onStoreChanged(const QList<ProductChange> &changes)
{
    QList<ProductChange> external;
    qint64 lastSeq = 0;
    for (const ProductChange &c : changes) {
        if (c.kind == ProductChange::Kind::Insert && c.external)
            m_backend.writes().resetIdFloor();
        if (c.external)
            external << c;
        lastSeq = std::max(lastSeq, c.seq);
    }
    if (external.isEmpty()) {
        m_backend.noteChangesSeen(lastSeq);
        return;
    }
    for (const ProductChange &c : std::as_const(external)) {
        if (c.kind == ProductChange::Kind::Delete) {
            m_backend.forgetViews(c.id);
            emit productRemoved(c.id);
        } else
            emit productChanged(c.id);
    }
    // Changes made outside the app (sqlite3 shell, another program): drop
    // the cached copies, with a guard so a reader that loaded the old row
    // just before cannot put it back.
    auto op = m_starter.beginBackground(OperationKind::ChangeFeed, external.size() == 1 ? external.first().id : 0, {});
    // The invalidations below hold the change-log mark back until they are
    // confirmed (or remembered for a reconnect).
    m_backend.holdWriteTicket(op);
    m_backend.noteChangesSeen(lastSeq);
    auto remaining = std::make_shared<int>(int(external.size()));
    auto removed = std::make_shared<qint64>(0);
    for (const ProductChange &c : std::as_const(external)) {
        const qint64 guard = c.kind == ProductChange::Kind::Delete ? CacheScripts::DeletedGuard : c.version;
        op->note(
            QStringLiteral("outside change: %1 of product %2 (version %3)")
                .arg(c.kind == ProductChange::Kind::Delete
                        ? QStringLiteral("delete")
                        : (c.kind == ProductChange::Kind::Insert ? QStringLiteral("insert") : QStringLiteral("update")))
                .arg(c.id)
                .arg(c.version));
        const bool deleted = c.kind == ProductChange::Kind::Delete;
        m_backend.invalidation().afterWrite(
            op, c.id, guard,
            [op, remaining, removed](qint64 n) {
                *removed += n;
                if (--*remaining == 0) {
                    ServiceResult r;
                    r.count = *removed;
                    op->finish(r);
                }
            },
            c.version + (deleted ? 1 : 0));
    }
}

void CacheInvalidator::onRemoteInvalidation(
    const QString &origin, const QList<qint64> &ids, const QList<qint64> &versions, bool all)
{
    remoteInvalidate(origin, m_backend.settings().invalidationChannel, ids, versions, all, {});
}

void CacheInvalidator::applyRemoteChange(const QString &origin, qint64 id, qint64 version, bool deleted,
    const QString &via, std::function<void(const ServiceResult &)> done)
{
    if (deleted)
        m_backend.forgetViews(id);
    remoteInvalidate(origin, via, { id }, { deleted ? CacheScripts::DeletedGuard : version }, false, std::move(done));
}

void CacheInvalidator::remoteInvalidate(const QString &origin, const QString &via, const QList<qint64> &ids,
    const QList<qint64> &versions, bool all, std::function<void(const ServiceResult &)> done)
{
    auto op = m_starter.beginBackground(
        OperationKind::RemoteInvalidate, ids.size() == 1 ? ids.first() : 0, std::move(done));
    op->note(QStringLiteral("message from instance %1 on %2").arg(origin.left(8), via));
    if (!m_backend.cacheUp()) {
        op->fail(ServiceStatus::Unavailable, QStringLiteral("Redis is unreachable."));
        return;
    }
    if (all) {
        scanAndDrop(op, everythingDroppable(m_backend.keys()), [op](const QList<QByteArray> &, qint64 removed, qint64) {
            ServiceResult r;
            r.count = removed;
            op->finish(r);
        });
        return;
    }
    const CacheSettings &s = m_backend.settings();
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
    for (int i = 0; i < ids.size(); ++i) {
        const qint64 guard = s.staleSetGuard ? versions.value(i, 0) : 0;
        calls.append({ { m_backend.keys().product(ids.at(i)), m_backend.keys().guard(ids.at(i)) },
            { QByteArray::number(guard), QByteArray::number(qint64(s.guardTtlSeconds) * 1000),
                QByteArrayLiteral("0") } });
    }
    if (calls.isEmpty()) {
        op->finish(ServiceResult {});
        return;
    }
    m_backend.tracedRedis().scriptPipeline(
        op, CacheScripts::invalidate(), calls, {}, [this, op, ids](const QList<RedisReply> &replies) {
            qint64 removed = 0;
            QList<QByteArray> keys;
            for (int i = 0; i < replies.size() && i < ids.size(); ++i) {
                if (replies.at(i).isError()) {
                    // Not confirmed: the caller (the change stream) must not
                    // treat the change as applied.
                    op->fail(replies.at(i).isClientError() ? ServiceStatus::Unavailable : ServiceStatus::Error,
                        replies.at(i).errorMessage());
                    return;
                }
                if (replies.at(i).toInteger() > 0) {
                    ++removed;
                    keys << m_backend.keys().product(ids.at(i));
                }
            }
            m_backend.metrics().invalidations += quint64(removed);
            if (!keys.isEmpty())
                emit keysInvalidated(keys);
            ServiceResult r;
            r.count = removed;
            op->finish(r);
        });
}
