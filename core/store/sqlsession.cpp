// SqlSession: prepared statements with their trace lines, one transaction
// runner, and the hot product read on the driver's own sqlite3 handle.
#include "sqlsession.h"

#include "timestamp.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>

#include <sqlite3.h>

namespace {

// A bound value as it should appear in a trace: short, one line.
QString summarise(const QVariant &v)
{
    if (v.isNull())
        return QStringLiteral("NULL");
    if (v.typeId() == QMetaType::QString) {
        QString s = v.toString();
        if (s.size() > 40)
            s = s.left(40) + QChar(0x2026);
        s.replace(QLatin1Char('\n'), QLatin1Char(' '));
        return QLatin1Char('\'') + s + QLatin1Char('\'');
    }
    return v.toString();
}

// A statement's trace line: its text, then a summary of the bound values.
QString traceLine(const QString &sql, const QVariantList &binds)
{
    QString trace = sql;
    if (!binds.isEmpty()) {
        QStringList values;
        values.reserve(binds.size());
        for (const QVariant &v : binds)
            values << summarise(v);
        trace += QStringLiteral("  -- ") + values.join(QStringLiteral(", "));
    }
    return trace;
}

// The hot statement's text, built once (the same text goes into the trace).
const QString &selectProductSql()
{
    static const QString sql = QStringLiteral("SELECT %1 FROM products WHERE id = ?").arg(SqlSession::productColumns());
    return sql;
}

} // namespace

SqlSession::SqlSession(QString connectionName)
    : m_connectionName(std::move(connectionName))
{ }

SqlSession::~SqlSession()
{
    close();
}

const QString &SqlSession::productColumns()
{
    static const QString columns = QStringLiteral("id, name, price, version, updated_at");
    return columns;
}

QSqlQuery SqlSession::newQuery() const
{
    return QSqlQuery(m_db);
}

bool SqlSession::open(const QString &path, StoreResult &r)
{
    close();
    m_path = path;
    m_readOnly = false;
    const bool inMemory = path == QLatin1String(":memory:");
    const QString action = QStringLiteral("Opening the database");

    if (!inMemory) {
        const QFileInfo file(path);
        QDir().mkpath(file.absolutePath());
        const QFileInfo dir(file.absolutePath());
        // Judged by the permission bits, not access() (which is what
        // QFile::WriteUser reports): a file someone marked read-only stays
        // read-only even for root. SQLite also needs the folder writable for
        // its -wal and -shm files.
        constexpr auto anyWrite = QFile::WriteOwner | QFile::WriteGroup | QFile::WriteOther;
        m_readOnly = (file.exists() && !(file.permissions() & anyWrite)) || !(dir.permissions() & anyWrite);
    }

    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    m_db.setDatabaseName(path);
    QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(BusyTimeoutMs);
    if (m_readOnly)
        options += QStringLiteral(";QSQLITE_OPEN_READONLY");
    m_db.setConnectOptions(options);
    r.sql << QStringLiteral("-- open %1 (%2)").arg(path, options);
    if (!m_db.open()) {
        r.status = StoreStatus::Error;
        r.error = describeError(m_db.lastError(), action);
        close();
        return false;
    }

    if (!inMemory && !m_readOnly) {
        // WAL lets the sqlite3 shell write while we read; NORMAL is safe with WAL.
        QSqlQuery wal(m_db);
        if (!exec(wal, QStringLiteral("PRAGMA journal_mode = WAL"), {}, r, action)) {
            close();
            return false;
        }
        const QString mode = wal.next() ? wal.value(0).toString() : QString();
        wal.finish();
        if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0) {
            r.status = StoreStatus::Error;
            r.error = QStringLiteral("%1 could not switch %2 to WAL mode (it stayed in \"%3\" mode).")
                          .arg(action, QDir::toNativeSeparators(path), mode);
            close();
            return false;
        }
        QSqlQuery sync(m_db);
        if (!exec(sync, QStringLiteral("PRAGMA synchronous = NORMAL"), {}, r, action)) {
            close();
            return false;
        }
    }
    return true;
}
void SqlSession::close()
{
    // Prepared statements belong to the connection: drop them before it goes.
    m_statements.clear();
    if (m_selectStmt)
        sqlite3_finalize(m_selectStmt);
    m_selectStmt = nullptr;
    m_nativeState = NativeState::Unknown;
    if (!m_db.isValid())
        return;
    m_db.close();
    m_db = QSqlDatabase(); // drop our handle first, or removeDatabase warns "still in use"
    QSqlDatabase::removeDatabase(m_connectionName);
}

