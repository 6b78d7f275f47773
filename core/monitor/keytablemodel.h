// KeyTableModel: the Redis keys the browser shows, compact enough for tens of millions.
//
// Rows are stored in flat arrays, not one QObject/QString per key: a 12-byte
// record per key, the key bytes in one shared arena and an open-addressing
// index of 32-bit slots for key -> row lookups. Details (TTL, size) live in
// a side table of 1024-entry chunks, allocated for the chunks that have any:
// a browser fetches them for the rows on screen, so ten million keys take
// about 40 bytes each, names included (see memoryFootprint()).
//
// TTLs are never polled: a PTTL snapshot (from KeyScanner) becomes a deadline
// on a monotonic clock, and the countdown is computed locally whenever a view
// asks. Keyspace events re-sync it: "expire"/"set"/"hset"/... mark a key as
// needing fresh details, "expired"/"evicted"/"del" start a fade-out after
// which tick() removes the row. The clock is injectable for tests.
//
// Updates come in batches: addKeys() inserts a whole batch with one
// beginInsertRows(); applyEvents() and tick() remove contiguous runs.
//
// sort() reorders the rows (keytablesort.cpp): by name, type, size or
// time left, unknown details last. Sorting renumbers the rows' sequence
// numbers in the new order, so the row order stays sorted by sequence.
// While a sort is set, tables of up to ResortLimit rows are sorted again
// after each batch of keys or details; bigger ones when resort() is called
// (the key browser does when a scan finishes), so a million-key scan does
// not sort a million rows per batch.
//
// No GUI handler does work proportional to the whole table:
// - the arrays grow without copying (PodArray: page mappings move) and a
//   new index starts as untouched zero pages;
// - the index grows incrementally (as Redis' dict does): a bigger table is
//   allocated and the old one is drained a few slots per inserted key, with
//   lookups consulting both until it is empty; the bigger table's pages are
//   faulted in a few per insert before it is needed;
// - rows carry an insertion sequence number instead of a row number, so
//   removing rows never renumbers the rows below them; a key's row is found
//   by binary search of the row order (which is sorted by sequence, since
//   keys are only ever appended).
#pragma once

#include "keydetails.h"
#include "keyspaceevent.h"
#include "podarray.h"

#include <functional>
#include <memory>
#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <type_traits>
#include <vector>

class KeyTableModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { KeyColumn, TypeColumn, SizeColumn, TtlColumn, ColumnCount };
    enum Role {
        KeyBytesRole = Qt::UserRole + 1, ///< QByteArray, the raw key
        TypeRole, ///< QString type name, empty when unknown
        TtlRemainingMsRole, ///< qint64: ms left, -1 no TTL, -2 unknown
        TtlFractionRole, ///< double 0..1 of the TTL seen at the snapshot, -1 without TTL
        OpacityRole, ///< double 1.0, falling to 0 while the key fades out
        SizeBytesRole, ///< qint64 MEMORY USAGE, -1 unknown
    };

    /// Milliseconds on a monotonic clock.
    using Clock = std::function<qint64()>;
    /// How long an expired, evicted or deleted key stays visible while it fades.
    static constexpr qint64 FadeMs = 1500;

    explicit KeyTableModel(QObject *parent = nullptr);
    ~KeyTableModel() override;

    /// Replaces the monotonic clock (tests). Deadlines already set keep their values.
    void setClock(Clock clock);
    qint64 now() const;

    /// Redis glob the browser shows; events for other keys are ignored.
    void setPattern(const QByteArray &pattern) { m_pattern = pattern; }
    QByteArray pattern() const { return m_pattern; }

    /// Removes every row (one model reset).
    void clear();
    /// Sizes the storage for about this many keys (DBSIZE at the start of a
    /// scan), so inserting them never rehashes on the way.
    void reserve(qint64 keys);
    /// Appends the keys not yet present, with one beginInsertRows(). Returns how many were new.
    int addKeys(const QList<QByteArray> &keys);
    /// Applies TYPE/PTTL/MEMORY USAGE results; keys that no longer exist fade out.
    void applyDetails(const QList<KeyDetails> &details);
    /// A TTL just set or removed by the app itself (EXPIRE/PERSIST): the row
    /// shows it at once instead of after the next details fetch. pttlMs as
    /// PTTL answers (-1 no TTL, -2 gone: the row fades). false when the key
    /// is not in the model.
    bool applyTtl(const QByteArray &key, qint64 pttlMs);
    /// Re-syncs from keyspace events (see the file comment).
    void applyEvents(const QList<KeyspaceEvent> &events);
    /// Removes rows whose fade-out finished. Call a few times a second.
    void tick();
    /// Tells views that the TTL column of these rows changed (the countdown
    /// moved). Only the visible rows should be passed.
    void refreshTtl(int firstRow, int lastRow);
    /// Keys in [firstRow, lastRow] whose details are unknown and not yet
    /// requested, at most max; they are marked as requested.
    QList<QByteArray> takeKeysNeedingDetails(int firstRow, int lastRow, int max);
    /// Forgets that details were requested for these keys (the fetch failed).
    void markDetailsUnknown(const QList<QByteArray> &keys);

    int rowOfKey(const QByteArray &key) const;
    QByteArray keyAt(int row) const;
    /// ms left for the key at row: -1 no TTL, -2 unknown.
    qint64 remainingMs(int row) const;
    bool isFading(int row) const;
    /// Bytes held by the model's own storage (arrays, arena, index).
    qint64 memoryFootprint() const;
    /// Index slots moved or visited while rehashing, since construction. A
    /// work counter for tests and benchmarks: one addKeys() call moves at
    /// most MigrateSlotsPerInsert slots per key it inserts.
    quint64 rehashWork() const { return m_rehashWork; }
    /// Per-entry steps spent removing rows, since construction (entries
    /// released plus contiguous runs moved). Removing a batch costs
    /// O(batch) steps plus one block move per run.
    quint64 removalWork() const { return m_removalWork; }
    /// Old index slots drained per key inserted while the index grows.
    static constexpr size_t MigrateSlotsPerInsert = 8;

    /// Rows above this are re-sorted only by resort(), not after every batch.
    static constexpr int ResortLimit = 50000;
    /// column -1: keep the current order (new keys are appended).
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    /// Sorts again by the current sort column (after a scan).
    void resort();
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// "3.2 s", "4 min 10 s", "2 h 5 min" (what the TTL column shows).
    static QString formatTtl(qint64 ms);
    static QString formatBytes(qint64 bytes);

