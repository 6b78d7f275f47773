// ExistenceFilter: sizing, hashing, the build/swap and the check scripts.
// (Over 500 lines: two back-ends, the RedisBloom module and a bitmap, kept
// side by side so each step - build, swap, check, add - shows both.)
#include "existencefilter.h"

#include "operation.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "redisscript.h"
#include "tracedredis.h"

#include <algorithm>
#include <cmath>
#include <QPointer>
#include <QRandomGenerator>

namespace {

// Bitmap check. KEYS: filter, meta. ARGV: m, k, positions...
// -1: no filter (treat as unsure), -2: the filter was built with other sizes
// (another instance; the caller reads the meta hash), 0: absent, 1: may exist.
const RedisScript BitmapCheck(QStringLiteral("bloom-check"), QByteArrayLiteral(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local meta = redis.call('HMGET', KEYS[2], 'mode', 'm', 'k')
if meta[1] ~= 'bitmap' or meta[2] ~= ARGV[1] or meta[3] ~= ARGV[2] then return -2 end
for i = 3, #ARGV do
  if redis.call('GETBIT', KEYS[1], ARGV[i]) == 0 then return 0 end
end
return 1
)lua"));

// Bitmap add: same guards; counts the id in n when it set a new bit.
const RedisScript BitmapAdd(QStringLiteral("bloom-add"), QByteArrayLiteral(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local meta = redis.call('HMGET', KEYS[2], 'mode', 'm', 'k')
if meta[1] ~= 'bitmap' or meta[2] ~= ARGV[1] or meta[3] ~= ARGV[2] then return -2 end
local changed = 0
for i = 3, #ARGV do
  if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 0 then changed = 1 end
end
if changed == 1 then redis.call('HINCRBY', KEYS[2], 'n', 1) end
return changed
)lua"));

// RedisBloom: BF.EXISTS on a missing key says 0, which would be a false
// "never created"; the EXISTS guard turns that into "unsure".
const RedisScript ModuleCheck(QStringLiteral("bloom-check-bf"), QByteArrayLiteral(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[2], 'mode') ~= 'bf' then return -2 end
return redis.call('BF.EXISTS', KEYS[1], ARGV[1])
)lua"));

// BF.ADD would create a tiny default filter on a missing key; refuse instead.
const RedisScript ModuleAdd(QStringLiteral("bloom-add-bf"), QByteArrayLiteral(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[2], 'mode') ~= 'bf' then return -2 end
local added = redis.call('BF.ADD', KEYS[1], ARGV[1])
if added == 1 then redis.call('HINCRBY', KEYS[2], 'n', 1) end
return added
)lua"));

// Puts a finished build in place: both temporary keys or nothing.
// KEYS: tmp filter, tmp meta, filter, meta. 0: temporary keys gone,
// 1: swapped, 2: swapped after ORing the live bitmap in.
// The build read SQLite a while ago; another instance may have added ids to
// the live filter since. With the same m and k, a bit set there means the
// same thing in the new bitmap, so OR keeps those ids (n: the larger count,
// a lower bound). With other sizes the bits cannot be carried over.
const RedisScript Swap(QStringLiteral("bloom-swap"), QByteArrayLiteral(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local result = 1
if redis.call('TYPE', KEYS[3]).ok == 'string' then
  local new = redis.call('HMGET', KEYS[2], 'mode', 'm', 'k', 'n')
  local old = redis.call('HMGET', KEYS[4], 'mode', 'm', 'k', 'n')
  if new[1] == 'bitmap' and old[1] == 'bitmap' and new[2] == old[2] and new[3] == old[3] then
    redis.call('BITOP', 'OR', KEYS[1], KEYS[1], KEYS[3])
    if (tonumber(old[4]) or 0) > (tonumber(new[4]) or 0) then redis.call('HSET', KEYS[2], 'n', old[4]) end
    result = 2
  end
end
redis.call('RENAME', KEYS[1], KEYS[3])
redis.call('RENAME', KEYS[2], KEYS[4])
redis.call('PERSIST', KEYS[3])
redis.call('PERSIST', KEYS[4])
return result
)lua"));

constexpr qint64 MinAutoItems = 10000;
constexpr qint64 MaxItems = 10000000;
constexpr qint64 MinBits = 64;
constexpr int MaxHashes = 30;
constexpr int TempKeyTtlMs = 300000; // a build that dies half-way leaves nothing for long
constexpr int ModuleChunk = 1000;

// splitmix64's finaliser: a fast, well-mixed 64-bit hash of the id.
quint64 mix64(quint64 x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

QByteArray num(qint64 v)
{
    return QByteArray::number(v);
}

// NOPERM from a plain command; inside a script Redis 7 reports an ACL
// refusal as "ERR The user executing the script can't run this command".
bool isPermissionError(const QString &message)
{
    return message.contains(QLatin1String("NOPERM")) || message.contains(QLatin1String("can't run this command"));
}

} // namespace

// --- settings and maths ---------------------------------------------------------------------------

ExistenceFilter::Settings ExistenceFilter::Settings::clamped() const
{
    Settings s = *this;
    if (!(s.falsePositiveRate >= 0.0001)) // also catches NaN
        s.falsePositiveRate = 0.0001;
    s.falsePositiveRate = std::min(s.falsePositiveRate, 0.5);
    if (s.expectedItems < 0)
        s.expectedItems = 0;
    s.expectedItems = std::min(s.expectedItems, MaxItems);
    return s;
}

double ExistenceFilter::Stats::measuredRate() const
{
    const quint64 absent = falsePositives + shortCircuited;
    return absent == 0 ? -1.0 : double(falsePositives) / double(absent);
}

qint64 ExistenceFilter::optimalBits(qint64 items, double rate)
{
    items = std::max<qint64>(1, items);
    rate = std::clamp(rate, 1e-9, 0.999);
    const double ln2 = std::log(2.0);
    return std::max<qint64>(MinBits, qint64(std::ceil(-double(items) * std::log(rate) / (ln2 * ln2))));
}

int ExistenceFilter::optimalHashes(qint64 bits, qint64 items)
{
    items = std::max<qint64>(1, items);
    const long k = std::lround(double(bits) / double(items) * std::log(2.0));
    return int(std::clamp<long>(k, 1, MaxHashes));
}

double ExistenceFilter::estimatedRate(qint64 bits, int hashes, qint64 items)
{
    if (bits <= 0 || hashes <= 0)
        return 0;
    return std::pow(1.0 - std::exp(-double(hashes) * double(items) / double(bits)), double(hashes));
}

QList<quint64> ExistenceFilter::positions(qint64 id, qint64 bits, int hashes)
{
    // Kirsch-Mitzenmacher: g_i = h1 + i*h2 behaves like k independent
    // hashes. h2 is odd so the steps never collapse onto one position.
    const quint64 h1 = mix64(quint64(id));
    const quint64 h2 = mix64(h1 ^ 0xA5A5A5A5A5A5A5A5ULL) | 1;
    const quint64 m = quint64(std::max<qint64>(1, bits));
    QList<quint64> out;
    out.reserve(hashes);
    for (int i = 0; i < hashes; ++i)
        out.append((h1 + quint64(i) * h2) % m);
    return out;
}

QString ExistenceFilter::modeName(Mode mode)
{
    switch (mode) {
    case Mode::Unknown:
        return tr("not detected yet");
    case Mode::Bitmap:
        return tr("Redis bitmap (SETBIT/GETBIT)");
    case Mode::Module:
        return tr("RedisBloom module (BF.*)");
    }
    return {};
}

QString ExistenceFilter::stateName(State state)
{
    switch (state) {
    case State::NotBuilt:
        return tr("not built");
    case State::Building:
        return tr("building…");
    case State::Ready:
        return tr("ready");
    case State::Disabled:
        return tr("off");
    }
    return {};
}

// --- life cycle -------------------------------------------------------------------------------------

ExistenceFilter::ExistenceFilter(ProductService *service, QObject *parent)
    : QObject(parent)
    , m_service(service)
    , m_redis(service->redis())
    , m_traced(new TracedRedis(m_redis, nullptr, this))
    , m_key(CacheKeys::bloomFor(service->repository()->path()))
{
    m_statsTimer.setSingleShot(true);
    m_statsTimer.setInterval(250);
    connect(&m_statsTimer, &QTimer::timeout, this, &ExistenceFilter::statsChanged);
    m_rebuildTimer.setSingleShot(true);
    connect(&m_rebuildTimer, &QTimer::timeout, this, &ExistenceFilter::startBuild);

    connect(m_redis, &RedisClient::connected, this, &ExistenceFilter::onConnected);
    connect(m_redis, &RedisClient::disconnected, this, &ExistenceFilter::onDisconnected);
    connect(service, &ProductService::productChanged, this, &ExistenceFilter::add);
    connect(service, &ProductService::traceRecorded, this,
        [this](const OperationTrace &t) { onTraceRecorded(t.id, t.outcome == TraceOutcome::NotFound); });
    if (m_redis->isConnected())
        QTimer::singleShot(0, this, &ExistenceFilter::onConnected);
}

ExistenceFilter::~ExistenceFilter() = default;

void ExistenceFilter::install()
{
    m_service->setExistenceCheck([this, guard = QPointer<ExistenceFilter>(this)](
                                     const std::shared_ptr<Operation> &op, qint64 id, std::function<void(bool)> then) {
        if (!guard) {
            then(true);
            return;
        }
        check(op, id, std::move(then));
    });
}

void ExistenceFilter::setSettings(const Settings &settings)
{
    const Settings s = settings.clamped();
    if (s == m_settings)
        return;
    const bool sizesChanged
        = s.falsePositiveRate != m_settings.falsePositiveRate || s.expectedItems != m_settings.expectedItems;
    m_settings = s;
    if (!s.enabled)
        m_state = State::Disabled;
    else if (m_state == State::Disabled)
        m_state = m_filterKnown ? State::Ready : State::NotBuilt;
    touchStats();
    if (sizesChanged)
        rebuild();
}

ExistenceFilter::Stats ExistenceFilter::stats() const
{
    Stats s = m_counters;
    s.mode = m_mode;
    s.state = m_state;
    s.bits = m_filterKnown ? m_bits : 0;
    s.hashes = m_filterKnown ? m_hashes : 0;
    s.items = m_filterKnown ? m_items : 0;
    s.capacity = m_filterKnown ? m_capacity : 0;
    s.targetRate = m_filterKnown ? m_builtRate : m_settings.falsePositiveRate;
    s.estimatedRate = m_filterKnown ? estimatedRate(m_bits, m_hashes, m_items) : 0;
    return s;
}

void ExistenceFilter::resetCounters()
{
    const quint64 builds = m_counters.builds;
    const qint64 lastBuildMs = m_counters.lastBuildMs;
    const QDateTime builtAt = m_counters.builtAt;
    m_counters = Stats();
    m_counters.builds = builds;
    m_counters.lastBuildMs = lastBuildMs;
    m_counters.builtAt = builtAt;
    m_maybeTraces.clear();
    touchStats();
}

void ExistenceFilter::touchStats()
{
    if (!m_statsTimer.isActive())
        m_statsTimer.start();
}

void ExistenceFilter::onConnected()
{
    m_noRetry = false; // permissions may differ on this connection
    // Loaded up front so no EVALSHA of a build has to take the NOSCRIPT detour.
    for (const RedisScript *script : { &BitmapCheck, &BitmapAdd, &ModuleCheck, &ModuleAdd, &Swap })
        m_redis->command(script->load(), this, [](const RedisReply &) {});
    detectModule();
}

void ExistenceFilter::onDisconnected()
{
    // The next connect may be a different (or emptied) server: build again then.
    ++m_generation;
    m_building = false;
    m_buildTmp.clear();
    m_rebuildTimer.stop();
    m_filterKnown = false;
    if (m_state != State::Disabled)
        m_state = State::NotBuilt;
    touchStats();
}

void ExistenceFilter::detectModule()
{
    m_redis->command({ QByteArrayLiteral("MODULE"), QByteArrayLiteral("LIST") }, this, [this](const RedisReply &r) {
        // A server that refuses MODULE LIST (ACL, renamed command) gets the bitmap.
        Mode mode = Mode::Bitmap;
        if (r.isArray()) {
            for (const RedisReply &module : r.elements()) {
                const auto pairs = module.toPairs();
                for (const auto &[field, value] : pairs) {
                    if (field == "name" && value.toLower() == "bf")
                        mode = Mode::Module;
                }
            }
        }
        if (mode != m_mode)
            m_filterKnown = false;
        m_mode = mode;
        startBuild();
    });
}

// --- build ------------------------------------------------------------------------------------------

void ExistenceFilter::rebuild()
{
    if (!m_redis->isConnected()) {
        m_counters.lastError = tr("Redis is not connected; the filter is built when it is.");
        touchStats();
        return;
    }
    if (m_mode == Mode::Unknown) {
        detectModule();
        return;
    }
    m_retryMs = 500;
    m_noRetry = false; // asked for by hand: try even after NOPERM
    startBuild();
}

void ExistenceFilter::scheduleRebuild(int delayMs)
{
    if (m_building || m_rebuildTimer.isActive() || m_noRetry)
        return;
    m_rebuildTimer.start(delayMs);
}

void ExistenceFilter::startBuild()
{
    m_rebuildTimer.stop();
    if (!m_redis->isConnected() || m_mode == Mode::Unknown)
        return;
    const quint64 generation = ++m_generation;
    m_building = true;
    m_buildTmp.clear();
    if (m_state != State::Disabled)
        m_state = State::Building;
    m_buildClock.start();
    touchStats();
    // Only the ids cross to this thread. The bitmap is then built here, on
    // the GUI thread: a hash per id and a byte array of m/8 bytes, a few ms
    // per 100k ids. Fine up to ~100k ids; far larger tables would want this
    // on the DB thread too.
    m_service->repository()->listIds(this, [this, generation](const StoreResult &r) {
        if (generation != m_generation)
            return;
        if (!r.ok()) {
            finishBuild(generation, false, tr("reading the ids from SQLite failed: %1").arg(r.error));
            return;
        }
        QList<qint64> ids = r.ids;
        ids.reserve(r.ids.size() + m_pendingAdds.size());
        // Ids that appeared since the build began (possibly not in SQLite
        // yet: write-behind creates) must be in the new filter too. r.ids is
        // sorted, so a binary search tells which are already there.
        for (qint64 id : std::as_const(m_pendingAdds)) {
            if (!std::binary_search(r.ids.cbegin(), r.ids.cend(), id))
                ids.append(id);
        }
        m_pendingAdds.clear();
        writeBuild(generation, ids);
    });
}

void ExistenceFilter::writeBuild(quint64 generation, const QList<qint64> &ids)
{
    const qint64 rows = ids.size();
    const qint64 capacity = m_settings.expectedItems > 0 ? m_settings.expectedItems
                                                         : std::min(MaxItems, std::max(MinAutoItems, 2 * rows));
    const double rate = m_settings.falsePositiveRate;
    const qint64 bits = optimalBits(capacity, rate);
    const int hashes = optimalHashes(bits, capacity);

    const QByteArray token = QByteArray::number(QRandomGenerator::global()->generate64(), 16);
    const QByteArray tmp = key() + ":build:" + token;
    const QByteArray tmpMeta = tmp + ":meta";
    const QByteArray ttl = num(TempKeyTtlMs);

    QList<RedisCommand> cmds;
    cmds.append({ QByteArrayLiteral("DEL"), tmp, tmpMeta });
    qint64 items = 0;
    if (m_mode == Mode::Bitmap) {
        // The whole bitmap is made here and written with one SET: far fewer
        // commands than a SETBIT per bit (bit 0 is the high bit of byte 0,
        // as SETBIT numbers them).
        QByteArray bitmap(qsizetype((bits + 7) / 8), '\0');
        for (qint64 id : ids) {
            bool changed = false;
            for (quint64 p : positions(id, bits, hashes)) {
                char &byte = bitmap[qsizetype(p >> 3)];
                const char mask = char(0x80u >> (p & 7));
                changed |= (byte & mask) == 0;
                byte = char(byte | mask);
            }
            items += changed ? 1 : 0;
        }
        cmds.append({ QByteArrayLiteral("SET"), tmp, bitmap, QByteArrayLiteral("PX"), ttl });
    } else {
        cmds.append({ QByteArrayLiteral("BF.RESERVE"), tmp, QByteArray::number(rate, 'g', 6), num(capacity) });
        for (qsizetype i = 0; i < ids.size(); i += ModuleChunk) {
            RedisCommand madd { QByteArrayLiteral("BF.MADD"), tmp };
            for (qsizetype j = i; j < std::min(ids.size(), i + ModuleChunk); ++j)
                madd.append(num(ids.at(j)));
            cmds.append(madd);
        }
        cmds.append({ QByteArrayLiteral("PEXPIRE"), tmp, ttl });
        items = rows;
    }
    cmds.append({ QByteArrayLiteral("HSET"), tmpMeta, "mode", m_mode == Mode::Bitmap ? "bitmap" : "bf", "m", num(bits),
        "k", num(hashes), "n", num(items), "capacity", num(capacity), "p", QByteArray::number(rate, 'g', 6), "built",
        num(QDateTime::currentMSecsSinceEpoch()) });
    cmds.append({ QByteArrayLiteral("PEXPIRE"), tmpMeta, ttl });

    // From here until the swap is sent, ids that appear go into the new filter too.
    m_buildTmp = tmp;
    m_buildBits = bits;
    m_buildHashes = hashes;
    m_redis->pipeline(cmds, this,
        [this, generation, tmp, tmpMeta, bits, hashes, items, capacity, rate](const QList<RedisReply> &replies) {
            if (generation != m_generation)
                return;
            m_buildTmp.clear();
            for (const RedisReply &r : replies) {
                if (r.isError()) {
                    m_redis->command({ QByteArrayLiteral("DEL"), tmp, tmpMeta }, this, [](const RedisReply &) {});
                    finishBuild(generation, false, tr("writing the filter failed: %1").arg(r.errorMessage()));
                    return;
                }
            }
            // Every command sent after the swap runs after it (one connection,
            // in order), so the new sizes apply from now on.
            m_bits = bits;
            m_hashes = hashes;
            m_items = items;
            m_capacity = capacity;
            m_builtRate = rate;
            m_filterKnown = true;
            if (m_swapGate) {
                QPointer<ExistenceFilter> self(this);
                m_swapGate([self, generation, tmp, tmpMeta] {
                    if (self)
                        self->swapBuild(generation, tmp, tmpMeta);
                });
                return;
            }
            swapBuild(generation, tmp, tmpMeta);
        });
}

void ExistenceFilter::swapBuild(quint64 generation, const QByteArray &tmp, const QByteArray &tmpMeta)
{
    if (generation != m_generation)
        return;
    Swap.run(m_redis, { tmp, tmpMeta, key(), metaKey() }, {}, this,
        [this, generation, tmp, tmpMeta](const RedisReply &r, bool) {
            if (generation != m_generation)
                return;
            if (r.isError() || r.toInteger() < 1) {
                // Full-size temporary keys must not wait 5 minutes for their TTL.
                m_redis->command({ QByteArrayLiteral("DEL"), tmp, tmpMeta }, this, [](const RedisReply &) {});
                m_filterKnown = false;
                finishBuild(generation, false,
                    r.isError() ? tr("swapping the new filter in failed: %1").arg(r.errorMessage())
                                : tr("the temporary filter vanished before the swap"));
                return;
            }
            finishBuild(generation, true, {});
            if (r.toInteger() == 2)
                refreshStats(); // n now counts the live filter's ids as well
        });
}

void ExistenceFilter::finishBuild(quint64 generation, bool ok, const QString &error)
{
    if (generation != m_generation)
        return;
    m_building = false;
    if (ok) {
        m_retryMs = 500;
        m_noRetry = false;
        ++m_counters.builds;
        m_counters.lastBuildMs = m_buildClock.elapsed();
        m_counters.builtAt = QDateTime::currentDateTimeUtc();
        m_counters.lastError.clear();
        m_pendingAdds.clear(); // all in the new filter (read from SQLite, pending, or added to it)
        if (m_state != State::Disabled)
            m_state = State::Ready;
    } else {
        m_counters.lastError = error;
        if (m_state != State::Disabled)
            m_state = m_filterKnown ? State::Ready : State::NotBuilt;
        // An ACL refusal stays until someone changes the ACL: say so and stop
        // (rebuild() by hand, or a reconnect, tries again).
        m_noRetry = isPermissionError(error);
        if (m_noRetry)
            m_counters.lastError = tr("%1 — not retried: the Redis user lacks a permission the build needs").arg(error);
        // Try again later (the database may still be opening, Redis may be full).
        else if (m_redis->isConnected()) {
            m_rebuildTimer.start(m_retryMs);
            m_retryMs = std::min(m_retryMs * 2, 30000);
        }
    }
    touchStats();
    emit buildFinished(ok, error);
}

// --- add and check ----------------------------------------------------------------------------------

void ExistenceFilter::add(qint64 id)
{
    if (id <= 0)
        return;
    // Until a filter is in place (and while one is built) remember the id:
    // the build reads SQLite, which does not have queued write-behind creates.
    if ((m_building || !m_filterKnown) && m_pendingAdds.size() < 100000)
        m_pendingAdds.insert(id);
    if (!m_redis->isConnected())
        return; // the next build reads it from SQLite (or from m_pendingAdds)
    // Written but not yet swapped in: the new filter must get it too.
    if (!m_buildTmp.isEmpty())
        addTo(m_buildTmp, m_buildTmp + ":meta", m_buildBits, m_buildHashes, id, false);
    if (m_filterKnown)
        addTo(key(), metaKey(), m_bits, m_hashes, id, true);
}

void ExistenceFilter::addTo(
    const QByteArray &filterKey, const QByteArray &metaKey, qint64 bits, int hashes, qint64 id, bool live, bool retried)
{
    const RedisScript &script = m_mode == Mode::Bitmap ? BitmapAdd : ModuleAdd;
    const quint64 generation = m_generation;
    script.run(m_redis, { filterKey, metaKey }, scriptArgs(id, bits, hashes), this,
        [this, id, generation, live, retried](const RedisReply &r, bool) {
            if (!live)
                return;
            if (r.isError()) {
                if (!r.isClientError()) {
                    m_counters.lastError = tr("adding id %1 failed: %2").arg(id).arg(r.errorMessage());
                    touchStats();
                }
                return;
            }
            const qint64 v = r.toInteger();
            if (v == 1) {
                ++m_items;
                touchStats();
            } else if (v == -2 && !retried && generation == m_generation) {
                // Another instance built the filter with other sizes: take
                // them from the meta hash and add again. Only a missing or
                // unreadable meta hash (adoptMeta schedules that) rebuilds.
                m_redis->command({ QByteArrayLiteral("HGETALL"), this->metaKey() }, this,
                    [this, id, generation](const RedisReply &meta) {
                        if (generation != m_generation)
                            return;
                        if (meta.isError() || !adoptMeta(meta.toPairs())) {
                            m_pendingAdds.insert(id); // the rebuild (if any) must have it
                            return;
                        }
                        addTo(key(), this->metaKey(), m_bits, m_hashes, id, true, true);
                    });
            } else if (v < 0 && generation == m_generation) {
                // No filter (or sizes still not matching after adopting
                // them): rebuild, and make sure this id is in it even if
                // SQLite does not have it yet.
                m_pendingAdds.insert(id);
                if (v == -1)
                    m_filterKnown = false;
                scheduleRebuild(0);
            }
        });
}

QList<QByteArray> ExistenceFilter::scriptArgs(qint64 id, qint64 bits, int hashes) const
{
    if (m_mode != Mode::Bitmap)
        return { num(id) };
    QList<QByteArray> args { num(bits), num(hashes) };
    for (quint64 p : positions(id, bits, hashes))
        args.append(QByteArray::number(p));
    return args;
}

void ExistenceFilter::query(qint64 id, QObject *context, std::function<void(const RedisReply &, Answer)> done)
{
    const RedisScript &script = m_mode == Mode::Bitmap ? BitmapCheck : ModuleCheck;
    QPointer<QObject> ctx(context);
    const bool hadContext = context != nullptr;
    script.run(m_redis, { key(), metaKey() }, scriptArgs(id, m_bits, m_hashes), this,
        [this, ctx, hadContext, done = std::move(done)](const RedisReply &r, bool) {
            const Answer answer = interpret(r);
            if (!hadContext || ctx)
                done(r, answer);
        });
}

ExistenceFilter::Answer ExistenceFilter::interpret(const RedisReply &r)
{
    if (r.isError()) {
        if (r.bytes().contains("WRONGTYPE"))
            scheduleRebuild(0);
        return Answer::Unsure;
    }
    switch (r.toInteger()) {
    case 1:
        return Answer::Maybe;
    case 0:
        return Answer::No;
    case -1: // evicted, FLUSHALL, DEL: unsure until rebuilt
        m_filterKnown = false;
        if (m_state == State::Ready)
            m_state = State::NotBuilt;
        touchStats();
        scheduleRebuild(0);
        return Answer::Unsure;
    default: // -2: someone built it with other sizes; adopt them
        m_redis->command({ QByteArrayLiteral("HGETALL"), metaKey() }, this,
            [this](const RedisReply &meta) { adoptMeta(meta.toPairs()); });
        return Answer::Unsure;
    }
}

bool ExistenceFilter::adoptMeta(const QList<QPair<QByteArray, QByteArray>> &meta)
{
    QHash<QByteArray, QByteArray> h;
    for (const auto &[field, value] : meta)
        h.insert(field, value);
    const QByteArray wanted = m_mode == Mode::Bitmap ? "bitmap" : "bf";
    bool okM = false;
    bool okK = false;
    const qint64 bits = h.value("m").toLongLong(&okM);
    const int hashes = h.value("k").toInt(&okK);
    if (h.value("mode") != wanted || !okM || !okK || bits < MinBits || hashes < 1 || hashes > MaxHashes) {
        // Not something this instance can read (other mode, damaged): replace it.
        m_filterKnown = false;
        scheduleRebuild(0);
        return false;
    }
    m_bits = bits;
    m_hashes = hashes;
    m_items = h.value("n").toLongLong();
    m_capacity = h.value("capacity").toLongLong();
    m_builtRate = h.value("p").toDouble();
    m_filterKnown = true;
    if (m_state != State::Disabled && !m_building)
        m_state = State::Ready;
    touchStats();
    return true;
}

void ExistenceFilter::mayContain(qint64 id, QObject *context, std::function<void(Answer)> done)
{
    if (!m_filterKnown) {
        QTimer::singleShot(0, context ? context : this, [done = std::move(done)] { done(Answer::Unsure); });
        return;
    }
    query(id, context, [done = std::move(done)](const RedisReply &, Answer a) { done(a); });
}

void ExistenceFilter::check(const std::shared_ptr<Operation> &op, qint64 id, std::function<void(bool)> then)
{
    if (m_state == State::Disabled) {
        then(true);
        return;
    }
    ++m_counters.checks;
    touchStats();
    if (!m_filterKnown) {
        ++m_counters.unsure;
        if (op)
            op->note(tr("Bloom filter: %1 — id %2 may exist")
                         .arg(m_building ? tr("being built") : tr("not built yet"))
                         .arg(id),
                TraceOutcome::Skipped);
        then(true);
        return;
    }
    // The traced call writes the EVALSHA step (time, reply); a 0 is "not found".
    const RedisScript &script = m_mode == Mode::Bitmap ? BitmapCheck : ModuleCheck;
    auto classify = [](const RedisReply &r) { return r.toInteger() == 0 ? TraceOutcome::NotFound : TraceOutcome::Ok; };
    m_traced->script(op, script, { key(), metaKey() }, scriptArgs(id, m_bits, m_hashes), classify,
        [this, op, id, then = std::move(then)](const RedisReply &r) {
        const Answer answer = interpret(r);
        const bool live = op && !op->isFinished();
        switch (answer) {
        case Answer::No:
            ++m_counters.shortCircuited;
            if (live)
                op->note(tr("Bloom filter: id %1 certainly never created — SQLite not asked").arg(id),
                    TraceOutcome::NotFound);
            touchStats();
            then(false);
            return;
        case Answer::Maybe:
            ++m_counters.maybes;
            if (live) {
                op->note(tr("Bloom filter: id %1 may exist").arg(id));
                // Learn from the get's outcome whether this was a false positive.
                if (m_maybeTraces.size() < 100000)
                    m_maybeTraces.insert(op->trace.id);
            }
            break;
        case Answer::Unsure:
            ++m_counters.unsure;
            if (live)
                op->note(r.isError()
                        ? tr("Bloom filter: Redis error — id %1 may exist").arg(id)
                        : tr("Bloom filter: no usable filter in Redis (rebuilding) — id %1 may exist").arg(id),
                    TraceOutcome::Skipped);
            break;
        }
        touchStats();
        then(true);
    });
}

void ExistenceFilter::onTraceRecorded(quint64 traceId, bool notFound)
{
    if (!m_maybeTraces.remove(traceId))
        return;
    if (notFound) {
        ++m_counters.falsePositives;
        touchStats();
    }
}

void ExistenceFilter::refreshStats()
{
    if (!m_redis->isConnected())
        return;
    const quint64 generation = m_generation;
    m_redis->command({ QByteArrayLiteral("HGETALL"), metaKey() }, this, [this, generation](const RedisReply &r) {
        if (generation != m_generation || m_building || !r.isArray())
            return;
        if (r.size() == 0) {
            if (m_filterKnown) { // gone since the last look
                m_filterKnown = false;
                if (m_state == State::Ready)
                    m_state = State::NotBuilt;
                scheduleRebuild(0);
                touchStats();
            }
            return;
        }
        adoptMeta(r.toPairs());
    });
}
