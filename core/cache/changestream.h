// ChangeStream: the change log of every product write, in a Redis stream.
//
// Each acknowledged write made through the ProductService (productWritten)
// is appended to "cachelab:changes" with XADD ... MAXLEN ~ N on the
// service's own connection. Every instance also reads the stream through a
// consumer group of its own: unlike pub/sub, the group remembers how far it
// got, so the changes made while an instance was not running are delivered
// when it comes back. A change made by another instance under another key
// prefix drops our cached product:{id} (the same guarded invalidation as a
// pub/sub message) and is acknowledged (XACK) only after Redis confirmed
// it; our own changes and changes to our own keys are acknowledged at once.
// Each entry carries a hash of the writer's database path ("db"): entries of
// another database on the same Redis are acknowledged without action. An
// entry whose apply keeps failing is retried a few times, then its key gets a
// plain DEL and the entry is acknowledged anyway, counted in the stats, so
// one bad entry never blocks the ones behind it.
//
// The blocking XREADGROUP runs on a dedicated connection, so the service's
// connection is never held up by it. When Redis goes away the loop stops;
// it starts again (pending entries first) when the reader reconnects.
#pragma once

#include "productwrite.h"

#include <functional>
#include <memory>
#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QSet>
#include <QString>

class ProductService;
class RedisClient;
class RedisReply;

/// One entry of the change-log stream.
struct ChangeEntry final
{
    QByteArray streamId; ///< "1700000000000-0"
    QString op; ///< created / updated / deleted
    qint64 id = 0;
    qint64 version = 0;
    QString origin; ///< the writer's instanceId()
    QString prefix; ///< the writer's key prefix
    QString db; ///< the writer's database (ChangeStream::databaseIdFor); empty in entries of older versions
    QString strategy;
    bool queued = false; ///< write-behind: SQLite not written yet
    qint64 timestamp = 0; ///< ms since the epoch
    bool appliedHere = false; ///< this instance dropped its cached copy for it

    bool isDelete() const { return op == QLatin1String("deleted"); }
    /// One [id, [field, value, ...]] element of an XRANGE / XREADGROUP reply.
    /// An entry already trimmed from the stream comes back with no fields.
    static ChangeEntry fromReply(const RedisReply &reply);
};

/// Counters since construction plus what the server said last (-1 = not known yet).
struct ChangeStreamStats final
{
    quint64 appended = 0; ///< XADDs confirmed
    quint64 appendErrors = 0;
    quint64 read = 0; ///< entries delivered to this instance's group
    quint64 applied = 0; ///< invalidations done here for other instances' changes
    quint64 skipped = 0; ///< own changes (or our own key prefix): acknowledged without action
    quint64 acked = 0;
    quint64 otherDatabase = 0; ///< written against another SQLite file: acknowledged without action
    quint64 applyFailures = 0; ///< failed attempts to apply an entry (each one retried later)
    quint64 givenUp = 0; ///< entries acknowledged after MaxApplyAttempts failed attempts
    QString lastGivenUp; ///< what happened to the last of them
    qint64 length = -1; ///< XLEN
    qint64 pending = -1; ///< delivered to the group, not yet acknowledged
    qint64 lag = -1; ///< entries in the stream the group has not read yet
};

class ChangeStream final : public QObject
{
    Q_OBJECT

public:
    static constexpr int DefaultMaxLength = 10000;
    static constexpr int BlockMs = 2000;
    static constexpr int ReadCount = 100;
    /// The pause before trying again after an error the loop cannot fix at once.
    static constexpr int RetryMs = 1000;
    /// Failed applies of one entry before it is acknowledged anyway (after a
    /// plain DEL of our copy): one entry must not block the group forever.
    static constexpr int MaxApplyAttempts = 3;

    /// Appends the service's writes and consumes the stream in `groupName`
    /// (consumer "main"). Instances that share a group share its deliveries,
    /// so each instance caching its own keys needs a name of its own that
    /// stays the same across restarts (see groupNameFor()). The service must
    /// outlive this object. Starts at once.
    ChangeStream(ProductService *service, const QString &groupName, QObject *parent = nullptr);
    ~ChangeStream() override;

