// DatabaseWorker: the half of ProductRepository that lives on the database thread.
//
// Internal to core/store. It owns the one QSqlDatabase connection (a unique
// connection name per worker, created, used and removed on the database
// thread only, as Qt SQL requires), runs the jobs the repository queues in
// the order they were queued, and polls the change table for writes made by
// other programs. Everything here blocks, which is why it is not on the GUI
// thread.
#pragma once

#include "product.h"
#include "storeresult.h"

#include <atomic>
#include <functional>
#include <memory>
#include <QHash>
#include <QObject>
#include <QSqlDatabase>
#include <QVariantList>

class QSqlQuery;
class QSqlError;
class QTimer;
struct sqlite3_stmt;

class DatabaseWorker final : public QObject
{
    Q_OBJECT

public:
    using Job = std::function<StoreResult(DatabaseWorker &)>;

    /// The schema version open() creates or migrates to (PRAGMA user_version).
    static constexpr int SchemaVersion = 4;
    /// Change rows kept after pruning; older ones are deleted in batches.
    static constexpr qint64 ChangeRetention = 10000;

    explicit DatabaseWorker(QObject *parent = nullptr);
    ~DatabaseWorker() override; ///< closes and removes the connection; runs on the DB thread

    /// Sleeps latencyMs (cut short once stopping), runs the job, reports jobFinished.
    void runJob(quint64 jobId, const Job &job, int latencyMs);
    /// <= 0 turns polling off.
    void setPollInterval(int ms);
    /// Thread-safe: from now on artificial latency is skipped so shutdown is quick.
    void requestStop() { m_stopping.store(true); }
    /// Stops polling and closes the connection. Call on the DB thread.
    void shutdown();

    StoreResult open(const QString &path);
    StoreResult get(qint64 id);
    StoreResult list();
    StoreResult listIds();
    StoreResult create(QString name, qint64 price);
    StoreResult update(qint64 id, QString name, qint64 price, qint64 expectedVersion);
    StoreResult update(qint64 id, QString name, qint64 price, qint64 expectedVersion, VersionRule rule);
    StoreResult upsert(qint64 id, QString name, qint64 price, VersionRule rule);
    StoreResult remove(qint64 id, VersionRule rule);
    StoreResult upsert(qint64 id, QString name, qint64 price);
    StoreResult applyVersioned(const QList<Product> &upserts, const QList<qint64> &deletes);
    StoreResult applyVersioned(
        const QList<Product> &upserts, const QList<qint64> &deletes, const QList<qint64> &deleteVersions);
    StoreResult remove(qint64 id);
    StoreResult versionOf(qint64 id);
    StoreResult insert(qint64 id, QString name, qint64 price);
    StoreResult highestId();
    StoreResult insertAbove(qint64 floor, QString name, qint64 price);
    StoreResult restamp(qint64 id, qint64 fromVersion, qint64 toVersion);
    StoreResult changesAfter(qint64 seq, int limit);
    StoreResult seedDemoData();
    StoreResult setTags(qint64 id, QStringList tags);
    StoreResult tagsOf(qint64 id);
    StoreResult productsWithTag(QString tag);
    StoreResult allTags();
    StoreResult productsByIds(const QList<qint64> &ids);
    StoreResult search(const QString &text, int limit);

signals:
    /// changes: what the job saw and did in the change table (external ones first).
    void jobFinished(
        quint64 jobId, const StoreResult &result, const QList<ProductChange> &changes, bool isOpen, bool isReadOnly);
    void changesPolled(const QList<ProductChange> &changes);
    void pollFailed(const QString &message);

private:
    static const QString &highestIdSql();
    bool insertRow(qint64 id, const QString &name, qint64 price, StoreResult &r, const QString &action);
    bool raiseLastVersion(qint64 id, qint64 version, StoreResult &r, const QString &action);
    using TxBody = std::function<bool(StoreResult &)>;

    bool ensureOpen(StoreResult &r) const;
    /// Prepares, binds and runs one statement; records it in r.sql; on failure sets r to Error.
    bool exec(QSqlQuery &q, const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action);
    /// A statement prepared once per connection and reused (the hot ones).
    /// finish() is called when the handle goes out of scope, so no read
    /// stays open on the connection between jobs.
    class Statement final
    {
    public:
        explicit Statement(std::shared_ptr<QSqlQuery> q = {})
            : m_q(std::move(q))
        { }
        Statement(Statement &&other) noexcept = default;
        Statement(const Statement &) = delete;
        Statement &operator=(const Statement &) = delete;
        Statement &operator=(Statement &&) = delete;
        ~Statement();
        explicit operator bool() const { return bool(m_q); }
        QSqlQuery *operator->() const { return m_q.get(); }
        QSqlQuery &operator*() const { return *m_q; }

    private:
        std::shared_ptr<QSqlQuery> m_q;
    };
    /// Like exec() with the same trace text, on a cached prepared statement
    /// (forward-only). Empty on failure (r is then Error, as with exec()).
    Statement execCached(const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action);
    /// execCached, then `row` for each result row; false when the statement failed.
    bool eachRow(const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action,
        const std::function<void(const QSqlQuery &)> &row);
    /// eachRow for statements selecting the product columns: appends to r.products.
    bool readProducts(const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action);
    /// BEGIN IMMEDIATE, earlier outside changes, body, own changes, prune, COMMIT.
    /// body returns false to roll back (and sets r's status).
    StoreResult writeTransaction(const QString &action, const TxBody &body);
    bool readChanges(qint64 afterSeq, bool external, QList<ProductChange> *out, StoreResult &r);
    /// An empty action reads as "Reading product <id>" in an error.
    bool readProduct(qint64 id, std::optional<Product> *out, StoreResult &r, const QString &action);
    /// The product-by-id statement on the driver's sqlite3 handle, or null
    /// when that handle cannot be used (readProduct then uses QSqlQuery).
    sqlite3_stmt *nativeSelect();
    bool migrate(StoreResult &r);
    bool detectFullText(StoreResult &r);
    bool ensureFullTextIndex(StoreResult &r);
    bool readTags(qint64 id, QStringList *out, StoreResult &r, const QString &action);
    void closeConnection();
    void poll();
    void sleepLatency(int ms) const;
    QString describeError(const QSqlError &error, const QString &action) const;
    static Product productFromQuery(const QSqlQuery &q);
    static QString now();

    QString m_connectionName;
    QSqlDatabase m_db;
    QString m_path;
    bool m_readOnly = false;
    bool m_fts5 = false; ///< this SQLite has FTS5
    bool m_ftsTable = false; ///< products_fts exists (else search uses LIKE)
    QTimer *m_pollTimer = nullptr;
    qint64 m_lastSeenSeq = 0; ///< highest change row already reported
    qint64 m_prunedUpTo = 0; ///< change rows <= this were deleted by us
    QList<ProductChange> m_jobChanges;
    QHash<QString, std::shared_ptr<QSqlQuery>> m_statements; ///< prepared, per SQL text; cleared on close
    enum class NativeState { Unknown, Checked, Unavailable };
    NativeState m_nativeState = NativeState::Unknown; ///< may the sqlite3 handle be used (per connection)
    sqlite3_stmt *m_selectStmt = nullptr; ///< see nativeSelect(); finalized on close
    QString m_lastPollError;
    std::atomic_bool m_stopping { false };
};
