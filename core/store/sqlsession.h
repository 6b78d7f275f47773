// SqlSession: the database thread's one SQLite connection and the ways to
// run a statement on it.
//
// Internal to core/store; used only on the database thread. Every statement
// goes through exec() or execCached(), which prepare it with bound values,
// add its text (and a short summary of the values) to StoreResult::sql for
// the teaching trace, and turn a failure into an Error result with a message
// a person can act on. transaction() is the one way to run statements as a
// unit: BEGIN IMMEDIATE, the caller's body, COMMIT, and ROLLBACK when any
// part fails.
#pragma once

#include "product.h"
#include "storeresult.h"

#include <functional>
#include <memory>
#include <optional>
#include <QHash>
#include <QSqlDatabase>
#include <QString>
#include <QVariantList>

class QSqlError;
class QSqlQuery;
struct sqlite3_stmt;

class SqlSession final
{
public:
    /// How long a statement waits for another program's lock before it fails.
    static constexpr int BusyTimeoutMs = 5000;

    /// connectionName must be unique in the process (Qt SQL's registry).
    explicit SqlSession(QString connectionName);
    ~SqlSession(); ///< closes the connection
    SqlSession(const SqlSession &) = delete;
    SqlSession &operator=(const SqlSession &) = delete;

    /// Opens path (":memory:" for an in-memory database), read-only when the
    /// file or its folder carries no write permission, in WAL mode otherwise.
    /// On failure r is Error and the connection is closed again.
    bool open(const QString &path, StoreResult &r);
    /// Drops the prepared statements and closes and unregisters the connection.
    void close();
    bool isOpen() const { return m_db.isOpen(); }
    bool isReadOnly() const { return m_readOnly; }
    QString path() const { return m_path; }
    /// A new query on this connection, for exec().
    QSqlQuery newQuery() const;

    /// r is Error ("not open") unless open() succeeded.
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
    /// eachRow for statements selecting productColumns(): appends to r.products.
    bool readProducts(const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action);
    /// One product by id (*out empty when there is none). An empty action
    /// reads as "Reading product <id>" in an error.
    bool readProduct(qint64 id, std::optional<Product> *out, StoreResult &r, const QString &action);

    using TxBody = std::function<bool(StoreResult &)>;
    /// Whether the ROLLBACK of a failed transaction is added to r.sql.
    enum class RollbackTrace { Shown, Hidden };
    /// BEGIN IMMEDIATE, body, COMMIT, all reported under `action`. When
    /// BEGIN fails nothing else runs. When the body returns false (it has
    /// set r's status) or COMMIT fails, ROLLBACK runs; its own failure never
    /// replaces the first error. True when the transaction committed.
    bool transaction(
        const QString &action, StoreResult &r, const TxBody &body, RollbackTrace rollbackTrace = RollbackTrace::Shown);

    /// The product columns, in the order productFromQuery() reads them.
    static const QString &productColumns();
    static Product productFromQuery(const QSqlQuery &q);
    /// A failure message that says what failed, where, and what to do about it.
    QString describeError(const QSqlError &error, const QString &action) const;

private:
    /// The product-by-id statement on the driver's sqlite3 handle, or null
    /// when that handle cannot be used (readProduct then uses QSqlQuery).
    sqlite3_stmt *nativeSelect();

    QString m_connectionName;
    QSqlDatabase m_db;
    QString m_path;
    bool m_readOnly = false;
    QHash<QString, std::shared_ptr<QSqlQuery>> m_statements; ///< prepared, per SQL text; cleared on close
    enum class NativeState { Unknown, Checked, Unavailable };
    NativeState m_nativeState = NativeState::Unknown; ///< may the sqlite3 handle be used (per connection)
    sqlite3_stmt *m_selectStmt = nullptr; ///< see nativeSelect(); finalized on close
};
