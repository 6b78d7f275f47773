// OutsideEditor: the sqlite3 C API, no Qt SQL, its own connection.
#include "outsideeditor.h"

#include <QFile>

#include <sqlite3.h>

#include <memory>
#include <thread>

namespace {

struct DbCloser
{
    void operator()(sqlite3 *db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

struct StatementFinalizer
{
    void operator()(sqlite3_stmt *s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

Db openDb(const QString &path, int flags, QString *error)
{
    sqlite3 *raw = nullptr;
    const int rc = sqlite3_open_v2(QFile::encodeName(path).constData(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, QString::fromUtf8(sqlite3_errmsg(raw)));
        return nullptr;
    }
    // Two CacheLab processes write the same file: wait for their locks.
    sqlite3_busy_timeout(raw, 3000);
    return db;
}

Statement prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *raw = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
    return Statement(raw);
}

QString errorOf(sqlite3 *db, const char *what)
{
    return QStringLiteral("%1: %2").arg(QLatin1String(what), QString::fromUtf8(sqlite3_errmsg(db)));
}

QRandomGenerator editorRng(quint32 runSeed)
{
    const quint32 seeds[] = { runSeed, 0x5a17e0u };
    return QRandomGenerator(seeds, 2);
}

} // namespace

OutsideEditor::OutsideEditor(const QString &dbPath, quint32 runSeed, const ChaosIds &ids, ChaosHistory &history)
    : m_dbPath(dbPath)
    , m_ids(ids)
    , m_history(history)
    , m_rng(editorRng(runSeed))
{ }

void OutsideEditor::run(const std::atomic<bool> &stop, qint64 untilMs)
{
    QString error;
    Db db = openDb(m_dbPath, SQLITE_OPEN_READWRITE, &error);
    if (!db) {
        m_history.addOutsideFailure(error);
        return;
    }
    // The trigger bumps the version of an UPDATE that leaves it alone; the
    // other form moves it on itself, as a careful program would.
    const Statement quiet = prepare(db.get(),
        "UPDATE products SET name = ?1, price = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?3");
    const Statement bumping = prepare(db.get(),
        "UPDATE products SET name = ?1, price = ?2, version = version + 1, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?3");
    const Statement version = prepare(db.get(), "SELECT version FROM products WHERE id = ?1");
    if (!quiet || !bumping || !version) {
        m_history.addOutsideFailure(errorOf(db.get(), "prepare"));
        return;
    }

    for (int n = 0; !stop.load() && m_history.now() < untilMs; ++n) {
        const qint64 pauseUntil = m_history.now() + 30 + qint64(m_rng.bounded(120));
        const qint64 id = m_ids.fixedFirst + qint64(m_rng.bounded(quint32(m_ids.fixedLast - m_ids.fixedFirst + 1)));
        const qint64 price = qint64(m_rng.bounded(100000));
        const bool bump = m_rng.bounded(2) == 0;
        const QString name = QStringLiteral("sql-%1").arg(n);
        while (!stop.load() && m_history.now() < pauseUntil)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (stop.load())
            break;

        if (sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
            m_history.addOutsideFailure(errorOf(db.get(), "BEGIN IMMEDIATE"));
            continue;
        }
        sqlite3_stmt *update = bump ? bumping.get() : quiet.get();
        const QByteArray utf8 = name.toUtf8();
        sqlite3_reset(update);
        sqlite3_bind_text(update, 1, utf8.constData(), int(utf8.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(update, 2, price);
        sqlite3_bind_int64(update, 3, id);
        bool ok = sqlite3_step(update) == SQLITE_DONE && sqlite3_changes(db.get()) >= 1;
        qint64 left = 0;
        if (ok) {
            sqlite3_reset(version.get());
            sqlite3_bind_int64(version.get(), 1, id);
            ok = sqlite3_step(version.get()) == SQLITE_ROW;
            left = ok ? sqlite3_column_int64(version.get(), 0) : 0;
            sqlite3_reset(version.get());
        }
        const QString stepError = ok ? QString() : errorOf(db.get(), "UPDATE");
        sqlite3_reset(update);
        if (!ok || sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
            m_history.addOutsideFailure(ok ? errorOf(db.get(), "COMMIT") : stepError);
            sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
            continue;
        }
        m_history.addOutsideEdit(OutsideEdit { id, left, name, price, bump, m_history.now() });
    }
}

std::optional<QHash<qint64, SqlRow>> OutsideEditor::readRows(const QString &dbPath, QString *error)
{
    Db db = openDb(dbPath, SQLITE_OPEN_READONLY, error);
    if (!db)
        return std::nullopt;
    const Statement all = prepare(db.get(), "SELECT id, name, price, version FROM products");
    if (!all) {
        *error = errorOf(db.get(), "SELECT");
        return std::nullopt;
    }
    QHash<qint64, SqlRow> rows;
    int rc;
    while ((rc = sqlite3_step(all.get())) == SQLITE_ROW) {
        SqlRow row;
        row.id = sqlite3_column_int64(all.get(), 0);
        row.name = QString::fromUtf8(
            reinterpret_cast<const char *>(sqlite3_column_text(all.get(), 1)), sqlite3_column_bytes(all.get(), 1));
        row.price = sqlite3_column_int64(all.get(), 2);
        row.version = sqlite3_column_int64(all.get(), 3);
        rows.insert(row.id, row);
    }
    if (rc != SQLITE_DONE) {
        *error = errorOf(db.get(), "SELECT");
        return std::nullopt;
    }
    return rows;
}