    /// "cachelab:<hash of the database path>:<key prefix>": stable across
    /// restarts; two windows on one database and one prefix share the keys,
    /// so sharing a group (one of them applies each change) is right too.
    static QString groupNameFor(const QString &databasePath, const QString &keyPrefix);
    /// The first 12 hex digits of the SHA-1 of the cleaned absolute path:
    /// the "db" field of each entry, so other databases' changes are skipped.
    static QString databaseIdFor(const QString &databasePath);
    QString databaseId() const { return m_databaseId; }
    static QByteArray consumerName() { return QByteArrayLiteral("main"); }

    QString groupName() const { return m_group; }
    /// XADD MAXLEN ~ bound (approximate: Redis trims whole nodes). 10..10,000,000.
    void setMaxLength(int entries);
    int maxLength() const { return m_maxLength; }

    /// The read loop is running (the group exists and the reader is connected).
    bool isReading() const { return m_reading; }
    ChangeStreamStats stats() const { return m_stats; }
    /// Written by this instance, or about our own keys.
    bool isOwn(const ChangeEntry &entry) const;
    /// Written against another database (entries without "db" count as ours).
    bool isOtherDatabase(const ChangeEntry &entry) const;

    /// The newest `count` entries (XREVRANGE), newest first.
    void recentEntries(
        int count, QObject *context, std::function<void(const QList<ChangeEntry> &entries, const QString &error)> done);
    /// XLEN and XINFO GROUPS for the length, pending count and lag; emits statsChanged().
    void refreshInfo();

    /// The dedicated reader connection (tests watch it reconnect).
    RedisClient *readerClient() const { return m_reader.get(); }

signals:
    /// Our own write is in the stream (streamId filled in).
    void entryAppended(const ChangeEntry &entry);
    /// A batch read from the group and handled (appliedHere set).
    void entriesReceived(const QList<ChangeEntry> &entries);
    void statsChanged();
    void readingChanged(bool reading);
    void errorOccurred(const QString &message);

private:
    void onWritten(const ProductWrite &write);
    void onReaderConnected();
    void onReaderDisconnected();
    void createGroup(quint64 generation);
    void readNext(quint64 generation);
    void onBatch(quint64 generation, const RedisReply &reply);
    void handle(quint64 generation, const QList<ChangeEntry> &entries);
    void retryLater(quint64 generation, bool recreateGroup);
    void setReading(bool reading);
    /// Logs and signals a read-loop error once (not again on every retry).
    void report(const QString &message);
    void rememberApplied(const QByteArray &streamId);
    /// Plain DEL of our copy, then XACK: the last resort for an entry whose
    /// apply failed MaxApplyAttempts times (the cache TTL bounds what is left).
    void giveUp(const ChangeEntry &entry, const QString &lastError);

    ProductService *m_service;
    RedisClient *m_redis; ///< the service's connection: XADD, XACK-free reads for the UI
    std::unique_ptr<RedisClient> m_reader; ///< XGROUP CREATE, XREADGROUP, XACK
    QString m_group;
    QString m_databaseId;
    int m_maxLength = DefaultMaxLength;
    /// Bumped on every reader (dis)connect; replies of an older loop are dropped.
    quint64 m_generation = 0;
    bool m_reading = false;
    /// Re-reading our pending entries (delivered, not acknowledged) from this ID;
    /// empty once they are done and new entries (">") are read.
    QByteArray m_pendingCursor;
    ChangeStreamStats m_stats;
    QString m_lastLoopError;
    QSet<QByteArray> m_appliedIds;
    QList<QByteArray> m_appliedOrder; ///< bounds m_appliedIds
    /// Failed apply attempts per stream id, until applied or given up.
    QHash<QByteArray, int> m_attempts;
};

Q_DECLARE_METATYPE(ChangeEntry)
