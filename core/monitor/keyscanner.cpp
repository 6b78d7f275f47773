// KeyScanner: SCAN loop driven by replies, pipelined detail fetches.
#include "keyscanner.h"

#include "redisclient.h"

KeyScanner::KeyScanner(const RedisUrl &url, QObject *parent)
    : QObject(parent)
{
    RedisUrl own = url;
    own.clientName = QStringLiteral("cachelab-keyscan");
    m_client = new RedisClient(own, this);
    connect(m_client, &RedisClient::connected, this, &KeyScanner::connected);
    connect(m_client, &RedisClient::errorOccurred, this, &KeyScanner::errorOccurred);
}

KeyScanner::~KeyScanner() = default;

void KeyScanner::connectToServer()
{
    m_client->connectToServer();
}

bool KeyScanner::isConnected() const
{
    return m_client->isConnected();
}

void KeyScanner::scan(const QByteArray &pattern)
{
    const quint64 generation = ++m_generation;
    m_pattern = pattern.isEmpty() ? QByteArrayLiteral("*") : pattern;
    m_scanning = true;
    m_seen = 0;
    m_client->command({ QByteArrayLiteral("DBSIZE") }, this, [this, generation](const RedisReply &reply) {
        if (generation != m_generation)
            return;
        if (reply.isError()) {
            m_scanning = false;
            emit errorOccurred(reply.errorMessage());
            return;
        }
        m_dbSize = reply.toInteger();
        emit scanStarted(m_pattern, m_dbSize);
        next(generation, QByteArrayLiteral("0"));
    });
}

void KeyScanner::cancel()
{
    ++m_generation;
    m_scanning = false;
}

void KeyScanner::next(quint64 generation, const QByteArray &cursor)
{
    m_client->command({ QByteArrayLiteral("SCAN"), cursor, QByteArrayLiteral("MATCH"), m_pattern,
                          QByteArrayLiteral("COUNT"), QByteArray::number(ScanCount) },
        this, [this, generation](const RedisReply &reply) {
            if (generation != m_generation)
                return;
            if (reply.isError() || !reply.isArray() || reply.size() != 2) {
                m_scanning = false;
                emit errorOccurred(reply.isError() ? reply.errorMessage() : tr("unexpected SCAN reply"));
                return;
            }
            const QByteArray nextCursor = reply.at(0).bytes();
            QList<QByteArray> keys;
            keys.reserve(reply.at(1).size());
            for (const RedisReply &k : reply.at(1).elements())
                keys.append(k.bytes());
            m_seen += keys.size();
            if (!keys.isEmpty())
                emit keysFound(keys);
            emit progress(m_seen, m_dbSize);
            if (nextCursor == "0") {
                m_scanning = false;
                emit scanFinished(m_seen);
                return;
            }
            next(generation, nextCursor);
        });
}

void KeyScanner::fetchDetails(const QList<QByteArray> &keys)
{
    if (keys.isEmpty())
        return;
    QList<RedisCommand> commands;
    commands.reserve(keys.size() * 3);
    const bool memory = m_memoryUsageSupported;
    for (const QByteArray &key : keys) {
        commands.append({ QByteArrayLiteral("TYPE"), key });
        commands.append({ QByteArrayLiteral("PTTL"), key });
        if (memory)
            commands.append({ QByteArrayLiteral("MEMORY"), QByteArrayLiteral("USAGE"), key,
                QByteArrayLiteral("SAMPLES"), QByteArrayLiteral("0") });
    }
    const int per = memory ? 3 : 2;
    m_client->pipeline(commands, this, [this, keys, per](const QList<RedisReply> &replies) {
        if (replies.size() != keys.size() * per) {
            emit detailsFailed(keys, tr("incomplete reply"));
            return;
        }
        QList<KeyDetails> out;
        out.reserve(keys.size());
        for (qsizetype i = 0; i < keys.size(); ++i) {
            const RedisReply &type = replies.at(i * per);
            const RedisReply &pttl = replies.at(i * per + 1);
            if (type.isClientError() || pttl.isClientError()) {
                emit detailsFailed(keys, type.isError() ? type.errorMessage() : pttl.errorMessage());
                return;
            }
            KeyDetails d;
            d.key = keys.at(i);
            d.type = type.bytes();
            d.pttlMs = pttl.isInteger() ? pttl.toInteger() : -1;
            if (per == 3) {
                const RedisReply &mem = replies.at(i * per + 2);
                if (mem.isError() && !mem.isClientError())
                    m_memoryUsageSupported = false; // e.g. a managed Redis that renames MEMORY
                d.sizeBytes = mem.isInteger() ? mem.toInteger() : -1;
            }
            out.append(d);
        }
        emit detailsReady(out);
    });
}

