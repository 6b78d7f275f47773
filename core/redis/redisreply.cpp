// RedisReply: construction (from hiredis replies, or built directly by the
// reader callbacks), conversions and the short display form used by traces
// and logs.
#include "redisreply.h"

#include <hiredis/hiredis.h>

#include <new>

RedisReply RedisReply::nil()
{
    return RedisReply();
}

RedisReply RedisReply::status(const QByteArray &text)
{
    RedisReply r;
    r.m_type = Type::Status;
    r.m_bytes = text;
    return r;
}

RedisReply RedisReply::error(const QByteArray &message)
{
    RedisReply r;
    r.m_type = Type::Error;
    r.m_bytes = message;
    return r;
}

RedisReply RedisReply::clientError(const QString &message)
{
    RedisReply r;
    r.m_type = Type::Error;
    r.m_clientError = true;
    r.m_bytes = message.toUtf8();
    return r;
}

RedisReply RedisReply::integer(qint64 value)
{
    RedisReply r;
    r.m_type = Type::Integer;
    r.m_integer = value;
    return r;
}

RedisReply RedisReply::string(const QByteArray &bytes)
{
    RedisReply r;
    r.m_type = Type::String;
    r.m_bytes = bytes;
    return r;
}

RedisReply RedisReply::array(QList<RedisReply> elements)
{
    RedisReply r;
    r.m_type = Type::Array;
    r.m_elements = std::move(elements);
    return r;
}

RedisReply RedisReply::fromHiredis(const redisReply *reply)
{
    if (!reply)
        return nil();
    // hiredis 0.14 only produces the RESP2 types; the lengths are size_t and
    // the strings may hold NUL bytes, so always copy with the explicit length.
    switch (reply->type) {
    case REDIS_REPLY_STRING:
        return string(QByteArray(reply->str, qsizetype(reply->len)));
    case REDIS_REPLY_STATUS:
        return status(QByteArray(reply->str, qsizetype(reply->len)));
    case REDIS_REPLY_ERROR:
        return error(QByteArray(reply->str, qsizetype(reply->len)));
    case REDIS_REPLY_INTEGER:
        return integer(reply->integer);
    case REDIS_REPLY_ARRAY: {
        QList<RedisReply> elements;
        elements.reserve(qsizetype(reply->elements));
        for (size_t i = 0; i < reply->elements; ++i)
            elements.append(fromHiredis(reply->element[i]));
        return array(std::move(elements));
    }
    case REDIS_REPLY_NIL:
    default:
        return nil();
    }
}

// The reader callbacks. hiredis calls one per value once its bytes are all
// there; task->parent is the enclosing array's task (its obj is the
// RedisReply returned for that array) and task->idx the slot. Children come
// in index order, and an array does not move while its own children are
// read (its parent only grows once it is complete), so appending to the
// parent's list is safe. Only top-level values are allocated on their own;
// hiredis frees only those (on errors and reader teardown), children go
// with them.
struct RedisReplyBuilder
{
    // An array header can claim far more elements than will ever arrive, so
    // reserve at most this many up front and let the list grow with the data.
    static constexpr int kMaxReserve = 4096;

    static RedisReply *node(const redisReadTask *task)
    {
        if (!task->parent)
            return new (std::nothrow) RedisReply; // null = out of memory for hiredis
        auto *parent = static_cast<RedisReply *>(task->parent->obj);
        Q_ASSERT(parent->m_elements.size() == task->idx);
        return &parent->m_elements.emplaceBack();
    }

    static void *createString(const redisReadTask *task, char *str, size_t len)
    {
        RedisReply *r = node(task);
        if (!r)
            return nullptr;
        switch (task->type) {
        case REDIS_REPLY_ERROR:
            r->m_type = RedisReply::Type::Error;
            break;
        case REDIS_REPLY_STATUS:
            r->m_type = RedisReply::Type::Status;
            break;
        default:
            r->m_type = RedisReply::Type::String;
            break;
        }
        r->m_bytes = QByteArray(str, qsizetype(len));
        return r;
    }

    static void *createArray(const redisReadTask *task, int elements)
    {
        RedisReply *r = node(task);
        if (!r)
            return nullptr;
        r->m_type = RedisReply::Type::Array;
        if (elements > 0)
            r->m_elements.reserve(qMin(elements, kMaxReserve));
        return r;
    }

    static void *createInteger(const redisReadTask *task, long long value)
    {
        RedisReply *r = node(task);
        if (!r)
            return nullptr;
        r->m_type = RedisReply::Type::Integer;
        r->m_integer = value;
        return r;
    }

