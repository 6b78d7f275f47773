// DatabaseWorker: the half of ProductRepository that lives on the database thread.
//
// Internal to core/store. It owns the one SQLite connection (SqlSession, a unique
// connection name per worker, created, used and removed on the database
// thread only, as Qt SQL requires), runs the jobs the repository queues in
// the order they were queued, and polls the change table for writes made by
// other programs. Everything here blocks, which is why it is not on the GUI
// thread.
#pragma once

#include "changefeed.h"
#include "product.h"
#include "productwrites.h"
#include "schemamigrations.h"
#include "sqlsession.h"
#include "storeresult.h"

#include <atomic>
#include <functional>
#include <memory>
#include <QObject>

class QTimer;

class DatabaseWorker final : public QObject
{
    Q_OBJECT

public:
    using Job = std::function<StoreResult(DatabaseWorker &)>;

    /// The schema version open() creates or migrates to (PRAGMA user_version).
    static constexpr int SchemaVersion = SchemaMigrations::LatestVersion;
    /// Change rows kept after pruning; older ones are deleted in batches.
    static constexpr qint64 ChangeRetention = ChangeFeed::Retention;

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
    StoreResult insertAbove(qint64 floor, qint64 ceiling, QString name, qint64 price);
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
    bool readTags(qint64 id, QStringList *out, StoreResult &r, const QString &action);
    void poll();
    void sleepLatency(int ms) const;

    SqlSession m_sql;
    ChangeFeed m_feed; ///< on m_sql
    ProductWrites m_writes; ///< on m_sql and m_feed
    bool m_fts5 = false; ///< this SQLite has FTS5
    bool m_ftsTable = false; ///< products_fts exists (else search uses LIKE)
    QTimer *m_pollTimer = nullptr;
    QString m_lastPollError;
    std::atomic_bool m_stopping { false };
};