void KeyScanner::fetchPreview(const QByteArray &key)
{
    m_client->command({ QByteArrayLiteral("TYPE"), key }, this, [this, key](const RedisReply &reply) {
        if (reply.isError()) {
            KeyValuePreview p;
            p.key = key;
            p.error = reply.errorMessage();
            emit previewReady(p);
            return;
        }
        previewOfType(key, reply.bytes());
    });
}

void KeyScanner::previewOfType(const QByteArray &key, const QByteArray &type)
{
    const QByteArray n = QByteArray::number(PreviewItems);
    const QByteArray last = QByteArray::number(PreviewItems - 1);
    QList<RedisCommand> cmds;
    if (type == "string")
        cmds = { { "GETRANGE", key, "0", QByteArray::number(PreviewBytes - 1) }, { "STRLEN", key } };
    else if (type == "hash")
        cmds = { { "HSCAN", key, "0", "COUNT", n }, { "HLEN", key } };
    else if (type == "list")
        cmds = { { "LRANGE", key, "0", last }, { "LLEN", key } };
    else if (type == "set")
        cmds = { { "SSCAN", key, "0", "COUNT", n }, { "SCARD", key } };
    else if (type == "zset")
        cmds = { { "ZRANGE", key, "0", last, "WITHSCORES" }, { "ZCARD", key } };
    else if (type == "stream")
        cmds = { { "XRANGE", key, "-", "+", "COUNT", n }, { "XLEN", key } };

    if (cmds.isEmpty()) {
        KeyValuePreview p;
        p.key = key;
        p.type = type;
        if (type == "none")
            p.error = tr("The key no longer exists.");
        else
            p.error = tr("No preview for type %1.").arg(QString::fromLatin1(type));
        emit previewReady(p);
        return;
    }
    m_client->pipeline(cmds, this, [this, key, type](const QList<RedisReply> &replies) {
        KeyValuePreview p;
        p.key = key;
        p.type = type;
        if (replies.size() != 2 || replies.at(0).isError()) {
            p.error = replies.isEmpty() ? tr("no reply") : replies.at(0).errorMessage();
            emit previewReady(p);
            return;
        }
        const RedisReply &v = replies.at(0);
        p.totalItems = replies.at(1).toInteger();
        const auto text = [](const QByteArray &b) { return QString::fromUtf8(b); };
        if (type == "string") {
            p.rows.append({ tr("value"), text(v.bytes()) });
        } else if (type == "hash" || type == "set") {
            const RedisReply items = v.size() == 2 ? v.at(1) : RedisReply();
            if (type == "hash") {
                for (qsizetype i = 0; i + 1 < items.size(); i += 2)
                    p.rows.append({ text(items.at(i).bytes()), text(items.at(i + 1).bytes()) });
            } else {
                for (qsizetype i = 0; i < items.size(); ++i)
                    p.rows.append({ QString::number(i), text(items.at(i).bytes()) });
            }
        } else if (type == "list") {
            for (qsizetype i = 0; i < v.size(); ++i)
                p.rows.append({ QString::number(i), text(v.at(i).bytes()) });
        } else if (type == "zset") {
            for (qsizetype i = 0; i + 1 < v.size(); i += 2)
                p.rows.append({ text(v.at(i + 1).bytes()), text(v.at(i).bytes()) });
        } else if (type == "stream") {
            for (const RedisReply &entry : v.elements()) {
                if (entry.size() != 2)
                    continue;
                QStringList fields;
                const RedisReply &kv = entry.at(1);
                for (qsizetype i = 0; i + 1 < kv.size(); i += 2)
                    fields << text(kv.at(i).bytes()) + QLatin1Char('=') + text(kv.at(i + 1).bytes());
                p.rows.append({ text(entry.at(0).bytes()), fields.join(QStringLiteral(", ")) });
            }
        }
        emit previewReady(p);
    });
}
