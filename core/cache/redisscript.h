// RedisScript: a Lua script run by its SHA1.
//
// The SHA is computed locally, so EVALSHA can be sent before SCRIPT LOAD has
// been answered. A NOSCRIPT reply (server restarted, SCRIPT FLUSH) loads the
// script again and repeats the call once.
#pragma once

#include "redisclient.h"

#include <QByteArray>
#include <QString>

class RedisScript final
{
public:
    RedisScript(const QString &name, const QByteArray &source);

    QString name() const { return m_name; }
    QByteArray source() const { return m_source; }
    QByteArray sha() const { return m_sha; }

    /// EVALSHA sha numkeys keys... args...
    RedisCommand evalsha(const QList<QByteArray> &keys, const QList<QByteArray> &args) const;
    RedisCommand load() const { return { QByteArrayLiteral("SCRIPT"), QByteArrayLiteral("LOAD"), m_source }; }

    /// Runs the script; on NOSCRIPT loads it and retries once. `reloaded` is
    /// set when a reload happened (for the trace).
    void run(RedisClient *client, const QList<QByteArray> &keys, const QList<QByteArray> &args, QObject *context,
        std::function<void(const RedisReply &, bool reloaded)> done) const;

    static bool isNoScript(const RedisReply &reply);

private:
    QString m_name;
    QByteArray m_source;
    QByteArray m_sha;
};
