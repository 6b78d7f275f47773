// RedisReply: an owned value holding one Redis reply.
//
// The hiredis reader decodes; with readerFunctions() it builds RedisReply
// nodes directly instead of hiredis redisReply objects, so a reply is decoded
// once and never copied, and no hiredis pointer outlives the parser. The type
// is cheap to copy (implicitly shared QByteArray / QList) and binary safe.
#pragma once

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>

struct redisReply;
struct redisReplyObjectFunctions;

class RedisReply final
{
public:
    enum class Type {
        Nil,     ///< RESP nil bulk / nil array
        Status,  ///< +OK style simple string
        Error,   ///< -ERR from the server, or a client-side failure (see isClientError)
        Integer, ///< :123
        String,  ///< $bulk bytes (binary safe)
        Array,   ///< *N nested replies
    };

    RedisReply() = default; // Nil

    static RedisReply nil();
    static RedisReply status(const QByteArray &text);
    static RedisReply error(const QByteArray &message);
    /// A failure produced by the client itself (not connected, timeout,
    /// protocol error, connection lost). Type is Error, isClientError() true.
    static RedisReply clientError(const QString &message);
    static RedisReply integer(qint64 value);
    static RedisReply string(const QByteArray &bytes);
    static RedisReply array(QList<RedisReply> elements);

    /// Deep copy of a hiredis reply. Safe on nullptr (gives Nil).
    static RedisReply fromHiredis(const redisReply *reply);

    /// Object functions for a hiredis redisReader that make it build
    /// RedisReply values in place (RESP2: the five hiredis 0.14 types). A
    /// reader using them hands out each top-level reply as a `RedisReply *`
    /// allocated with new: the caller owns it (delete it, or move out of it).
    /// Children are stored straight into their parent's element list.
    static const redisReplyObjectFunctions &readerFunctions();

    Type type() const { return m_type; }
    bool isNil() const { return m_type == Type::Nil; }
    bool isStatus() const { return m_type == Type::Status; }
    bool isError() const { return m_type == Type::Error; }
    bool isClientError() const { return m_type == Type::Error && m_clientError; }
    bool isInteger() const { return m_type == Type::Integer; }
    bool isString() const { return m_type == Type::String; }
    bool isArray() const { return m_type == Type::Array; }

    /// Bytes of a Status, Error or String reply; empty otherwise.
    const QByteArray &bytes() const { return m_bytes; }
    /// Integer value; for a String holding a decimal number, its value; else 0.
    qint64 toInteger(bool *ok = nullptr) const;
    /// The error text as a QString (UTF-8); empty when not an error.
    QString errorMessage() const;
    const QList<RedisReply> &elements() const { return m_elements; }
    qsizetype size() const { return m_elements.size(); }
    const RedisReply &at(qsizetype i) const { return m_elements.at(i); }

    /// For a flat array of field/value pairs (HGETALL, CONFIG GET): the pairs.
    QList<QPair<QByteArray, QByteArray>> toPairs() const;

    /// Short human-readable rendering for traces and logs ("(nil)", "OK",
    /// "(integer) 3", "\"bytes\"", "[3 items]"); long strings are elided.
    QString toDisplayString(int maxBytes = 120) const;

    bool operator==(const RedisReply &other) const;
    bool operator!=(const RedisReply &other) const { return !(*this == other); }

private:
    friend struct RedisReplyBuilder; // the reader callbacks (redisreply.cpp)

    Type m_type = Type::Nil;
    bool m_clientError = false;
    qint64 m_integer = 0;
    QByteArray m_bytes;
    QList<RedisReply> m_elements;
};

Q_DECLARE_METATYPE(RedisReply)
