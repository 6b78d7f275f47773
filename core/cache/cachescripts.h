// CacheScripts: the Lua scripts that make cache writes atomic and safe.
//
//  fill        compare-and-set fill: HSET + PEXPIRE in one step, refused when
//              Redis holds a newer version, unflushed write-behind data, or an
//              invalidation guard above the version (the stale-set guard).
//  negative    remember "this id does not exist" unless data or a recent
//              change says otherwise.
//  invalidate  DEL the hash (keeping unflushed write-behind data) and raise
//              the guard so a slower reader cannot put older data back.
//  unlock      compare-and-delete of the stampede lock (only the owner's token).
//  wbClean     after a write-behind flush: drop the dirty mark and set the TTL,
//              only if no newer write arrived meanwhile.
//  wbWrite     accept write-behind writes (one, or the batch that arrived
//              while a call was in flight), each on its own: version check
//              (compare-and-set), HSET with the dirty mark, PERSIST, RPUSH
//              to the queue unless the id already waits there (coalescing) -
//              what WATCH + MULTI did, in one round trip for all of them.
//  versionReserve  before a SQL write: reserve its version (and say whether
//              a write-behind write of the id is still queued).
//  versionClaim  after a SQL write: claim its version in the versions hash,
//              or reserve a fresh one when another writer holds it.
//  raiseMark   raise the "changes invalidated up to" watermark.
//  wbTake      LMOVE queue -> processing up to the batch size, in one round trip.
//  wbRecover   move everything in processing back to the queue (after a crash).
//  idFloor     raise the write-behind id counter to at least a value.
//  dropKeys    DEL keys that are not unflushed write-behind hashes.
#pragma once

#include "redisscript.h"

#include <QList>

class CacheKeys;

namespace CacheScripts {

/// The guard value a delete leaves: larger than any real version.
inline constexpr qint64 DeletedGuard = 9007199254740991; // 2^53 - 1, exact in Lua doubles

const RedisScript &fill();
const RedisScript &negative();
const RedisScript &invalidate();
const RedisScript &unlock();
const RedisScript &wbWrite();
/// Builds one wbWrite call: the shared keys once, then per write its hash
/// key and its WbWriteArgs arguments.
class WbWriteCall
{
public:
    static constexpr int ArgsPerWrite = 9;
    explicit WbWriteCall(const CacheKeys &keys);
    /// `args` must hold ArgsPerWrite values (see wbWrite).
    void add(const QByteArray &hashKey, const QList<QByteArray> &args);
    int size() const { return int(m_keys.size()) - 5; }
    const QList<QByteArray> &keys() const { return m_keys; }
    const QList<QByteArray> &args() const { return m_args; }

private:
    QList<QByteArray> m_keys;
    QList<QByteArray> m_args;
};
const RedisScript &versionReserve();
const RedisScript &versionRelease();
const RedisScript &versionClaim();
const RedisScript &raiseMark();
const RedisScript &wbClean();
const RedisScript &wbTake();
const RedisScript &wbRecover();
const RedisScript &idFloor();
const RedisScript &dropKeys();
QList<const RedisScript *> all();

} // namespace CacheScripts