QString SqlSession::describeError(const QSqlError &error, const QString &action) const
{
    const QString detail = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    const int code = error.nativeErrorCode().toInt() & 0xff; // primary SQLite result code
    const QString where = m_path == QLatin1String(":memory:") ? QStringLiteral("the in-memory database")
                                                              : QDir::toNativeSeparators(m_path);
    switch (code) {
    case 5: // SQLITE_BUSY
    case 6: // SQLITE_LOCKED
        return QStringLiteral("%1 failed: %2 is locked by another program for more than %3 s (%4). "
                              "Finish or close the other program's transaction and try again.")
            .arg(action, where)
            .arg(BusyTimeoutMs / 1000)
            .arg(detail);
    case 8: // SQLITE_READONLY
        return QStringLiteral("%1 failed: %2 is read-only (%3). Make the file and its folder writable; "
                              "nothing was saved.")
            .arg(action, where, detail);
    case 13: // SQLITE_FULL
        return QStringLiteral("%1 failed: the disk holding %2 is full (%3). Free some space; nothing was saved.")
            .arg(action, where, detail);
    case 14: // SQLITE_CANTOPEN
        return QStringLiteral("%1 failed: cannot open %2 (%3). Check that its folder exists and is writable.")
            .arg(action, where, detail);
    case 11: // SQLITE_CORRUPT
    case 26: // SQLITE_NOTADB
        return QStringLiteral("%1 failed: %2 is not a valid SQLite database (%3). Pick another file.")
            .arg(action, where, detail);
    case 19: // SQLITE_CONSTRAINT
        return QStringLiteral("%1 failed: the database rejected the values (%2).").arg(action, detail);
    default:
        return QStringLiteral("%1 failed: %2 (SQLite code %3).")
            .arg(action, detail, error.nativeErrorCode().isEmpty() ? QStringLiteral("?") : error.nativeErrorCode());
    }
}

bool SqlSession::ensureOpen(StoreResult &r) const
{
    if (m_db.isOpen())
        return true;
    r.status = StoreStatus::Error;
    r.error = QStringLiteral("The database is not open; open() must succeed first.");
    return false;
}

bool SqlSession::exec(
    QSqlQuery &q, const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action)
{
    r.sql << traceLine(sql, binds);

    bool ok = q.prepare(sql);
    if (ok) {
        for (qsizetype i = 0; i < binds.size(); ++i)
            q.bindValue(static_cast<int>(i), binds.at(i));
        ok = q.exec();
    }
    if (!ok) {
        r.status = StoreStatus::Error;
        r.error = describeError(q.lastError(), action);
        r.product.reset();
        r.products.clear();
        r.rowsAffected = 0;
    }
    return ok;
}

SqlSession::Statement::~Statement()
{
    if (m_q)
        m_q->finish();
}

SqlSession::Statement SqlSession::execCached(
    const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action)
{
    r.sql << traceLine(sql, binds);

    std::shared_ptr<QSqlQuery> q = m_statements.value(sql);
    bool ok = true;
    if (!q) {
        q = std::make_shared<QSqlQuery>(m_db);
        q->setForwardOnly(true);
        ok = q->prepare(sql);
        if (ok)
            m_statements.insert(sql, q);
    }
    if (ok) {
        for (qsizetype i = 0; i < binds.size(); ++i)
            q->bindValue(static_cast<int>(i), binds.at(i));
        ok = q->exec();
    }
    if (!ok) {
        r.status = StoreStatus::Error;
        r.error = describeError(q->lastError(), action);
        r.product.reset();
        r.products.clear();
        r.rowsAffected = 0;
        // Prepare it afresh next time rather than reuse a statement in an unknown state.
        q->finish();
        m_statements.remove(sql);
        return Statement();
    }
    return Statement(std::move(q));
}

