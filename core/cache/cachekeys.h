// CacheKeys: every Redis key name CacheLab uses, in one place.
//
// With the default empty prefix the names are exactly "product:{id}",
// "recent_products", "cachelab:wb:queue" and "cachelab:wb:processing".
#pragma once

#include <QByteArray>
#include <QList>
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
    QByteArray nextId() const { return m_prefix + "cachelab:wb:nextid"; }
    /// Invalidation guard: the lowest version a fill may still write.
    QByteArray guard(qint64 id) const { return m_prefix + "cachelab:guard:" + QByteArray::number(id); }
    QByteArray lock(qint64 id) const { return m_prefix + "cachelab:lock:" + QByteArray::number(id); }
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
