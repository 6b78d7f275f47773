// CacheKeys: every Redis key name CacheLab uses, in one place.
//
// With the default empty prefix the names are exactly "product:{id}",
// "recent_products", "cachelab:wb:queue", "cachelab:wb:queued" and
// "cachelab:wb:processing".
#pragma once

#include <QByteArray>
#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QList>
#include <QRandomGenerator>
#include <QString>

class CacheKeys final
{
public:
    explicit CacheKeys(const QString &prefix = {})
        : m_prefix(prefix.toUtf8())
    { }

    QByteArray prefix() const { return m_prefix; }
    QByteArray product(qint64 id) const { return m_prefix + "product:" + QByteArray::number(id); }
    QByteArray productPattern() const { return m_prefix + "product:*"; }
    QByteArray recent() const { return m_prefix + "recent_products"; }
    QByteArray queue() const { return m_prefix + "cachelab:wb:queue"; }
    QByteArray processing() const { return m_prefix + "cachelab:wb:processing"; }
    /// Set of the ids now in queue(): a write to an id already waiting there is
    /// not queued twice (the worker flushes the hash's latest state anyway).
    QByteArray queued() const { return m_prefix + "cachelab:wb:queued"; }
    QByteArray nextId() const { return m_prefix + "cachelab:wb:nextid"; }
    /// Hash: product id -> the highest version any writer was given for it
    /// (write-behind writes and SQL writes alike). Never dropped, never given
    /// a TTL: it is what keeps a version from being handed out twice.
    QByteArray versions() const { return m_prefix + "cachelab:wb:versions"; }
    /// String: every change in SQLite's change table up to this seq has been
    /// invalidated in Redis (by some instance); one per database file. A
    /// process that dies before its invalidation reached Redis leaves the
    /// mark behind it, and the next connect replays the changes after it.
    QByteArray invalidatedUpTo(const QString &databasePath) const
    {
        return m_prefix + "cachelab:wb:invalidated:" + databaseTag(databasePath);
    }
    /// The write-behind queue keys and id counter of any instance (any
    /// prefix): never dropped, never given a TTL, whoever's they are.
    static bool isWriteBehindKey(const QByteArray &key)
    {
        return key.endsWith("cachelab:wb:queue") || key.endsWith("cachelab:wb:processing")
            || key.endsWith("cachelab:wb:queued") || key.endsWith("cachelab:wb:nextid")
            || key.endsWith("cachelab:wb:versions") || key.contains("cachelab:wb:invalidated:");
    }
    /// Invalidation guard: the lowest version a fill may still write.
    QByteArray guard(qint64 id) const { return m_prefix + "cachelab:guard:" + QByteArray::number(id); }
    QByteArray lock(qint64 id) const { return m_prefix + "cachelab:lock:" + QByteArray::number(id); }
    // --- Redis feature tour ---------------------------------------------------------------
    /// Sorted set: product id -> views ("most viewed" leaderboard, ZINCRBY per get).
    QByteArray views() const { return m_prefix + "cachelab:views"; }
    /// HyperLogLog of the viewer (session) ids that read one product.
    QByteArray viewers(qint64 id) const { return m_prefix + "cachelab:viewers:" + QByteArray::number(id); }
    /// Set of product ids carrying a tag (a cache of SQLite's product_tags).
    QByteArray tag(const QString &name) const { return m_prefix + "tag:" + name.toUtf8(); }
    /// Set of the tag names one product carries (cache of SQLite's product_tags).
    QByteArray tagsOf(qint64 id) const { return m_prefix + "cachelab:tags:" + QByteArray::number(id); }
    /// Counter bumped on every product change; cached search results carry it in their key.
    QByteArray searchGeneration() const { return m_prefix + "cachelab:search:gen"; }
    QByteArray searchResult(qint64 generation, const QByteArray &queryHash) const
    {
        return m_prefix + "cachelab:search:" + QByteArray::number(generation) + ":" + queryHash;
    }
    /// RediSearch index name (FT.CREATE ... PREFIX 1 product:).
    QByteArray searchIndex() const { return m_prefix + "cachelab:idx:products"; }
    /// Bloom filter of every product id ever created in one SQLite database
    /// (BF.* or a bitmap; its sizes at ":meta"). Keyed by the database, not
    /// the prefix: every instance on that file shares it, whatever its
    /// prefix. ":memory:" databases are private, so they get a per-call token.
    static QByteArray bloomFor(const QString &databasePath) { return "cachelab:bloom:" + databaseTag(databasePath); }
    /// First 12 hex digits of the SHA-1 of the database file's absolute path.
    static QByteArray databaseTag(const QString &databasePath)
    {
        if (databasePath.isEmpty() || databasePath == QLatin1String(":memory:"))
            return "mem" + QByteArray::number(QRandomGenerator::global()->generate64(), 16);
        return QCryptographicHash::hash(
            QDir::cleanPath(QFileInfo(databasePath).absoluteFilePath()).toUtf8(), QCryptographicHash::Sha1)
            .toHex()
            .left(12);
    }
    /// The change-log stream all instances on this Redis share (not prefixed:
    /// instances with different prefixes read each other's changes from it).
    static QByteArray changeStream() { return QByteArrayLiteral("cachelab:changes"); }

    /// Globs of everything invalidateAll() may drop (never the queue lists).
    QList<QByteArray> droppablePatterns() const
    {
        return { productPattern(), m_prefix + "cachelab:guard:*", m_prefix + "cachelab:lock:*" };
    }
    /// The id in "product:{id}", or 0 when the key is not a product key.
    qint64 idFromProductKey(const QByteArray &key) const
    {
        const QByteArray head = m_prefix + "product:";
        if (!key.startsWith(head))
            return 0;
        bool ok = false;
        const qint64 id = key.mid(head.size()).toLongLong(&ok);
        return ok ? id : 0;
    }

private:
    QByteArray m_prefix;
};
