// CacheScripts: Lua sources. Each runs atomically inside Redis, which is
// what turns "read, compare, write" into one step no other client can split.
#include "cachescripts.h"

#include "cachekeys.h"

namespace CacheScripts {

// KEYS: hash, guard. ARGV: version, ttl_ms, id, name, price, updated_at,
// delta_ms, expires_at_ms, guard_enabled.
// Returns 1 filled, -1 guard newer, -2 unflushed write-behind data, -3 newer version cached.
const RedisScript &fill()
{
    static const RedisScript s(QStringLiteral("fill"), QByteArrayLiteral(R"lua(
local v = tonumber(ARGV[1])
local cur = redis.call('HMGET', KEYS[1], 'version', 'dirty', 'absent')
if cur[2] then return -2 end
if ARGV[9] == '1' then
  local g = redis.call('GET', KEYS[2])
  if g and tonumber(g) > v then return -1 end
  if cur[1] and not cur[3] and tonumber(cur[1]) > v then return -3 end
end
-- cur[3] already says whether a negative entry is there: no HEXISTS.
if cur[3] then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], 'id', ARGV[3], 'name', ARGV[4], 'price', ARGV[5], 'version', ARGV[1],
           'updated_at', ARGV[6], 'delta', ARGV[7], 'expires_at', ARGV[8])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua"));
    return s;
}

// KEYS: hash, guard. ARGV: ttl_ms, deleted_guard.
// Returns 1 stored, 0 data exists, -1 a recent create/update may have made the id real.
const RedisScript &negative()
{
    static const RedisScript s(QStringLiteral("negative"), QByteArrayLiteral(R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local g = redis.call('GET', KEYS[2])
if g and g ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], 'absent', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
)lua"));
    return s;
}

// KEYS: hash, guard[, versions]. ARGV: guard_version (0 = none), guard_ttl_ms,
// force (1 = set, 0 = raise only)[, id, version[, keep_from]]. With the
// third key the versions hash is raised to `version` too (a change replayed
// from SQLite's change table: nobody may be given that version again). With
// keep_from a copy already at that version or newer is kept (it has the change).
// Returns the number of keys removed (0/1), or -2 when unflushed write-behind data was kept.
const RedisScript &invalidate()
{
    static const RedisScript s(QStringLiteral("invalidate"), QByteArrayLiteral(R"lua(
if KEYS[3] then
  local top = tonumber(redis.call('HGET', KEYS[3], ARGV[4]) or '0') or 0
  if tonumber(ARGV[5]) > top then redis.call('HSET', KEYS[3], ARGV[4], ARGV[5]) end
end
if redis.call('HEXISTS', KEYS[1], 'dirty') == 1 then return -2 end
local removed = 0
local cur = nil
if ARGV[6] then cur = redis.call('HMGET', KEYS[1], 'version', 'absent') end
if cur and cur[1] and not cur[2] and tonumber(cur[1]) >= tonumber(ARGV[6]) then
  -- Another writer's change, and the copy already holds it or something
  -- newer (write-through set it): nothing stale to drop.
  removed = 0
else
  removed = redis.call('DEL', KEYS[1])
end
local n = tonumber(ARGV[1])
if n > 0 then
  local g = tonumber(redis.call('GET', KEYS[2]) or '0')
  if ARGV[3] == '1' or n > g then
    redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  else
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
  end
end
return removed
)lua"));
    return s;
}

// KEYS: lock. ARGV: token. Deletes the lock only when we still own it.
const RedisScript &unlock()
{
    static const RedisScript s(QStringLiteral("unlock"), QByteArrayLiteral(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua"));
    return s;
}

// Accepts N write-behind writes in one call (N = 1 when the strategy is
// idle; the writes that arrived while a call was in flight otherwise).
// Each write is decided and applied on its own, in the order given, exactly
// as if it were a call of its own: one failing does not touch the others.
//
// KEYS: queue, processing, queued, versions, id counter, then the hash of
// each write. ARGV: WbWriteArgs (9) per write, in the same order: id,
// expected_version (0 = any), db_version ('' = unknown; else the highest
// version SQLite ever gave the id, deleted rows included), mode ('0' update,
// '1' delete, '2' create, '3' upsert), name, price, updated_at, db_exists
// ('1' SQLite has the row, '0' it has not, '' = db_version > 0), trust ('1'
// = take what it sees even when another writer was given a newer version).
// Returns one {code, version, depth, pushed} per write: code 1 accepted
// (version = the new one, depth = queue + processing after the whole call,
// pushed = 1 when the id joined the queue, 0 when it was already waiting
// there: coalesced), 0 not cached and db_version unknown, or (pushed = 1)
// what it sees is older than a version another writer was given (ask SQLite,
// call again), -1 no such product, -2 conflict (version = current), -3
// create of an id that exists; or an error reply when the write's hash is
// not a hash. Only an accepted write changes anything.
//
// The new version is one above everything any writer was ever given for
// this id: the cached hash, SQLite's answer and the versions hash, which
// every writer raises (this script, and every SQL write's claim) and which
// is never deleted, expired or evicted by CacheLab. So a version is never
// handed out twice, even when the hash vanished after a flush and SQLite's
// answer was read before that flush.
const RedisScript &wbWrite()
{
    static const RedisScript s(QStringLiteral("wb-write"), QByteArrayLiteral(R"lua(
local queue, processing, queued, versions, counter = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local n = #KEYS - 5
-- What the versions hash holds for each id, read once for the whole call;
-- `tops` then follows the writes of this call (a later write of the same id
-- sees the version an earlier one took), and the raised entries are written
-- back in one HSET at the end.
local ids = {}
for i = 1, n do ids[i] = ARGV[(i - 1) * 9 + 1] end
local tops, entry, raised = {}, {}, {}
local known = redis.call('HMGET', versions, unpack(ids))
for i = 1, n do
  local id = ids[i]
  if tops[id] == nil then
    tops[id] = tonumber(known[i] or '0') or 0
    entry[id] = known[i] ~= false
  end
end
local function one(key, a)
  local id, mode = ARGV[a + 1], ARGV[a + 4]
  local cur = redis.pcall('HMGET', key, 'version', 'absent', 'dirty', 'delta', 'expires_at')
  if cur.err then return cur end
  local current, exists
  -- A queued write (dirty) is newer than SQLite; a clean copy is not, so
  -- SQLite's answer, when the caller has one, goes before it.
  local dbVersion = ARGV[a + 3]
  if cur[1] and (cur[3] or dbVersion == '') then
    current = tonumber(cur[1]) or 0
    exists = not cur[2]
  elseif dbVersion ~= '' then
    current = tonumber(dbVersion) or 0
    local dbExists = ARGV[a + 8]
    if dbExists == '1' then exists = true
    elseif dbExists == '0' then exists = false
    else exists = current > 0 end
  else
    return {0, 0, 0, 0}
  end
  local top = tops[id]
  -- An update or delete decides on "the product exists". When another writer
  -- was given a newer version than the one seen here (an SQL delete between
  -- its reservation and its commit, or committed a moment ago), that is old
  -- news: a delete must not be answered by a write that brings the row back.
  local change = mode == '0' or mode == '1'
  if change and top > current and ARGV[a + 9] ~= '1' then return {0, current, 0, 1} end
  -- A create under a fresh id from the counter: an id any writer ever used
  -- (the versions hash knows it) is not fresh after all.
  if mode == '2' and (exists or entry[id]) then return {-3, current, 0, 0} end
  if change and not exists then return {-1, current, 0, 0} end
  local expected = tonumber(ARGV[a + 2]) or 0
  if expected > 0 and expected ~= current then return {-2, current, 0, 0} end
  if current > top then top = current end
  top = top + 1
  tops[id], entry[id], raised[id] = top, true, true
  local v = string.format('%d', top)
  if mode == '3' then
    -- An id the caller chose: the shared id counter must never hand it out.
    local c = tonumber(redis.call('GET', counter) or '0') or 0
    if tonumber(id) > c then redis.call('SET', counter, id) end
  end
  if mode == '1' then
    -- A tombstone: reads answer NotFound until the worker deletes the row.
    redis.call('HSET', key, 'id', id, 'absent', '1', 'version', v, 'updated_at', ARGV[a + 7], 'dirty', '1')
    redis.call('HDEL', key, 'name', 'price', 'delta', 'expires_at')
  else
    redis.call('HSET', key, 'id', id, 'name', ARGV[a + 5], 'price', ARGV[a + 6], 'version', v,
               'updated_at', ARGV[a + 7], 'dirty', '1')
    if cur[2] or cur[4] or cur[5] then redis.call('HDEL', key, 'absent', 'delta', 'expires_at') end
  end
  -- No TTL while unflushed: a queued item must never expire.
  redis.call('PERSIST', key)
  return {1, top, 0, 0}
end
local out, accepted = {}, {}
for i = 1, n do
  local r = one(KEYS[5 + i], (i - 1) * 9)
  out[i] = r
  if r[1] == 1 then accepted[#accepted + 1] = i end
end
if #accepted == 0 then return out end
-- Every raised entry, once, with the last version this call gave it.
local flat = {}
for id in next, raised do
  flat[#flat + 1] = id
  flat[#flat + 1] = string.format('%d', tops[id])
end
redis.call('HSET', versions, unpack(flat))
-- An id already waiting in the queue is not pushed again: the worker reads
-- the hash when it flushes, so it writes the newest state anyway. Of the
-- writes to an id that was not waiting, the first pushes it (pushed = 1),
-- the others coalesce.
local firstOf, candidates = {}, {}
for _, i in ipairs(accepted) do
  local id = ids[i]
  if firstOf[id] == nil then
    firstOf[id] = i
    candidates[#candidates + 1] = id
  end
end
local member = redis.pcall('SMISMEMBER', queued, unpack(candidates))
local push = {}
for k, id in ipairs(candidates) do
  local waiting
  if member.err then waiting = redis.call('SISMEMBER', queued, id) == 1 -- before Redis 6.2
  else waiting = member[k] == 1 end
  if not waiting then
    push[#push + 1] = id
    out[firstOf[id]][4] = 1
  end
end
if #push > 0 then
  redis.call('SADD', queued, unpack(push))
  redis.call('RPUSH', queue, unpack(push))
end
local depth = redis.call('LLEN', queue) + redis.call('LLEN', processing)
for _, i in ipairs(accepted) do out[i][3] = depth end
return out
)lua"));
    return s;
}

WbWriteCall::WbWriteCall(const CacheKeys &keys)
    : m_keys { keys.queue(), keys.processing(), keys.queued(), keys.versions(), keys.nextId() }
{ }

void WbWriteCall::add(const QByteArray &hashKey, const QList<QByteArray> &args)
{
    Q_ASSERT(args.size() == ArgsPerWrite);
    m_keys.append(hashKey);
    m_args.append(args);
}

// KEYS: versions, hash, mark, id counter. ARGV: id, ready_mark. Before a
// SQL write: reserves its version, one above everything any writer was
// given for the id. Returns {version, dirty}: version 0 when the id has no
// entry yet (nobody wrote it through CacheLab since Redis has its data: the
// write then claims what it commits); dirty = 1 when the hash holds a
// write-behind write not yet in SQLite (the caller flushes the queue first). Also keeps the id counter
// above the id and raises the change-log mark to ready_mark.
const RedisScript &versionReserve()
{
    static const RedisScript s(QStringLiteral("version-reserve"), QByteArrayLiteral(R"lua(
local entry = redis.call('HGET', KEYS[1], ARGV[1])
local dirty = redis.call('HEXISTS', KEYS[2], 'dirty')
local v = 0
if entry then
  -- Every version given out went through this entry (write-behind writes,
  -- SQL writes, replayed outside edits), so one above it is free.
  v = (tonumber(entry) or 0) + 1
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', v))
end
local c = tonumber(redis.call('GET', KEYS[4]) or '0') or 0
if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[4], ARGV[1]) end
local ready = tonumber(ARGV[2]) or 0
if ready > 0 then
  local m = tonumber(redis.call('GET', KEYS[3]) or '-1') or -1
  if m >= 0 and ready > m then redis.call('SET', KEYS[3], string.format('%d', ready)) end
end
return {v, dirty}
)lua"));
    return s;
}

// KEYS: versions. ARGV: id, version. Gives back a reservation whose write
// was refused: lowers the entry by one if it still holds exactly that
// version (nobody reserved or wrote above it since).
const RedisScript &versionRelease()
{
    static const RedisScript s(QStringLiteral("version-release"), QByteArrayLiteral(R"lua(
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', tonumber(ARGV[2]) - 1))
  return 1
end
return 0
)lua"));
    return s;
}

// KEYS: versions. ARGV: id, version. A SQL write committed `version`
// without a reservation (SQLite was ahead of Redis): claim it. Returns
// {1, version} when nobody was given that version or a later one (the
// versions hash now holds it), else {0, fresh}: another writer (a
// write-behind write on another instance, say) holds it, so the caller
// moves its row to `fresh`, which this call reserved.
const RedisScript &versionClaim()
{
    static const RedisScript s(QStringLiteral("version-claim"), QByteArrayLiteral(R"lua(
local top = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') or 0
local v = tonumber(ARGV[2])
if v > top then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return {1, v}
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', top + 1))
return {0, top + 1}
)lua"));
    return s;
}

// KEYS: hash. ARGV: flushed_version, ttl_ms, negative_ttl_ms, superseded
// ('1': SQLite already held that version or a newer one, written by someone
// else, so the hash is dropped rather than kept as a clean copy).
// Returns 1 cleaned, 0 a newer write is pending (left dirty), -1 hash gone.
const RedisScript &wbClean()
{
    static const RedisScript s(QStringLiteral("wb-clean"), QByteArrayLiteral(R"lua(
local cur = redis.call('HMGET', KEYS[1], 'version', 'absent')
if not cur[1] then return -1 end
if cur[1] ~= ARGV[1] then return 0 end
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('HDEL', KEYS[1], 'dirty')
if cur[2] then
  if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) else redis.call('DEL', KEYS[1]) end
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
)lua"));
    return s;
}

// KEYS: processing, queue, queued. Moves every item back to the head of the
// queue, keeping their order, and marks each as queued again. Returns how
// many moved.
const RedisScript &wbRecover()
{
    static const RedisScript s(QStringLiteral("wb-recover"), QByteArrayLiteral(R"lua(
local n = 0
while true do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not v then break end
  redis.call('SADD', KEYS[3], v)
  n = n + 1
end
return n
)lua"));
    return s;
}

// KEYS: queue, processing, queued. ARGV: max. LMOVE queue -> processing up
// to max times in one round trip, each moved id leaving the queued set (a
// write after this point queues it again); returns the moved items in order.
// An id may stay in the set only while it is in the queue list, or a write
// to it would be coalesced into nothing. When the list is empty but the set
// is not, the list lost entries behind CacheLab's back (deleted by hand,
// evicted, taken by an older build that does not know the set): those ids
// are pushed again first, so no dirty hash is left without a queue entry.
const RedisScript &wbTake()
{
    static const RedisScript s(QStringLiteral("wb-take"), QByteArrayLiteral(R"lua(
if redis.call('LLEN', KEYS[1]) == 0 then
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('RPUSH', KEYS[1], id) end
end
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not v then break end
  redis.call('SREM', KEYS[3], v)
  out[#out + 1] = v
end
return out
)lua"));
    return s;
}

// KEYS: counter. ARGV: floor. Raises the counter to at least floor.
const RedisScript &idFloor()
{
    static const RedisScript s(QStringLiteral("id-floor"), QByteArrayLiteral(R"lua(
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
local f = tonumber(ARGV[1])
if c < f then redis.call('SET', KEYS[1], ARGV[1]) return f end
return c
)lua"));
    return s;
}

// KEYS: any. Deletes each key unless it is an unflushed write-behind hash.
// Returns {removed, kept}.
const RedisScript &dropKeys()
{
    static const RedisScript s(QStringLiteral("drop-keys"), QByteArrayLiteral(R"lua(
local removed, kept = 0, 0
for _, k in ipairs(KEYS) do
  if redis.call('TYPE', k).ok == 'hash' and redis.call('HEXISTS', k, 'dirty') == 1 then
    kept = kept + 1
  else
    removed = removed + redis.call('DEL', k)
  end
end
return {removed, kept}
)lua"));
    return s;
}

// KEYS: watermark. ARGV: seq. Raises the "changes invalidated up to" mark.
const RedisScript &raiseMark()
{
    static const RedisScript s(QStringLiteral("raise-mark"), QByteArrayLiteral(R"lua(
local c = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end
return c
)lua"));
    return s;
}

QList<const RedisScript *> all()
{
    return { &fill(), &negative(), &invalidate(), &unlock(), &wbWrite(), &versionReserve(), &versionRelease(), &versionClaim(), &wbClean(), &wbTake(),
        &wbRecover(), &idFloor(), &dropKeys(), &raiseMark() };
}

} // namespace CacheScripts
