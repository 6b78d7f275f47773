// KeyTableModel: flat storage, open-addressing index, local countdowns.
// (Over 500 lines on purpose: the storage, the index and the model's row
// bookkeeping share one layout that a million keys must fit; splitting them
// would put that layout in two places.)
#include "keytablemodel.h"

#include "globmatcher.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <QHash>

namespace {

constexpr std::array<const char *, 8> kTypeNames { "", "string", "hash", "list", "set", "zset", "stream", "other" };

quint8 typeCode(const QByteArray &type)
{
    if (type.isEmpty())
        return 0;
    for (size_t i = 1; i < kTypeNames.size() - 1; ++i) {
        if (type == kTypeNames[i])
            return quint8(i);
    }
    return quint8(kTypeNames.size() - 1);
}

size_t hashKey(QByteArrayView key)
{
    return size_t(qHash(key, 0x5bd1e995u));
}

bool isRemovalEvent(const QString &event)
{
    return event == QLatin1String("expired") || event == QLatin1String("evicted") || event == QLatin1String("del")
        || event == QLatin1String("rename_from") || event == QLatin1String("unlink");
}

} // namespace

KeyTableModel::KeyTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    m_elapsed.start();
    rehash(1024);
}

KeyTableModel::~KeyTableModel() = default;

void KeyTableModel::setClock(Clock clock)
{
    m_clock = std::move(clock);
}

qint64 KeyTableModel::now() const
{
    return m_clock ? m_clock() : m_elapsed.elapsed();
}

// --- storage --------------------------------------------------------------------------

QByteArrayView KeyTableModel::keyView(const Entry &e) const
{
    const char *at = m_arena.data() + e.keyOffset;
    if (e.keyLength != LongKey)
        return QByteArrayView(at, qsizetype(e.keyLength));
    quint32 length;
    std::memcpy(&length, at, sizeof length);
    return QByteArrayView(at + sizeof length, qsizetype(length));
}

size_t KeyTableModel::storedKeyBytes(const Entry &e) const
{
    return e.keyLength != LongKey ? e.keyLength : sizeof(quint32) + size_t(keyView(e).size());
}

const KeyTableModel::Details &KeyTableModel::detailsOf(quint32 entry) const
{
    const size_t chunk = entry >> DetailsChunkBits;
    if (chunk < m_details.size() && m_details[chunk])
        return m_details[chunk][entry & ((1u << DetailsChunkBits) - 1)];
    return NoDetails;
}

KeyTableModel::Details &KeyTableModel::writableDetails(quint32 entry)
{
    const size_t chunk = entry >> DetailsChunkBits;
    if (chunk >= m_details.size())
        m_details.resize(chunk + 1);
    if (!m_details[chunk]) {
        m_details[chunk].reset(new Details[size_t(1) << DetailsChunkBits]);
        std::fill_n(m_details[chunk].get(), size_t(1) << DetailsChunkBits, NoDetails);
        ++m_detailChunks;
    }
    return m_details[chunk][entry & ((1u << DetailsChunkBits) - 1)];
}

quint32 KeyTableModel::findEntry(QByteArrayView key) const
{
    const size_t hash = hashKey(key);
    const quint32 tag = slotTag(hash) << EntryBits;
    const auto probe = [this, hash, tag, key](const PodArray<quint32> &table) -> quint32 {
        const size_t mask = table.size() - 1;
        for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
            const quint32 v = table[slot];
            if (v == 0)
                return NoEntry;
            if (v != Tomb && (v & ~EntryMask) == tag && keyView(m_entries[(v & EntryMask) - 1]) == key)
                return (v & EntryMask) - 1;
        }
    };
    const quint32 found = probe(m_index);
    if (found != NoEntry || m_oldIndex.empty())
        return found;
    return probe(m_oldIndex);
}

