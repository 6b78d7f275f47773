// ProductHash: the one definition of the Redis hash product:{id}.
//
// A cached product is a hash with the row's fields (id, name, price,
// version, updated_at) and, depending on who wrote it, markers:
//   absent      a negative entry ("this id does not exist"), or with dirty
//               a write-behind delete not yet flushed;
//   dirty       the hash holds a write-behind write SQLite has not seen;
//   delta, expires_at
//               XFetch bookkeeping: how long the last load took and when the
//               entry expires (ms since the epoch).
// Everything that reads or writes such a hash in C++ goes through here: the
// cache's lookups and fills, the write-behind writes and flush, the catalog,
// the WATCH/MULTI update and (through core/documents) the Products panel.
// The Lua scripts in cachescripts.cpp use the same field names; the ARGV
// they take is built from encode().
#pragma once

#include "product.h"

#include <QByteArray>
#include <QList>
#include <QPair>

class RedisReply;

class ProductHash final
{
public:
    // Field names, as the Lua scripts spell them too.
    static constexpr const char *Id = "id";
    static constexpr const char *Name = "name";
    static constexpr const char *Price = "price";
    static constexpr const char *Version = "version";
    static constexpr const char *UpdatedAt = "updated_at";
    static constexpr const char *Absent = "absent";
    static constexpr const char *Dirty = "dirty";
    static constexpr const char *Delta = "delta";
    static constexpr const char *ExpiresAt = "expires_at";

    /// A product's fields as they are stored in the hash (and passed to the
    /// scripts): numbers in decimal, the name in UTF-8, updated_at in the
    /// Timestamp layout.
    struct Encoded
    {
        QByteArray id;
        QByteArray name;
        QByteArray price;
        QByteArray version;
        QByteArray updatedAt;
    };
    static Encoded encode(const Product &product);
    /// "id", id, "name", name, ... — the field/value list of an HSET of a
    /// committed row (no markers).
    static QList<QByteArray> fieldValues(const Product &product);
    /// The markers a plain set of a committed row must remove (absent and
    /// the XFetch fields; never dirty, which a set refuses to overwrite).
    static QList<QByteArray> transientFields();

    /// Decodes HGETALL's field/value pairs. An empty list is "not cached".
    static ProductHash decode(qint64 id, const QList<QPair<QByteArray, QByteArray>> &pairs);
    /// Decodes an HGETALL reply (an error or nil decodes as empty).
    static ProductHash decode(qint64 id, const RedisReply &hgetall);
    /// Decodes an HMGET reply of `fields` (a nil is a field the hash lacks).
    static ProductHash decodeFields(qint64 id, const QList<QByteArray> &fields, const RedisReply &hmget);
    /// Whether an HGETALL reply is a negative entry or a queued delete,
    /// read in place (the trace's classifier runs it on every lookup).
    static bool isAbsentReply(const RedisReply &hgetall);

    bool isEmpty() const { return m_empty; }
    /// The hash holds a row (it has a name and is not absent).
    bool hasRow() const { return m_hasName && !m_absent; }
    /// A negative entry or a queued delete: there is no product to show.
    bool isAbsent() const { return m_absent; }
    bool isDirty() const { return m_dirty; }
    qint64 deltaMs() const { return m_deltaMs; }
    qint64 expiresAtMs() const { return m_expiresAtMs; }
    /// The row the hash holds (for an absent hash: the id and the version
    /// of the delete, nothing else).
    const Product &product() const { return m_product; }

private:
    Product m_product;
    bool m_empty = true;
    bool m_hasName = false;
    bool m_absent = false;
    bool m_dirty = false;
    qint64 m_deltaMs = 0;
    qint64 m_expiresAtMs = 0;
};
