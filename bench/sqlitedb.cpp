// SqliteDb: sqlite3 C API helpers for the baselines (see sqlitedb.h).
#include "sqlitedb.h"

#include <sqlite3.h>

SqliteStatement::~SqliteStatement()
{
    finalize();
}

bool SqliteStatement::prepare(sqlite3 *db, const char *sql, QString *error)
{
    finalize();
    if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK) {
        if (error)
            *error = QString::fromUtf8(sqlite3_errmsg(db));
        return false;
    }
    return true;
}

void SqliteStatement::finalize()
{
    if (m_stmt) {
        sqlite3_finalize(m_stmt);
        m_stmt = nullptr;
    }
}

SqliteDb::~SqliteDb()
{
    close();
}

bool SqliteDb::open(const QString &path, QString *error)
{
    close();
    if (sqlite3_open_v2(path.toUtf8().constData(), &m_db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("sqlite3_open_v2(%1): %2").arg(path, lastError());
        close();
        return false;
    }
    sqlite3_busy_timeout(m_db, 5000);
    // The repository's pragmas: the baseline must pay the same durability.
    return exec("PRAGMA journal_mode = WAL", error) && exec("PRAGMA synchronous = NORMAL", error);
}

void SqliteDb::close()
{
    if (m_db) {
        sqlite3_close_v2(m_db);
        m_db = nullptr;
    }
}

bool SqliteDb::exec(const char *sql, QString *error)
{
    char *message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(QString::fromUtf8(sql), QString::fromUtf8(message ? message : ""));
        sqlite3_free(message);
        return false;
    }
    return true;
}

qint64 SqliteDb::scalar(const char *sql)
{
    SqliteStatement st;
    if (!st.prepare(m_db, sql, nullptr))
        return -1;
    const int rc = sqlite3_step(st.get());
    return rc == SQLITE_ROW ? sqlite3_column_int64(st.get(), 0) : -1;
}

QString SqliteDb::lastError() const
{
    return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QStringLiteral("no database");
}