// The index grows (or, when tombs fill it, is rebuilt at its size) before
// three quarters of its slots are taken: the tags in the slots keep the
// longer probe chains of that load cheap (a chain is walked without
// touching the keys).
void KeyTableModel::indexInsert(quint32 entry)
{
    const size_t live = m_indexUsed + m_oldUsed;
    if ((live + m_indexTombs + 1) * 4 > m_index.size() * 3)
        startRehash(live * 2 > m_index.size() ? m_index.size() * 2 : m_index.size());
    const size_t hash = hashKey(keyView(m_entries[entry]));
    placeSlot((slotTag(hash) << EntryBits) | (entry + 1), hash);
    migrateStep(MigrateSlotsPerInsert);
    prefaultNextIndex();
}

// Growth doubles the index into fresh zero pages, and the inserts and drain
// steps right after it land all over them: nearly each one a page fault
// (keys-10m: 20-50 ms per batch of 1,000 keys for a while after the growth
// at 6.3 million, on a virtual machine where a fault costs tens of µs). So
// the next table is allocated early and its pages written a few per insert
// from 3/5 load on, all of them by 18/25, just before the growth at 3/4
// takes it. Small tables skip this: their faults are few.
void KeyTableModel::prefaultNextIndex()
{
    const size_t size = m_index.size();
    if (!m_oldIndex.empty() || size * sizeof(quint32) < PodArray<quint32>::MappedBytes)
        return;
    const size_t live = m_indexUsed + m_oldUsed;
    const size_t start = size * 3 / 5;
    const size_t end = size * 18 / 25;
    if (live < start)
        return;
    if (m_nextIndex.size() != size * 2) {
        m_nextIndex = PodArray<quint32>::zeroed(size * 2);
        m_nextTouched = 0;
    }
    const size_t target = live >= end ? m_nextIndex.size() : m_nextIndex.size() / (end - start) * (live - start);
    constexpr size_t SlotsPerPage = 4096 / sizeof(quint32);
    volatile quint32 *next = m_nextIndex.data();
    for (; m_nextTouched < target; m_nextTouched += SlotsPerPage)
        next[m_nextTouched] = 0; // a write: a read would map the shared zero page
}

void KeyTableModel::indexRemove(quint32 entry)
{
    const size_t hash = hashKey(keyView(m_entries[entry]));
    const auto erase = [hash, entry](PodArray<quint32> &table) {
        const size_t mask = table.size() - 1;
        for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
            quint32 &v = table[slot];
            if (v == 0)
                return false;
            if (v != Tomb && (v & EntryMask) == entry + 1) {
                v = Tomb;
                return true;
            }
        }
    };
    if (erase(m_index)) {
        --m_indexUsed;
        ++m_indexTombs;
    } else if (!m_oldIndex.empty() && erase(m_oldIndex)) {
        --m_oldUsed; // a tomb in the table being drained is simply skipped
    }
}

// Puts a slot value (tag and entry) into m_index, which has room. hash is
// the entry's key hash.
void KeyTableModel::placeSlot(quint32 value, size_t hash)
{
    const size_t mask = m_index.size() - 1;
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
        quint32 &v = m_index[slot];
        if (v == 0 || v == Tomb) {
            if (v == Tomb)
                --m_indexTombs;
            v = value;
            ++m_indexUsed;
            return;
        }
    }
}

// Builds the index at this capacity in one pass. Only for an empty or small
// table (construction, reserve() at the start of a scan): growth on the way
// goes through startRehash().
void KeyTableModel::rehash(size_t capacity)
{
    finishRehash();
    PodArray<quint32> old = std::move(m_index);
    m_index = PodArray<quint32>::zeroed(std::max<size_t>(capacity, 1024));
    m_nextIndex.release();
    m_nextTouched = 0;
    m_indexUsed = 0;
    m_indexTombs = 0;
    for (size_t i = 0; i < old.size(); ++i) {
        ++m_rehashWork;
        if (old[i] != 0 && old[i] != Tomb)
            placeSlot(old[i], hashKey(keyView(m_entries[(old[i] & EntryMask) - 1])));
    }
}