signals:
    /// Rows were removed because their key expired/was evicted/deleted.
    void keysRemoved(int count);

private:
    enum Flag : quint8 {
        DetailsKnown = 1,
        DetailsRequested = 2,
        Fading = 4,
        Free = 8,
    };
    // Trivial (no member initialisers), so the arrays can move it as bytes.
    struct Entry
    {
        quint32 keyOffset; ///< in m_arena
        quint32 seq; ///< insertion order; m_order is sorted by it
        quint16 keyLength; ///< LongKey: a quint32 length precedes the key in the arena
        quint8 type;
        quint8 flags;
    };
    static_assert(std::is_trivial_v<Entry> && sizeof(Entry) == 12);
    // What TYPE/PTTL/MEMORY USAGE said, kept apart from Entry because most
    // keys of a big table never have it.
    struct Details
    {
        qint64 deadlineMs; ///< TTL deadline (-1 none, -2 unknown); fade start while Fading
        qint32 ttlSpanMs; ///< PTTL at the snapshot (for the bar), clamped
        qint32 sizeBytes; ///< -1 unknown
    };
    static constexpr Details NoDetails { -2, 0, -1 };
    static constexpr unsigned DetailsChunkBits = 10;
    static constexpr quint16 LongKey = 0xFFFF;

    QByteArrayView keyView(const Entry &e) const;
    size_t storedKeyBytes(const Entry &e) const; ///< arena bytes of the key, length prefix included
    const Details &detailsOf(quint32 entry) const;
    Details &writableDetails(quint32 entry); ///< allocates the entry's chunk if needed
    quint32 findEntry(QByteArrayView key) const; ///< entry index, or NoEntry
    quint32 newEntry(QByteArrayView key);
    void indexInsert(quint32 entry);
    void indexRemove(quint32 entry);
    void placeSlot(quint32 value, size_t hash);
    void rehash(size_t capacity);
    void startRehash(size_t capacity);
    void prefaultNextIndex();
    void migrateStep(size_t maxSlots);
    void finishRehash();
    int rowOfEntry(quint32 entry) const;
    void removeEntries(std::vector<quint32> entries);
    void compactArena();
    void startFade(quint32 entry, qint64 now);
    void emitRowChanged(int firstRow, int lastRow, int firstColumn = 0, int lastColumn = ColumnCount - 1);
    void resortIfSmall(bool detailsChanged);

    static constexpr quint32 NoEntry = 0xFFFFFFFFu;
    // An index slot holds 0 (empty), Tomb (removed) or the entry + 1 in its
    // low EntryBits bits with the top bits of the key's hash above them, so
    // a probe compares a key only when those bits match.
    static constexpr unsigned EntryBits = 27;
    static constexpr quint32 EntryMask = (1u << EntryBits) - 1;
    static constexpr quint32 Tomb = 0xFFFFFFFFu;
    /// Entries the index can name (Tomb stays distinct from every slot value).
    static constexpr quint32 MaxEntries = EntryMask - 1;
    static quint32 slotTag(size_t hash) { return quint32(hash >> (sizeof(size_t) * 8 - (32 - EntryBits))); }

    PodArray<Entry> m_entries; ///< slots, reused through m_free
    std::vector<quint32> m_free;
    PodArray<quint32> m_order; ///< row -> entry
    PodArray<char> m_arena; ///< key bytes
    size_t m_arenaGarbage = 0;
    std::vector<std::unique_ptr<Details[]>> m_details; ///< per 1 << DetailsChunkBits entries, null when none has any
    size_t m_detailChunks = 0;
    PodArray<quint32> m_index; ///< open addressing, see slotTag()
    size_t m_indexUsed = 0;
    size_t m_indexTombs = 0;
    PodArray<quint32> m_oldIndex; ///< being drained into m_index; empty when no rehash runs
    size_t m_oldPos = 0; ///< next m_oldIndex slot to drain
    size_t m_oldUsed = 0; ///< live entries still in m_oldIndex
    PodArray<quint32> m_nextIndex; ///< the table the next growth takes, paged in ahead of it
    size_t m_nextTouched = 0; ///< slots of m_nextIndex paged in so far
    quint32 m_nextSeq = 0;
    quint64 m_rehashWork = 0;
    quint64 m_removalWork = 0;
    size_t m_fadingCount = 0;
    std::vector<quint32> m_fading; ///< entries that started fading (may hold stale ones)
    QByteArray m_pattern = QByteArrayLiteral("*");
    QElapsedTimer m_elapsed;
    Clock m_clock;
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
};