    static void *createNil(const redisReadTask *task) { return node(task); }

    static void freeObject(void *object) { delete static_cast<RedisReply *>(object); }
};

const redisReplyObjectFunctions &RedisReply::readerFunctions()
{
    static const redisReplyObjectFunctions functions {
        .createString = &RedisReplyBuilder::createString,
        .createArray = &RedisReplyBuilder::createArray,
        .createInteger = &RedisReplyBuilder::createInteger,
        .createNil = &RedisReplyBuilder::createNil,
        .freeObject = &RedisReplyBuilder::freeObject,
    };
    return functions;
}

qint64 RedisReply::toInteger(bool *ok) const
{
    if (m_type == Type::Integer) {
        if (ok)
            *ok = true;
        return m_integer;
    }
    if (m_type == Type::String || m_type == Type::Status) {
        bool converted = false;
        const qint64 value = m_bytes.toLongLong(&converted);
        if (ok)
            *ok = converted;
        return converted ? value : 0;
    }
    if (ok)
        *ok = false;
    return 0;
}

QString RedisReply::errorMessage() const
{
    return m_type == Type::Error ? QString::fromUtf8(m_bytes) : QString();
}

QList<QPair<QByteArray, QByteArray>> RedisReply::toPairs() const
{
    QList<QPair<QByteArray, QByteArray>> pairs;
    if (m_type != Type::Array)
        return pairs;
    const auto asBytes
        = [](const RedisReply &r) { return r.isInteger() ? QByteArray::number(r.m_integer) : r.m_bytes; };
    pairs.reserve(m_elements.size() / 2);
    // An odd trailing element has no partner; it is ignored rather than
    // invented, so a malformed reply cannot produce a fake field.
    for (qsizetype i = 0; i + 1 < m_elements.size(); i += 2)
        pairs.append({ asBytes(m_elements.at(i)), asBytes(m_elements.at(i + 1)) });
    return pairs;
}

namespace {

// Renders bytes the way redis-cli does: printable ASCII as is, quotes and
// backslashes escaped, everything else as \n, \r, \t or \xHH.
QString escapeBytes(const QByteArray &bytes, int maxBytes)
{
    const qsizetype shown = maxBytes >= 0 ? qMin<qsizetype>(bytes.size(), maxBytes) : bytes.size();
    QString out;
    out.reserve(shown + 8);
    for (qsizetype i = 0; i < shown; ++i) {
        const auto c = static_cast<unsigned char>(bytes.at(i));
        switch (c) {
        case '"':
            out += QLatin1String("\\\"");
            break;
        case '\\':
            out += QLatin1String("\\\\");
            break;
        case '\n':
            out += QLatin1String("\\n");
            break;
        case '\r':
            out += QLatin1String("\\r");
            break;
        case '\t':
            out += QLatin1String("\\t");
            break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                out += QLatin1Char(char(c));
            } else {
                out += QLatin1String("\\x");
                out += QString::number(c, 16).rightJustified(2, QLatin1Char('0'));
            }
        }
    }
    return out;
}

} // namespace

QString RedisReply::toDisplayString(int maxBytes) const
{
    switch (m_type) {
    case Type::Nil:
        return QStringLiteral("(nil)");
    case Type::Status:
        return escapeBytes(m_bytes, maxBytes);
    case Type::Error:
        return QStringLiteral("(error) ") + escapeBytes(m_bytes, maxBytes);
    case Type::Integer:
        return QStringLiteral("(integer) ") + QString::number(m_integer);
    case Type::String: {
        QString text = QLatin1Char('"') + escapeBytes(m_bytes, maxBytes) + QLatin1Char('"');
        if (maxBytes >= 0 && m_bytes.size() > maxBytes)
            text += QStringLiteral("... (%1 bytes)").arg(m_bytes.size());
        return text;
    }
    case Type::Array:
        if (m_elements.isEmpty())
            return QStringLiteral("(empty array)");
        if (m_elements.size() == 1)
            return QStringLiteral("[1 item]");
        return QLatin1Char('[') + QString::number(m_elements.size()) + QStringLiteral(" items]");
    }
    return QString();
}

bool RedisReply::operator==(const RedisReply &other) const
{
    if (m_type != other.m_type)
        return false;
    switch (m_type) {
    case Type::Nil:
        return true;
    case Type::Integer:
        return m_integer == other.m_integer;
    case Type::Error:
        return m_clientError == other.m_clientError && m_bytes == other.m_bytes;
    case Type::Status:
    case Type::String:
        return m_bytes == other.m_bytes;
    case Type::Array:
        return m_elements == other.m_elements;
    }
    return false;
}