// Starts draining the current index into a fresh one of this capacity. The
// drain advances MigrateSlotsPerInsert slots per insert, which finishes well
// before the new table reaches its own load limit: it has room for at least
// a quarter of its slots' worth of inserts, and the old table has at most
// as many slots as the new one.
void KeyTableModel::startRehash(size_t capacity)
{
    finishRehash(); // only if growth outran the drain; never in practice
    m_oldIndex = std::move(m_index);
    m_oldPos = 0;
    m_oldUsed = m_indexUsed;
    capacity = std::max<size_t>(capacity, 1024);
    m_index = m_nextIndex.size() == capacity ? std::move(m_nextIndex) : PodArray<quint32>::zeroed(capacity);
    m_nextIndex.release();
    m_nextTouched = 0;
    m_indexUsed = 0;
    m_indexTombs = 0;
}

void KeyTableModel::migrateStep(size_t maxSlots)
{
    if (m_oldIndex.empty())
        return;
    const size_t end = std::min(m_oldIndex.size(), m_oldPos + maxSlots);
    for (; m_oldPos < end; ++m_oldPos) {
        ++m_rehashWork;
        quint32 &old = m_oldIndex[m_oldPos];
        if (old == 0 || old == Tomb)
            continue;
        placeSlot(old, hashKey(keyView(m_entries[(old & EntryMask) - 1])));
        old = Tomb; // not 0: probe chains through this slot must stay intact
        --m_oldUsed;
    }
    if (m_oldPos >= m_oldIndex.size())
        m_oldIndex.release();
}

void KeyTableModel::finishRehash()
{
    if (!m_oldIndex.empty())
        migrateStep(m_oldIndex.size());
}

