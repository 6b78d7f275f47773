// ProductRepository: the products table on Qt SQL, off the GUI thread.
//
// Every call returns at once; the SQL runs on one database worker thread
// that owns its QSqlDatabase connection, and the callback runs on the
// thread that owns the repository. Calls execute in the order they were
// made. A callback whose context object is gone by then is dropped; a null
// context means the callback always runs (while the repository exists).
//
// The schema is versioned (PRAGMA user_version) and created or migrated on
// open. Triggers copy every insert, update and delete into a change table,
// so changes made by other programs (the sqlite3 shell) reach the change
// feed too: the repository polls that table and emits changed().
#pragma once

#include "product.h"
#include "storeresult.h"

#include <functional>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QThread>

class DatabaseWorker;

// StoreCallback is declared in storeresult.h.

class ProductRepository final : public QObject
{
    Q_OBJECT

public:
    /// PRAGMA user_version of the schema open() creates or migrates to.
    static constexpr int SchemaVersion = 5;
    static constexpr int MaxArtificialLatencyMs = 2000;
    static constexpr int DefaultChangePollIntervalMs = 250;

    /// path is a file name or ":memory:". Nothing happens until open().
    explicit ProductRepository(const QString &path, QObject *parent = nullptr);
    ~ProductRepository() override; ///< stops the worker after queued calls finish

    QString path() const { return m_path; }

    /// Opens the database, creates or migrates the schema. Callback gets Ok or Error.
    /// A file whose permission bits (or folder's) allow no writes is opened
    /// read-only: reads work, writes give Error. Repeating open() is harmless.
    void open(QObject *context, StoreCallback done);
    /// As of the last completed call (open() reports through its callback first).
    bool isOpen() const { return m_open; }
    bool isReadOnly() const { return m_readOnly; }

    void get(qint64 id, QObject *context, StoreCallback done);
    void list(QObject *context, StoreCallback done);
    /// Only the ids (StoreResult::ids, ascending): for callers that need no rows.
    void listIds(QObject *context, StoreCallback done);
    /// Inserts a new row (id assigned, version 1).
    void create(const QString &name, qint64 price, QObject *context, StoreCallback done);
    /// Changes an existing row; version +1. expectedVersion > 0 makes it a
    /// compare-and-set (Conflict when the row moved on). NotFound if missing.
    void update(
        qint64 id, const QString &name, qint64 price, qint64 expectedVersion, QObject *context, StoreCallback done);
    /// Insert with the given id, or replace that row (version +1).
    void upsert(qint64 id, const QString &name, qint64 price, QObject *context, StoreCallback done);
    /// update(), upsert() and remove() numbering the new version by rule
    /// (see VersionRule); a delete reports its own version in lastVersion.
    void update(qint64 id, const QString &name, qint64 price, qint64 expectedVersion, VersionRule rule,
        QObject *context, StoreCallback done);
    void upsert(qint64 id, const QString &name, qint64 price, VersionRule rule, QObject *context, StoreCallback done);
    void remove(qint64 id, VersionRule rule, QObject *context, StoreCallback done);
    /// Write-behind flush: applies each product only if its version is newer
    /// than the stored one (at-least-once safe), and each delete, in one
    /// transaction. rowsAffected counts rows that changed.
    void applyVersioned(
        const QList<Product> &upserts, const QList<qint64> &deletes, QObject *context, StoreCallback done);
    /// The same, with a version per delete (a write-behind tombstone): a row
    /// already at that version or newer is not deleted. result.ids lists the
    /// ids whose row changed (an upsert applied, a row deleted).
    void applyVersioned(const QList<Product> &upserts, const QList<qint64> &deletes,
        const QList<qint64> &deleteVersions, QObject *context, StoreCallback done);
    void remove(qint64 id, QObject *context, StoreCallback done);
    /// The row (NotFound when there is none) and lastVersion: the highest
    /// version the id ever had, a deleted row's included (versions never
    /// repeat: a new row under that id starts above it).
    void versionOf(qint64 id, QObject *context, StoreCallback done);
    /// Inserts a new row under an id given by the caller (the shared id
    /// counter in Redis); Conflict when the id exists.
    void insert(qint64 id, const QString &name, qint64 price, QObject *context, StoreCallback done);
    /// Inserts a new row under an id above both floor and every id a row
    /// ever had (creates made while the shared id counter is unreachable),
    /// and keeps the ids up to ceiling for more of those: highestId() then
    /// reports at least ceiling, so the shared counter is raised past them.
    void insertAbove(qint64 floor, qint64 ceiling, const QString &name, qint64 price, QObject *context,
        StoreCallback done);
    /// result.lastVersion = the highest id a product ever had (deleted ones
    /// and SQLite's AUTOINCREMENT counter included).
    void highestId(QObject *context, StoreCallback done);
    /// Moves the row from fromVersion to the higher toVersion (nothing
    /// else changes); rowsAffected 0 when the row is no longer at fromVersion.
    /// fromVersion 0: the id was deleted; its next life starts above toVersion.
    void restamp(qint64 id, qint64 fromVersion, qint64 toVersion, QObject *context, StoreCallback done);
    /// Change rows after seq (at most limit), plus the newest seq and how
    /// far the table was pruned.
    void changesAfter(qint64 seq, int limit, QObject *context, StoreCallback done);
    /// Inserts the demo products when the table is empty.
    void seedDemoData(QObject *context, StoreCallback done);

