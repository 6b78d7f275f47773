// ProductHash: encode and decode product:{id} (see the header for the fields).
#include "producthash.h"

#include "redisreply.h"
#include "timestamp.h"

ProductHash::Encoded ProductHash::encode(const Product &product)
{
    return { QByteArray::number(product.id), product.name.toUtf8(), QByteArray::number(product.price),
        QByteArray::number(product.version), Timestamp::formatUtc(product.updatedAt) };
}

QList<QByteArray> ProductHash::fieldValues(const Product &product)
{
    const Encoded e = encode(product);
    return { Id, e.id, Name, e.name, Price, e.price, Version, e.version, UpdatedAt, e.updatedAt };
}

QList<QByteArray> ProductHash::transientFields()
{
    return { Absent, Delta, ExpiresAt };
}

ProductHash ProductHash::decode(qint64 id, const QList<QPair<QByteArray, QByteArray>> &pairs)
{
    ProductHash h;
    h.m_product.id = id;
    h.m_empty = pairs.isEmpty();
    for (const auto &[field, value] : pairs) {
        if (field == Name) {
            h.m_product.name = QString::fromUtf8(value);
            h.m_hasName = true;
        }
        else if (field == Price)
            h.m_product.price = value.toLongLong();
        else if (field == Version)
            h.m_product.version = value.toLongLong();
        else if (field == UpdatedAt)
            h.m_product.updatedAt = Timestamp::parseUtc(value);
        else if (field == Absent)
            h.m_absent = true;
        else if (field == Dirty)
            h.m_dirty = true;
        else if (field == Delta)
            h.m_deltaMs = value.toLongLong();
        else if (field == ExpiresAt)
            h.m_expiresAtMs = value.toLongLong();
    }
    return h;
}

ProductHash ProductHash::decode(qint64 id, const RedisReply &hgetall)
{
    return decode(id, hgetall.isArray() ? hgetall.toPairs() : QList<QPair<QByteArray, QByteArray>> {});
}

ProductHash ProductHash::decodeFields(qint64 id, const QList<QByteArray> &fields, const RedisReply &hmget)
{
    QList<QPair<QByteArray, QByteArray>> pairs;
    for (qsizetype i = 0; i < fields.size() && i < hmget.size(); ++i) {
        if (hmget.at(i).isString())
            pairs.append({ fields.at(i), hmget.at(i).bytes() });
    }
    return decode(id, pairs);
}

bool ProductHash::isAbsentReply(const RedisReply &r)
{
    for (qsizetype i = 0; i + 1 < r.size(); i += 2) {
        if (!r.at(i).isInteger() && r.at(i).bytes() == Absent)
            return true;
    }
    return false;
}