int KeyTableModel::rowOfEntry(quint32 entry) const
{
    // A plain loop over raw pointers: this runs for every event in a batch,
    // and std::lower_bound with a lambda is several times slower in Debug.
    const Entry *entries = m_entries.data();
    const quint32 *order = m_order.data();
    const quint32 seq = entries[entry].seq;
    size_t lo = 0;
    size_t hi = m_order.size();
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (entries[order[mid]].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m_order.size() && order[lo] == entry ? int(lo) : -1;
}

// Appends the key to the arena and takes an entry for it (a free one first).
// NoEntry when the table is full (MaxEntries, or an arena past 4 GiB).
quint32 KeyTableModel::newEntry(QByteArrayView key)
{
    const size_t length = size_t(key.size());
    const size_t stored = length < LongKey ? length : length + sizeof(quint32);
    if (m_arena.size() + stored > std::numeric_limits<quint32>::max()
        || (m_free.empty() && m_entries.size() >= MaxEntries))
        return NoEntry;
    Entry e {};
    e.keyOffset = quint32(m_arena.size());
    if (length < LongKey) {
        e.keyLength = quint16(length);
    } else {
        e.keyLength = LongKey;
        const quint32 prefix = quint32(length);
        m_arena.append(reinterpret_cast<const char *>(&prefix), sizeof prefix);
    }
    m_arena.append(key.data(), length);
    quint32 index;
    if (!m_free.empty()) {
        index = m_free.back();
        m_free.pop_back();
        m_entries[index] = e;
        if (&detailsOf(index) != &NoDetails)
            writableDetails(index) = NoDetails;
    } else {
        index = quint32(m_entries.size());
        m_entries.push_back(e);
    }
    indexInsert(index);
    return index;
}

void KeyTableModel::compactArena()
{
    PodArray<char> arena;
    arena.reserve(m_arena.size() - m_arenaGarbage + 1024);
    for (size_t i = 0; i < m_entries.size(); ++i) {
        Entry &e = m_entries[i];
        if (e.flags & Free)
            continue;
        const quint32 offset = quint32(arena.size());
        arena.append(m_arena.data() + e.keyOffset, storedKeyBytes(e));
        e.keyOffset = offset;
    }
    m_arena = std::move(arena);
    m_arenaGarbage = 0;
}

void KeyTableModel::removeEntries(std::vector<quint32> entries)
{
    if (entries.empty())
        return;
    std::vector<int> rows;
    rows.reserve(entries.size());
    for (quint32 e : entries) {
        const int row = rowOfEntry(e);
        if (row >= 0)
            rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    if (rows.empty())
        return;

    // Contiguous runs of removed rows.
    std::vector<std::pair<int, int>> runs;
    for (int row : rows) {
        if (!runs.empty() && runs.back().second + 1 == row)
            runs.back().second = row;
        else
            runs.emplace_back(row, row);
    }
    const auto release = [this](quint32 e) {
        Entry &entry = m_entries[e];
        indexRemove(e);
        if (entry.flags & Fading)
            --m_fadingCount;
        m_arenaGarbage += storedKeyBytes(entry);
        entry.flags = Free;
        m_free.push_back(e);
        ++m_removalWork;
    };
    // Rows keep their sequence numbers, so nothing below a removed run is
    // renumbered: the cost is the released entries plus one block move of
    // the row order per run.
    if (runs.size() > 64) {
        // Many scattered rows: one reset instead of thousands of removals
        // that each make the views shift their rows.
        beginResetModel();
        for (int row : rows)
            release(m_order[size_t(row)]);
        size_t out = size_t(runs.front().first);
        for (size_t i = 0; i < runs.size(); ++i) {
            const size_t from = size_t(runs[i].second) + 1;
            const size_t to = i + 1 < runs.size() ? size_t(runs[i + 1].first) : m_order.size();
            if (to > from)
                std::memmove(m_order.data() + out, m_order.data() + from, (to - from) * sizeof(quint32));
            out += to - from;
            ++m_removalWork;
        }
        m_order.truncate(out);
        endResetModel();
    } else {
        // Bottom-up, so earlier row numbers stay valid.
        for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
            beginRemoveRows({}, it->first, it->second);
            for (int row = it->first; row <= it->second; ++row)
                release(m_order[size_t(row)]);
            m_order.erase(size_t(it->first), size_t(it->second) + 1);
            ++m_removalWork;
            endRemoveRows();
        }
    }

    if (m_arenaGarbage > (1u << 20) && m_arenaGarbage * 2 > m_arena.size())
        compactArena();
    migrateStep(MigrateSlotsPerInsert * rows.size());
    if (m_oldIndex.empty() && m_indexTombs > m_index.size() / 4)
        startRehash(m_indexUsed * 2 > m_index.size() ? m_index.size() * 2 : m_index.size());
    emit keysRemoved(int(rows.size()));
}

// --- public mutation ------------------------------------------------------------------

void KeyTableModel::clear()
{
    beginResetModel();
    m_entries.release();
    m_free.clear();
    m_order.release();
    m_arena.release();
    m_arenaGarbage = 0;
    m_details.clear();
    m_detailChunks = 0;
    m_fadingCount = 0;
    m_fading.clear();
    m_index = PodArray<quint32>::zeroed(1024); // not rehash(): the old slots point at entries that are gone
    m_indexUsed = 0;
    m_indexTombs = 0;
    m_oldIndex.release();
    m_oldPos = 0;
    m_oldUsed = 0;
    m_nextIndex.release();
    m_nextTouched = 0;
    endResetModel();
}

void KeyTableModel::reserve(qint64 keys)
{
    const size_t n = size_t(std::clamp<qint64>(keys, 0, 50000000));
    if (n <= m_entries.size())
        return;
    // Untouched capacity costs address space, not memory.
    m_entries.reserve(n);
    m_order.reserve(n);
    m_arena.reserve(n * 24);
    finishRehash();
    size_t capacity = m_index.size();
    while (capacity * 3 < (n + 1) * 4)
        capacity *= 2;
    if (capacity != m_index.size())
        rehash(capacity);
}

int KeyTableModel::addKeys(const QList<QByteArray> &keys)
{
    std::vector<quint32> added;
    added.reserve(size_t(keys.size()));
    for (const QByteArray &key : keys) {
        if (findEntry(key) != NoEntry)
            continue;
        const quint32 e = newEntry(key);
        if (e == NoEntry)
            break; // full: the rest of the scan is not shown
        added.push_back(e);
    }
    if (added.empty())
        return 0;
    const int first = int(m_order.size());
    beginInsertRows({}, first, first + int(added.size()) - 1);
    for (quint32 e : added) {
        if (m_nextSeq == std::numeric_limits<quint32>::max()) { // once per 4 billion inserts
            for (size_t row = 0; row < m_order.size(); ++row)
                m_entries[m_order[row]].seq = quint32(row);
            m_nextSeq = quint32(m_order.size());
        }
        m_entries[e].seq = m_nextSeq++;
        m_order.push_back(e);
    }
    endInsertRows();
    resortIfSmall(false);
    return int(added.size());
}

void KeyTableModel::applyDetails(const QList<KeyDetails> &details)
{
    const qint64 t = now();
    int minRow = std::numeric_limits<int>::max();
    int maxRow = -1;
    std::vector<quint32> gone;
    for (const KeyDetails &d : details) {
        const quint32 e = findEntry(d.key);
        if (e == NoEntry)
            continue;
        Entry &entry = m_entries[e];
        if (entry.flags & Fading)
            continue;
        if (d.pttlMs == -2 || d.type == "none") {
            startFade(e, t);
        } else {
            entry.type = typeCode(d.type);
            Details &details = writableDetails(e);
            details.sizeBytes = qint32(std::clamp<qint64>(d.sizeBytes, -1, std::numeric_limits<qint32>::max()));
            details.deadlineMs = d.pttlMs >= 0 ? t + d.pttlMs : -1;
            details.ttlSpanMs = qint32(std::clamp<qint64>(d.pttlMs, 0, std::numeric_limits<qint32>::max()));
            entry.flags = quint8((entry.flags | DetailsKnown) & ~DetailsRequested);
        }
        const int row = rowOfEntry(e);
        minRow = std::min(minRow, row);
        maxRow = std::max(maxRow, row);
    }
    if (maxRow >= 0) {
        emitRowChanged(minRow, maxRow);
        resortIfSmall(true);
    }
}

bool KeyTableModel::applyTtl(const QByteArray &key, qint64 pttlMs)
{
    const quint32 e = findEntry(key);
    if (e == NoEntry)
        return false;
    Entry &entry = m_entries[e];
    const qint64 t = now();
    if (pttlMs == -2) {
        startFade(e, t);
    } else if (!(entry.flags & Fading)) {
        Details &details = writableDetails(e);
        details.deadlineMs = pttlMs >= 0 ? t + pttlMs : -1;
        details.ttlSpanMs = qint32(std::clamp<qint64>(pttlMs, 0, std::numeric_limits<qint32>::max()));
    }
    const int row = rowOfEntry(e);
    emitRowChanged(row, row);
    return true;
}

void KeyTableModel::startFade(quint32 e, qint64 now)
{
    Entry &entry = m_entries[e];
    if (entry.flags & Fading)
        return;
    entry.flags |= Fading;
    writableDetails(e).deadlineMs = now;
    ++m_fadingCount;
    m_fading.push_back(e);
}

void KeyTableModel::applyEvents(const QList<KeyspaceEvent> &events)
{
    const qint64 t = now();
    int minRow = std::numeric_limits<int>::max();
    int maxRow = -1;
    // A big batch touches rows all over the table: announce the whole table
    // (views repaint their visible rows either way) instead of looking up
    // every key's row.
    const bool wholeTable = events.size() > 256;
    // Keys not in the model yet, in order of first appearance. Within a
    // batch the last event for a key wins: a key set and then expired,
    // evicted or deleted in the same batch is never added.
    QList<QByteArray> newKeys;
    QHash<QByteArray, qsizetype> pending; // key -> its position in newKeys
    std::vector<bool> dropped; // parallel to newKeys
    for (const KeyspaceEvent &ev : events) {
        const quint32 e = findEntry(ev.key);
        if (e == NoEntry) {
            if (isRemovalEvent(ev.event)) {
                const auto it = pending.constFind(ev.key);
                if (it != pending.constEnd()) {
                    dropped[size_t(it.value())] = true;
                    pending.erase(it);
                }
            } else if (!pending.contains(ev.key) && GlobMatcher::matches(m_pattern, ev.key)) {
                pending.insert(ev.key, newKeys.size());
                newKeys.append(ev.key);
                dropped.push_back(false);
            }
            continue;
        }
        if (isRemovalEvent(ev.event)) {
            startFade(e, t);
        } else {
            Entry &entry = m_entries[e];
            if (entry.flags & Fading) { // the key came back (set after expiry)
                entry.flags = quint8(entry.flags & ~Fading);
                --m_fadingCount;
                writableDetails(e).deadlineMs = -2;
            }
            // Details are stale now; the old figures stay on screen until
            // the fresh ones arrive, so nothing flickers.
            entry.flags = quint8(entry.flags & ~(DetailsKnown | DetailsRequested));
        }
        if (wholeTable) {
            maxRow = rowCount() - 1;
            minRow = 0;
        } else {
            const int row = rowOfEntry(e);
            minRow = std::min(minRow, row);
            maxRow = std::max(maxRow, row);
        }
    }
    if (maxRow >= 0)
        emitRowChanged(minRow, maxRow);
    if (pending.size() != newKeys.size()) {
        QList<QByteArray> kept;
        for (qsizetype i = 0; i < newKeys.size(); ++i) {
            if (!dropped[size_t(i)])
                kept.append(newKeys.at(i));
        }
        newKeys.swap(kept);
    }
    if (!newKeys.isEmpty())
        addKeys(newKeys);
}

void KeyTableModel::tick()
{
    migrateStep(4096); // a rehash left behind by removals finishes even when nothing is inserted
    if (m_fadingCount == 0)
        return;
    const qint64 t = now();
    std::vector<quint32> done;
    std::vector<quint32> still;
    int minRow = std::numeric_limits<int>::max();
    int maxRow = -1;
    // Only the fading entries are visited, not every row.
    for (quint32 e : m_fading) {
        const Entry &entry = m_entries[e];
        if (!(entry.flags & Fading) || (entry.flags & Free))
            continue; // came back, or already removed
        if (t - detailsOf(e).deadlineMs >= FadeMs) {
            done.push_back(e);
        } else {
            still.push_back(e);
            const int row = rowOfEntry(e);
            minRow = std::min(minRow, row);
            maxRow = std::max(maxRow, row);
        }
    }
    m_fading.swap(still);
    if (maxRow >= 0)
        emitRowChanged(minRow, maxRow);
    removeEntries(std::move(done));
}

void KeyTableModel::refreshTtl(int firstRow, int lastRow)
{
    firstRow = std::max(firstRow, 0);
    lastRow = std::min(lastRow, rowCount() - 1);
    if (firstRow > lastRow)
        return;
    emitRowChanged(firstRow, lastRow, TtlColumn, TtlColumn);
}

void KeyTableModel::emitRowChanged(int firstRow, int lastRow, int firstColumn, int lastColumn)
{
    emit dataChanged(index(firstRow, firstColumn), index(lastRow, lastColumn));
}

QList<QByteArray> KeyTableModel::takeKeysNeedingDetails(int firstRow, int lastRow, int max)
{
    QList<QByteArray> out;
    firstRow = std::max(firstRow, 0);
    lastRow = std::min(lastRow, rowCount() - 1);
    for (int row = firstRow; row <= lastRow && out.size() < max; ++row) {
        Entry &entry = m_entries[m_order[size_t(row)]];
        if (entry.flags & (DetailsKnown | DetailsRequested | Fading))
            continue;
        entry.flags |= DetailsRequested;
        out.append(keyView(entry).toByteArray());
    }
    return out;
}

void KeyTableModel::markDetailsUnknown(const QList<QByteArray> &keys)
{
    for (const QByteArray &key : keys) {
        const quint32 e = findEntry(key);
        if (e != NoEntry)
            m_entries[e].flags = quint8(m_entries[e].flags & ~DetailsRequested);
    }
}

// --- queries --------------------------------------------------------------------------

int KeyTableModel::rowOfKey(const QByteArray &key) const
{
    const quint32 e = findEntry(key);
    return e == NoEntry ? -1 : rowOfEntry(e);
}

QByteArray KeyTableModel::keyAt(int row) const
{
    if (row < 0 || row >= rowCount())
        return {};
    return keyView(m_entries[m_order[size_t(row)]]).toByteArray();
}

qint64 KeyTableModel::remainingMs(int row) const
{
    if (row < 0 || row >= rowCount())
        return -2;
    const quint32 entry = m_order[size_t(row)];
    if (m_entries[entry].flags & Fading)
        return 0;
    const qint64 deadline = detailsOf(entry).deadlineMs;
    if (deadline < 0)
        return deadline;
    return std::max<qint64>(0, deadline - now());
}

bool KeyTableModel::isFading(int row) const
{
    return row >= 0 && row < rowCount() && (m_entries[m_order[size_t(row)]].flags & Fading);
}

qint64 KeyTableModel::memoryFootprint() const
{
    // Capacities: an upper bound of what is resident (untouched capacity of a
    // big block is address space that no page backs yet).
    return qint64(m_entries.capacity() * sizeof(Entry) + m_free.capacity() * sizeof(quint32)
        + m_order.capacity() * sizeof(quint32) + m_arena.capacity() + m_details.capacity() * sizeof(m_details[0])
        + m_detailChunks * (sizeof(Details) << DetailsChunkBits)
        + (m_index.size() + m_oldIndex.size() + std::min(m_nextTouched, m_nextIndex.size())) * sizeof(quint32));
}

int KeyTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_order.size());
}

int KeyTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString KeyTableModel::formatTtl(qint64 ms)
{
    if (ms < 0)
        return {};
    if (ms < 10000)
        return QString::number(double(ms) / 1000.0, 'f', 1) + QStringLiteral(" s");
    const qint64 s = ms / 1000;
    if (s < 60)
        return QString::number(s) + QStringLiteral(" s");
    if (s < 3600)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    if (s < 86400)
        return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    return QStringLiteral("%1 d %2 h").arg(s / 86400).arg((s % 86400) / 3600);
}

QString KeyTableModel::formatBytes(qint64 bytes)
{
    if (bytes < 0)
        return {};
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    if (bytes < 1024 * 1024)
        return QStringLiteral("%1 KB").arg(double(bytes) / 1024.0, 0, 'f', 1);
    return QStringLiteral("%1 MB").arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
}

QVariant KeyTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const quint32 entry = m_order[size_t(index.row())];
    const Entry &e = m_entries[entry];
    const Details &details = detailsOf(entry);
    const bool fading = e.flags & Fading;
    const qint64 remaining = remainingMs(index.row());

    switch (role) {
    case Qt::ToolTipRole:
        // The whole key, and what a narrow table may not show beside it.
        if (index.column() == KeyColumn && (e.flags & DetailsKnown))
            return QStringLiteral("%1\n%2 · %3")
                .arg(QString::fromUtf8(keyView(e)), QString::fromLatin1(kTypeNames[e.type]),
                    formatBytes(details.sizeBytes));
        [[fallthrough]];
    case Qt::DisplayRole:
        switch (index.column()) {
        case KeyColumn:
            return QString::fromUtf8(keyView(e));
        case TypeColumn:
            return QString::fromLatin1(kTypeNames[e.type]);
        case SizeColumn:
            return formatBytes(details.sizeBytes);
        case TtlColumn:
            if (fading)
                return tr("gone");
            if (remaining == -1)
                return tr("no TTL");
            if (remaining == -2)
                return QString();
            if (remaining == 0)
                return tr("expiring…");
            return formatTtl(remaining);
        default:
            return {};
        }
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn || index.column() == TtlColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return int(Qt::AlignLeft | Qt::AlignVCenter);
    case KeyBytesRole:
        return keyView(e).toByteArray();
    case TypeRole:
        return QString::fromLatin1(kTypeNames[e.type]);
    case TtlRemainingMsRole:
        return remaining;
    case TtlFractionRole:
        if (fading)
            return 0.0;
        if (remaining < 0)
            return -1.0;
        return details.ttlSpanMs > 0 ? std::clamp(double(remaining) / double(details.ttlSpanMs), 0.0, 1.0) : 0.0;
    case OpacityRole:
        if (!fading)
            return 1.0;
        return std::clamp(1.0 - double(now() - details.deadlineMs) / double(FadeMs), 0.0, 1.0);
    case SizeBytesRole:
        return qint64(details.sizeBytes);
    default:
        return {};
    }
}

QVariant KeyTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case KeyColumn:
        return tr("Key");
    case TypeColumn:
        return tr("Type");
    case SizeColumn:
        return tr("Size");
    case TtlColumn:
        return tr("TTL");
    default:
        return {};
    }
}