    // --- tags and search (schema version 3) -------------------------------------------------
    /// Replaces the product's tags (see TagValidator: normalised, deduplicated,
    /// at most 16). Invalid for a bad tag, NotFound for a missing product;
    /// nothing is written then. Result: tags (new, sorted), previousTags.
    /// tagsChanged() is emitted before the callback.
    void setTags(qint64 id, const QStringList &tags, QObject *context, StoreCallback done);
    /// Result tags, sorted. NotFound for a missing product.
    void tagsOf(qint64 id, QObject *context, StoreCallback done);
    /// Result products (ordered by id) carrying the tag. Invalid for a bad tag.
    void productsWithTag(const QString &tag, QObject *context, StoreCallback done);
    /// Result tagCounts: every tag in use with its number of products, by name.
    void allTags(QObject *context, StoreCallback done);
    /// The rows of these ids that exist, ordered by id (one statement).
    void productsByIds(const QList<qint64> &ids, QObject *context, StoreCallback done);
    /// Products whose name contains every word of text (the last one as a
    /// prefix), best match first, at most limit (1..100). The text is
    /// cleaned by SearchQuery, so no input is an FTS5 syntax error; Invalid
    /// only for text that is too long. Uses FTS5 when this SQLite has it,
    /// else LIKE; result.fullText says which.
    void search(const QString &text, int limit, QObject *context, StoreCallback done);

    /// Sleep this long before each statement batch (teaching "slow database"). 0..2000 ms.
    void setArtificialLatency(int ms);
    int artificialLatency() const { return m_latencyMs; }
    /// How often the change table is polled for outside changes. Default 250 ms;
    /// <= 0 stops polling (the app's own writes are still reported at once).
    void setChangePollInterval(int ms);
    int changePollInterval() const { return m_pollIntervalMs; }

signals:
    /// One or more rows changed (by this app or another program), in change
    /// table order. For a write made through this repository, changed() is
    /// emitted just before that call's callback runs.
    void changed(const QList<ProductChange> &changes);
    /// setTags() changed a product's tags: affected = its old and new tags
    /// (the tag sets a cache must drop). Tag edits made by other programs
    /// are not reported; caches rely on their TTL for those.
    void tagsChanged(qint64 id, const QStringList &affected);
    /// The database reported an error outside a call (poll failure).
    void errorOccurred(const QString &message);

private:
    struct Pending final
    {
        QPointer<QObject> context;
        bool hadContext = false; ///< a null context means "always call back"
        StoreCallback done;
    };

    void dispatch(std::function<StoreResult(DatabaseWorker &)> job, QObject *context, StoreCallback done);
    void deliver(
        quint64 jobId, const StoreResult &result, const QList<ProductChange> &changes, bool isOpen, bool isReadOnly);

    QString m_path;
    QThread m_thread;
    DatabaseWorker *m_worker = nullptr; ///< lives on m_thread; deleted there when it finishes
    QHash<quint64, Pending> m_pending; ///< callbacks wait here, on our thread, never on the DB thread
    quint64 m_nextJobId = 0;
    bool m_open = false;
    bool m_readOnly = false;
    int m_latencyMs = 0;
    int m_pollIntervalMs = DefaultChangePollIntervalMs;
};
