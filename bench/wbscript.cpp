#include "wbscript.h"

#include "cachekeys.h"
#include "benchserver.h"
#include "cachescripts.h"
#include "rawredis.h"

#include <QDateTime>
#include <QElapsedTimer>

#include <hiredis/hiredis.h>

QList<QByteArray> WbScript::update(
    const CacheKeys &keys, qint64 id, const QByteArray &name, const QByteArray &price, const QByteArray &stamp)
{
    CacheScripts::WbWriteCall call(keys);
    // db_version "1" stands in for the row's version (CacheLab asks SQLite
    // for it once per id); db_exists '' means "exists when the version > 0".
    call.add(keys.product(id), { QByteArray::number(id), "0", "1", "0", name, price, stamp, QByteArray(), "0" });
    QList<QByteArray> cmd { "EVALSHA", CacheScripts::wbWrite().sha(), QByteArray::number(call.keys().size()) };
    cmd << call.keys() << call.args();
    return cmd;
}

double WbScript::rawCeiling(
    BenchServer *server, const CacheKeys &keys, qint64 n, qint64 idCount, int window, QString *error)
{
    RawRedis raw;
    if (!raw.connect(server->url(), error))
        return 0;
    QList<QList<QByteArray>> drops { { "DEL", keys.queue(), keys.queued(), keys.processing(), keys.versions(),
        keys.nextId() } };
    for (qint64 id = 1; id <= idCount; ++id)
        drops.append({ "DEL", keys.product(id) });
    if (!raw.execPipelined(drops)) {
        *error = QStringLiteral("DEL before the ceiling: %1").arg(raw.lastError());
        return 0;
    }
    const RedisScript &script = CacheScripts::wbWrite();
    if (!raw.exec({ "SCRIPT", "LOAD", script.source() })) {
        *error = QStringLiteral("SCRIPT LOAD wb-write: %1").arg(raw.lastError());
        return 0;
    }
    const QByteArray stamp = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
    // The arguments CacheLab sends for update k.
    const auto send = [&](qint64 k) {
        return raw.append(update(keys, 1 + k % idCount, "p" + QByteArray::number(k), QByteArray::number(k), stamp));
    };
    QElapsedTimer clock;
    clock.start();
    qint64 issued = 0;
    for (; issued < std::min<qint64>(n, window); ++issued)
        send(issued);
    for (qint64 done = 0; done < n; ++done) {
        RawReplyPtr r = raw.read();
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 1 || r->element[0]->type != REDIS_REPLY_ARRAY
            || r->element[0]->elements != 4 || r->element[0]->element[0]->integer != 1) {
            *error = QStringLiteral("raw wb-write %1 failed: %2")
                         .arg(done)
                         .arg(r && r->type == REDIS_REPLY_ERROR ? QString::fromUtf8(r->str, int(r->len))
                                                                : raw.lastError());
            return 0;
        }
        if (issued < n)
            send(issued++);
    }
    return double(n) / (double(clock.nsecsElapsed()) / 1e9);
}