sqlite3_stmt *SqlSession::nativeSelect()
{
    if (m_selectStmt || m_nativeState == NativeState::Unavailable)
        return m_selectStmt;
    // The handle is only safe to use when the driver runs the SQLite library
    // this program links (a Qt with its own bundled copy would not): same
    // handle type and the same library build (source id).
    const QVariant handle = m_db.driver()->handle();
    sqlite3 *db = nullptr;
    if (qstrcmp(handle.typeName(), "sqlite3*") == 0)
        db = *static_cast<sqlite3 *const *>(handle.constData());
    if (db && m_nativeState == NativeState::Unknown) {
        // The same version is not enough: a Qt build whose driver carries
        // its own copy of SQLite would have a separate allocator, mutexes and
        // page cache. A process-wide setting tells copies apart: set the soft
        // heap limit through the driver's connection and read it back
        // through the library linked here (a value far above any real use,
        // then put back).
        QSqlQuery q(m_db);
        bool same = q.exec(QStringLiteral("SELECT sqlite_source_id()")) && q.next()
            && q.value(0).toString() == QLatin1String(sqlite3_sourceid());
        q.finish();
        if (same) {
            const sqlite3_int64 before = sqlite3_soft_heap_limit64(-1);
            const sqlite3_int64 probe = before > 0 ? before + 4099 : (sqlite3_int64(1) << 40) + 4099;
            same = q.exec(QStringLiteral("PRAGMA soft_heap_limit = %1").arg(probe))
                && sqlite3_soft_heap_limit64(-1) == probe;
            q.finish();
            sqlite3_soft_heap_limit64(before);
            q.exec(QStringLiteral("PRAGMA soft_heap_limit = %1").arg(before));
            q.finish();
        }
        m_nativeState = same ? NativeState::Checked : NativeState::Unavailable;
    }
    if (!db || m_nativeState != NativeState::Checked) {
        m_nativeState = NativeState::Unavailable;
        return nullptr;
    }
    const QByteArray sql = selectProductSql().toUtf8();
    if (sqlite3_prepare_v3(db, sql.constData(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &m_selectStmt, nullptr)
        != SQLITE_OK) {
        // Not cached: the next read tries again; this one uses QSqlQuery,
        // which reports the error in its usual words.
        sqlite3_finalize(m_selectStmt);
        m_selectStmt = nullptr;
    }
    return m_selectStmt;
}

bool SqlSession::readProduct(qint64 id, std::optional<Product> *out, StoreResult &r, const QString &action)
{
    if (sqlite3_stmt *st = nativeSelect()) {
        // The hottest statement (every cache miss) on the connection's own
        // handle: QSqlQuery rebuilds its column record on every exec, which
        // costs several times the lookup itself. Same SQL, same trace text.
        r.sql << selectProductSql() + QStringLiteral("  -- ") + QString::number(id);
        sqlite3_bind_int64(st, 1, id);
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const auto utf8 = [st](int col) {
                // Text first, then its size (the documented order).
                const auto *bytes = reinterpret_cast<const char *>(sqlite3_column_text(st, col));
                return QByteArrayView(bytes, sqlite3_column_bytes(st, col));
            };
            const auto text = [&utf8](int col) { return QString::fromUtf8(utf8(col)); };
            Product p;
            p.id = sqlite3_column_int64(st, 0);
            p.name = text(1);
            // A REAL stored from outside (12.5) rounds as QSqlQuery's
            // toLongLong does on the other read paths, not truncates.
            p.price = sqlite3_column_type(st, 2) == SQLITE_FLOAT ? qRound64(sqlite3_column_double(st, 2))
                                                                 : sqlite3_column_int64(st, 2);
            p.version = sqlite3_column_int64(st, 3);
            p.updatedAt = Timestamp::parseUtc(utf8(4));
            *out = std::move(p);
        } else if (rc == SQLITE_DONE) {
            out->reset();
        } else {
            sqlite3 *db = sqlite3_db_handle(st);
            const QSqlError error(QStringLiteral("Unable to fetch row"), QString::fromUtf8(sqlite3_errmsg(db)),
                QSqlError::StatementError, QString::number(sqlite3_errcode(db)));
            sqlite3_reset(st);
            r.status = StoreStatus::Error;
            r.error = describeError(error, action.isEmpty() ? QStringLiteral("Reading product %1").arg(id) : action);
            r.product.reset();
            r.products.clear();
            r.rowsAffected = 0;
            return false;
        }
        // Reset at once (as Statement does with finish()): no read stays
        // open on the connection between jobs.
        sqlite3_reset(st);
        return true;
    }
    const Statement q = execCached(
        selectProductSql(), { id }, r, action.isEmpty() ? QStringLiteral("Reading product %1").arg(id) : action);
    if (!q)
        return false;
    if (q->next())
        *out = productFromQuery(*q);
    else
        out->reset();
    return true;
}

bool SqlSession::eachRow(const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action,
    const std::function<void(const QSqlQuery &)> &row)
{
    const Statement q = execCached(sql, binds, r, action);
    if (!q)
        return false;
    while (q->next())
        row(*q);
    return true;
}

bool SqlSession::readProducts(const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action)
{
    return eachRow(sql, binds, r, action, [&r](const QSqlQuery &q) { r.products.append(productFromQuery(q)); });
}

Product SqlSession::productFromQuery(const QSqlQuery &q)
{
    Product p;
    p.id = q.value(0).toLongLong();
    p.name = q.value(1).toString();
    p.price = q.value(2).toLongLong();
    p.version = q.value(3).toLongLong();
    p.updatedAt = Timestamp::parseUtc(q.value(4).toString().toUtf8());
    return p;
}

bool SqlSession::transaction(const QString &action, StoreResult &r, const TxBody &body, RollbackTrace rollbackTrace)
{
    if (!execCached(QStringLiteral("BEGIN IMMEDIATE"), {}, r, action))
        return false;
    if (body(r) && execCached(QStringLiteral("COMMIT"), {}, r, action))
        return true;
    QSqlQuery rollback(m_db);
    StoreResult scratch; // a failed rollback must not hide the first error
    exec(rollback, QStringLiteral("ROLLBACK"), {}, scratch, QStringLiteral("Rolling back"));
    if (rollbackTrace == RollbackTrace::Shown)
        r.sql += scratch.sql;
    return false;
}
