// SqliteDb: the sqlite3 C API, thinly wrapped, for the SQL baselines.
//
// Opens the same database file the CacheLab repository uses, with the same
// pragmas (WAL, synchronous=NORMAL, busy timeout), so the baseline does the
// same SQL work with none of Qt SQL's or the worker thread's overhead.
#pragma once

#include <QString>

struct sqlite3;
struct sqlite3_stmt;

class SqliteStatement final
{
public:
    SqliteStatement() = default;
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement &) = delete;
    SqliteStatement &operator=(const SqliteStatement &) = delete;

    bool prepare(sqlite3 *db, const char *sql, QString *error);
    sqlite3_stmt *get() const { return m_stmt; }
    void finalize();

private:
    sqlite3_stmt *m_stmt = nullptr;
};

class SqliteDb final
{
public:
    SqliteDb() = default;
    ~SqliteDb();
    SqliteDb(const SqliteDb &) = delete;
    SqliteDb &operator=(const SqliteDb &) = delete;

    bool open(const QString &path, QString *error);
    void close();
    sqlite3 *handle() const { return m_db; }
    /// Runs SQL without results (BEGIN, COMMIT, PRAGMA ...).
    bool exec(const char *sql, QString *error);
    /// First column of the first row of a one-value query; -1 on error.
    qint64 scalar(const char *sql);
    QString lastError() const;

private:
    sqlite3 *m_db = nullptr;
};
