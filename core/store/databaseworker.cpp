// DatabaseWorker: SQL for the products table, run on the database thread.
//
// Every statement is prepared with bound values; the statement text and a
// short summary of the values go into StoreResult::sql for the teaching
// trace. Writes run in BEGIN IMMEDIATE transactions: taking the write lock
// up front means the change rows read inside the transaction are exactly
// "what others did before us" and "what we just did", and a failure rolls
// back everything, so nothing is ever half-written.
#include "databaseworker.h"

#include "demoproducts.h"
#include "searchquery.h"
#include "tagvalidator.h"
#include "timestamp.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QTimer>

#include <sqlite3.h>

namespace {

std::atomic<quint64> s_connectionCounter { 0 };

constexpr int BusyTimeoutMs = 5000;

const QString ProductColumns = QStringLiteral("id, name, price, version, updated_at");

// The hot statements' text, built once (the same text goes into the trace).
const QString &selectProductSql()
{
    static const QString sql = QStringLiteral("SELECT %1 FROM products WHERE id = ?").arg(ProductColumns);
    return sql;
}

const QString &listProductsSql()
{
    static const QString sql = QStringLiteral("SELECT %1 FROM products ORDER BY id").arg(ProductColumns);
    return sql;
}

// The full-text index over product names. A plain (not external-content)
// FTS5 table keyed by the product id: it keeps its own copy of each name, so
// the triggers only ever say "this id now has this name" and can never get
// the index out of step with products, whoever writes (the sqlite3 shell too).
const QStringList &ftsStatements()
{
    static const QStringList statements = {
        QStringLiteral("CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5("
                       "name, tokenize = 'unicode61 remove_diacritics 2')"),
        QStringLiteral("DELETE FROM products_fts"),
        QStringLiteral("INSERT INTO products_fts (rowid, name) SELECT id, name FROM products"),
        QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_fts_insert AFTER INSERT ON products "
                       "BEGIN INSERT INTO products_fts (rowid, name) VALUES (NEW.id, NEW.name); END"),
        // Only when name (or id) is assigned: the version-bump trigger's own
        // UPDATE does not touch them and so does not rewrite the index.
        QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_fts_update AFTER UPDATE OF id, name ON products "
                       "BEGIN DELETE FROM products_fts WHERE rowid = OLD.id; "
                       "INSERT INTO products_fts (rowid, name) VALUES (NEW.id, NEW.name); END"),
        QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_fts_delete AFTER DELETE ON products "
                       "BEGIN DELETE FROM products_fts WHERE rowid = OLD.id; END"),
    };
    return statements;
}

// Schema steps: index i upgrades user_version i to i + 1. Append only;
// never edit a step that has shipped. fts5: whether this SQLite has FTS5
// (without it step 3 leaves the index out and search uses LIKE).
QList<QStringList> migrationSteps(bool fts5)
{
    QList<QStringList> steps = {
        // 1: the products table.
        {
            QStringLiteral("CREATE TABLE IF NOT EXISTS products ("
                           "id INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "name TEXT NOT NULL, "
                           "price INTEGER NOT NULL CHECK (price >= 0), "
                           "version INTEGER NOT NULL DEFAULT 1, "
                           // The default lets a person insert from the sqlite3 shell without it.
                           "updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"),
        },
        // 2: the change feed. Triggers fill it for every writer, including
        // programs that know nothing about CacheLab.
        {
            QStringLiteral("CREATE TABLE IF NOT EXISTS product_changes ("
                           "seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "product_id INTEGER NOT NULL, "
                           "kind TEXT NOT NULL CHECK (kind IN ('insert', 'update', 'delete')), "
                           "version INTEGER NOT NULL, "
                           "at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"),
            QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_log_insert AFTER INSERT ON products "
                           "BEGIN INSERT INTO product_changes (product_id, kind, version) "
                           "VALUES (NEW.id, 'insert', NEW.version); END"),
            // Another program that updates a row without touching version must
            // still move it on, or caches keyed on version would never notice.
            // The nested UPDATE fires products_log_update below (a different
            // trigger), and never this one again: its WHEN is then false.
            QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_bump_version AFTER UPDATE ON products "
                           "WHEN NEW.version <= OLD.version "
                           "BEGIN UPDATE products SET version = OLD.version + 1, "
                           "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id; END"),
            QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_log_update AFTER UPDATE ON products "
                           "WHEN NEW.version > OLD.version "
                           "BEGIN INSERT INTO product_changes (product_id, kind, version) "
                           "VALUES (NEW.id, 'update', NEW.version); END"),
            QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_log_delete AFTER DELETE ON products "
                           "BEGIN INSERT INTO product_changes (product_id, kind, version) "
                           "VALUES (OLD.id, 'delete', OLD.version); END"),
        },
        // 3: product tags, and the full-text index of names. The foreign key
        // documents the link; the trigger does the cascade, because
        // PRAGMA foreign_keys is off in every connection that does not ask
        // (the sqlite3 shell's too).
        {
            QStringLiteral("CREATE TABLE IF NOT EXISTS product_tags ("
                           "product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE, "
                           "tag TEXT NOT NULL CHECK (length(tag) BETWEEN 1 AND 32), "
                           "PRIMARY KEY (product_id, tag)) WITHOUT ROWID"),
            QStringLiteral("CREATE INDEX IF NOT EXISTS product_tags_by_tag ON product_tags (tag, product_id)"),
            QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_drop_tags AFTER DELETE ON products "
                           "BEGIN DELETE FROM product_tags WHERE product_id = OLD.id; END"),
        },
        // 4: an id's versions never repeat, across deletes too. product_versions
        // keeps the highest version each id ever had (a deleted row's last
        // version stays), and a row inserted under that id again (CacheLab, a
        // write-behind flush, or the sqlite3 shell, REPLACE included) starts
        // above it. Without it a copy cached before a delete could carry the
        // same version as the new row and pass for current.
        {
            QStringLiteral("CREATE TABLE IF NOT EXISTS product_versions ("
                           "id INTEGER PRIMARY KEY, version INTEGER NOT NULL)"),
            QStringLiteral("INSERT OR IGNORE INTO product_versions (id, version) SELECT id, version FROM products"),
            // One body, two statements in order: first lift a row inserted
            // under an id that lived before above its earlier versions, then
            // record it. (Two triggers would depend on SQLite's trigger order.)
            QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_versions_insert AFTER INSERT ON products "
                           "BEGIN "
                           "UPDATE products SET version = (SELECT version FROM product_versions WHERE id = NEW.id) + 1 "
                           "WHERE id = NEW.id AND NEW.version <= "
                           "coalesce((SELECT version FROM product_versions WHERE id = NEW.id), 0); "
                           "INSERT INTO product_versions (id, version) VALUES (NEW.id, NEW.version) "
                           "ON CONFLICT (id) DO UPDATE SET version = max(version, excluded.version); "
                           "END"),
            QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_versions_update AFTER UPDATE ON products "
                           "BEGIN INSERT INTO product_versions (id, version) VALUES (NEW.id, NEW.version) "
                           "ON CONFLICT (id) DO UPDATE SET version = max(version, excluded.version); END"),
            // A delete is a write of its own: the next life of the id starts
            // above the version the delete had (the last version + 1).
            QStringLiteral("CREATE TRIGGER IF NOT EXISTS products_versions_delete AFTER DELETE ON products "
                           "BEGIN INSERT INTO product_versions (id, version) VALUES (OLD.id, OLD.version + 1) "
                           "ON CONFLICT (id) DO UPDATE SET version = max(version, excluded.version); END"),
        },
    };
    if (fts5)
        steps[2] += ftsStatements();
    return steps;
}

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

ProductChange::Kind kindFromText(const QString &kind)
{
    if (kind == QLatin1String("insert"))
        return ProductChange::Kind::Insert;
    if (kind == QLatin1String("delete"))
        return ProductChange::Kind::Delete;
    return ProductChange::Kind::Update;
}

StoreResult invalid(QList<FieldError> errors)
{
    StoreResult r;
    r.status = StoreStatus::Invalid;
    r.error = ProductValidator::describe(errors);
    r.fieldErrors = std::move(errors);
    return r;
}

} // namespace

DatabaseWorker::DatabaseWorker(QObject *parent)
    : QObject(parent)
    , m_connectionName(QStringLiteral("cachelab-store-%1").arg(++s_connectionCounter))
    , m_pollTimer(new QTimer(this))
{
    m_pollTimer->setInterval(250);
    connect(m_pollTimer, &QTimer::timeout, this, &DatabaseWorker::poll);
}

DatabaseWorker::~DatabaseWorker()
{
    closeConnection();
}

void DatabaseWorker::runJob(quint64 jobId, const Job &job, int latencyMs)
{
    QElapsedTimer clock;
    clock.start();
    sleepLatency(latencyMs);
    m_jobChanges.clear();
    StoreResult result = job(*this);
    result.micros = clock.nsecsElapsed() / 1000;
    const QList<ProductChange> changes = std::exchange(m_jobChanges, {});
    emit jobFinished(jobId, result, changes, m_db.isOpen(), m_readOnly);
}

void DatabaseWorker::setPollInterval(int ms)
{
    if (ms <= 0) {
        m_pollTimer->stop();
        m_pollTimer->setInterval(0);
        return;
    }
    m_pollTimer->setInterval(ms);
    if (m_db.isOpen())
        m_pollTimer->start();
}

void DatabaseWorker::shutdown()
{
    m_pollTimer->stop();
    closeConnection();
}

void DatabaseWorker::sleepLatency(int ms) const
{
    // Sliced so a repository being destroyed does not wait out a long sleep.
    QDeadlineTimer deadline(ms);
    while (!m_stopping.load() && !deadline.hasExpired())
        QThread::msleep(static_cast<unsigned long>(qMin<qint64>(20, deadline.remainingTime())));
}

void DatabaseWorker::closeConnection()
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

QString DatabaseWorker::now()
{
    return QString::fromLatin1(Timestamp::formatUtc(QDateTime::currentDateTimeUtc()));
}

Product DatabaseWorker::productFromQuery(const QSqlQuery &q)
{
    Product p;
    p.id = q.value(0).toLongLong();
    p.name = q.value(1).toString();
    p.price = q.value(2).toLongLong();
    p.version = q.value(3).toLongLong();
    p.updatedAt = Timestamp::parseUtc(q.value(4).toString().toUtf8());
    return p;
}

QString DatabaseWorker::describeError(const QSqlError &error, const QString &action) const
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

bool DatabaseWorker::ensureOpen(StoreResult &r) const
{
    if (m_db.isOpen())
        return true;
    r.status = StoreStatus::Error;
    r.error = QStringLiteral("The database is not open; open() must succeed first.");
    return false;
}

bool DatabaseWorker::exec(
    QSqlQuery &q, const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action)
{
    QString trace = sql;
    if (!binds.isEmpty()) {
        QStringList values;
        values.reserve(binds.size());
        for (const QVariant &v : binds)
            values << summarise(v);
        trace += QStringLiteral("  -- ") + values.join(QStringLiteral(", "));
    }
    r.sql << trace;

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

DatabaseWorker::Statement::~Statement()
{
    if (m_q)
        m_q->finish();
}

DatabaseWorker::Statement DatabaseWorker::execCached(
    const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action)
{
    QString trace = sql;
    if (!binds.isEmpty()) {
        QStringList values;
        values.reserve(binds.size());
        for (const QVariant &v : binds)
            values << summarise(v);
        trace += QStringLiteral("  -- ") + values.join(QStringLiteral(", "));
    }
    r.sql << trace;

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

sqlite3_stmt *DatabaseWorker::nativeSelect()
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

bool DatabaseWorker::readProduct(qint64 id, std::optional<Product> *out, StoreResult &r, const QString &action)
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

bool DatabaseWorker::eachRow(const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action,
    const std::function<void(const QSqlQuery &)> &row)
{
    const Statement q = execCached(sql, binds, r, action);
    if (!q)
        return false;
    while (q->next())
        row(*q);
    return true;
}

bool DatabaseWorker::readProducts(const QString &sql, const QVariantList &binds, StoreResult &r, const QString &action)
{
    return eachRow(sql, binds, r, action, [&r](const QSqlQuery &q) { r.products.append(productFromQuery(q)); });
}

bool DatabaseWorker::readChanges(qint64 afterSeq, bool external, QList<ProductChange> *out, StoreResult &r)
{
    static const QString sql = QStringLiteral("SELECT seq, product_id, kind, version FROM product_changes "
                                              "WHERE seq > ? ORDER BY seq");
    return eachRow(sql, { afterSeq }, r, QStringLiteral("Reading the change feed"), [&](const QSqlQuery &q) {
        ProductChange c;
        c.seq = q.value(0).toLongLong();
        c.id = q.value(1).toLongLong();
        c.kind = kindFromText(q.value(2).toString());
        c.version = q.value(3).toLongLong();
        c.external = external;
        out->append(c);
    });
}

StoreResult DatabaseWorker::writeTransaction(const QString &action, const TxBody &body)
{
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    if (!execCached(QStringLiteral("BEGIN IMMEDIATE"), {}, r, action))
        return r;

    auto rollback = [this, &r] {
        QSqlQuery rb(m_db);
        StoreResult scratch; // a failed rollback must not hide the first error
        exec(rb, QStringLiteral("ROLLBACK"), {}, scratch, QStringLiteral("Rolling back"));
        r.sql += scratch.sql;
    };

    // Whatever others committed before we took the lock is theirs.
    QList<ProductChange> before;
    if (!readChanges(m_lastSeenSeq, true, &before, r)) {
        rollback();
        return r;
    }
    if (!before.isEmpty()) {
        // Committed by others: report them even if our own write is rolled back.
        m_lastSeenSeq = before.last().seq;
        m_jobChanges += before;
    }

    if (!body(r)) {
        rollback();
        return r;
    }

    // Everything after that, inside our write lock, is ours.
    QList<ProductChange> ours;
    if (!readChanges(m_lastSeenSeq, false, &ours, r)) {
        rollback();
        return r;
    }
    const qint64 newLastSeen = ours.isEmpty() ? m_lastSeenSeq : ours.last().seq;

    // Prune in batches of 1000 so most writes do not pay for it.
    qint64 prunedUpTo = m_prunedUpTo;
    if (newLastSeen - m_prunedUpTo > ChangeRetention + 1000) {
        QSqlQuery prune(m_db);
        if (!exec(prune, QStringLiteral("DELETE FROM product_changes WHERE seq <= ?"),
                { newLastSeen - ChangeRetention }, r, QStringLiteral("Pruning the change feed"))) {
            rollback();
            return r;
        }
        prunedUpTo = newLastSeen - ChangeRetention;
    }

    if (!execCached(QStringLiteral("COMMIT"), {}, r, action)) {
        rollback();
        return r;
    }
    m_lastSeenSeq = newLastSeen;
    m_prunedUpTo = prunedUpTo;
    if (!ours.isEmpty() && r.seq == 0)
        r.seq = ours.first().seq;
    m_jobChanges += ours;
    return r;
}

bool DatabaseWorker::migrate(StoreResult &r)
{
    const QString action = QStringLiteral("Preparing the database schema");
    QSqlQuery q(m_db);
    if (!exec(q, QStringLiteral("PRAGMA user_version"), {}, r, action))
        return false;
    const int current = q.next() ? q.value(0).toInt() : 0;
    q.finish();

    if (current > SchemaVersion) {
        r.status = StoreStatus::Error;
        r.error = QStringLiteral("%1 uses schema version %2, newer than this CacheLab understands (%3). "
                                 "Use a newer CacheLab or another file.")
                      .arg(QDir::toNativeSeparators(m_path))
                      .arg(current)
                      .arg(SchemaVersion);
        return false;
    }
    if (current < SchemaVersion && m_readOnly) {
        r.status = StoreStatus::Error;
        r.error = QStringLiteral("%1 is read-only and has schema version %2, but CacheLab needs version %3. "
                                 "Make it writable once so the schema can be upgraded.")
                      .arg(QDir::toNativeSeparators(m_path))
                      .arg(current)
                      .arg(SchemaVersion);
        return false;
    }

    const QList<QStringList> steps = migrationSteps(m_fts5);
    for (int version = current; version < SchemaVersion; ++version) {
        QSqlQuery step(m_db);
        if (!exec(step, QStringLiteral("BEGIN IMMEDIATE"), {}, r, action))
            return false;
        QStringList statements = steps.at(version);
        // PRAGMA takes no bound parameters; the number is our own constant, never user input.
        statements << QStringLiteral("PRAGMA user_version = %1").arg(version + 1);
        for (const QString &sql : std::as_const(statements)) {
            QSqlQuery s(m_db);
            if (!exec(s, sql, {}, r, action)) {
                QSqlQuery rb(m_db);
                StoreResult scratch;
                exec(rb, QStringLiteral("ROLLBACK"), {}, scratch, action);
                return false;
            }
        }
        QSqlQuery commit(m_db);
        if (!exec(commit, QStringLiteral("COMMIT"), {}, r, action))
            return false;
    }
    return true;
}

bool DatabaseWorker::detectFullText(StoreResult &r)
{
    // Qt's QSQLITE uses the system libsqlite3 here; most builds have FTS5
    // (Debian's does), but it is a compile-time option.
    QSqlQuery q(m_db);
    if (!exec(q, QStringLiteral("SELECT sqlite_compileoption_used('ENABLE_FTS5')"), {}, r,
            QStringLiteral("Checking for full-text search")))
        return false;
    m_fts5 = q.next() && q.value(0).toInt() == 1;
    return true;
}

bool DatabaseWorker::ensureFullTextIndex(StoreResult &r)
{
    const QString action = QStringLiteral("Preparing the search index");
    QSqlQuery q(m_db);
    if (!exec(q, QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE name = 'products_fts'"), {}, r, action))
        return false;
    m_ftsTable = q.next() && q.value(0).toInt() > 0;
    q.finish();
    // A file migrated by a SQLite without FTS5 gets its index the first time
    // one with FTS5 opens it for writing.
    if (m_ftsTable || !m_fts5 || m_readOnly)
        return true;
    QSqlQuery begin(m_db);
    if (!exec(begin, QStringLiteral("BEGIN IMMEDIATE"), {}, r, action))
        return false;
    for (const QString &sql : ftsStatements()) {
        QSqlQuery s(m_db);
        if (!exec(s, sql, {}, r, action)) {
            QSqlQuery rb(m_db);
            StoreResult scratch;
            exec(rb, QStringLiteral("ROLLBACK"), {}, scratch, action);
            return false;
        }
    }
    QSqlQuery commit(m_db);
    if (!exec(commit, QStringLiteral("COMMIT"), {}, r, action))
        return false;
    m_ftsTable = true;
    return true;
}

StoreResult DatabaseWorker::open(const QString &path)
{
    StoreResult r;
    if (m_db.isOpen()) {
        if (path == m_path)
            return r;
        closeConnection();
    }
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
        closeConnection();
        return r;
    }

    auto fail = [this, &r] {
        closeConnection();
        return r;
    };

    if (!inMemory && !m_readOnly) {
        // WAL lets the sqlite3 shell write while we read; NORMAL is safe with WAL.
        QSqlQuery wal(m_db);
        if (!exec(wal, QStringLiteral("PRAGMA journal_mode = WAL"), {}, r, action))
            return fail();
        const QString mode = wal.next() ? wal.value(0).toString() : QString();
        wal.finish();
        if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0) {
            r.status = StoreStatus::Error;
            r.error = QStringLiteral("%1 could not switch %2 to WAL mode (it stayed in \"%3\" mode).")
                          .arg(action, QDir::toNativeSeparators(path), mode);
            return fail();
        }
        QSqlQuery sync(m_db);
        if (!exec(sync, QStringLiteral("PRAGMA synchronous = NORMAL"), {}, r, action))
            return fail();
    }
    if (!detectFullText(r) || !migrate(r) || !ensureFullTextIndex(r))
        return fail();

    // Start the feed at "now": history from before this open is not news.
    QSqlQuery seq(m_db);
    if (!exec(seq, QStringLiteral("SELECT COALESCE(MAX(seq), 0), COALESCE(MIN(seq), 1) - 1 FROM product_changes"), {},
            r, action))
        return fail();
    if (seq.next()) {
        m_lastSeenSeq = seq.value(0).toLongLong();
        m_prunedUpTo = seq.value(1).toLongLong();
    }
    seq.finish();
    m_lastPollError.clear();
    if (m_pollTimer->interval() > 0)
        m_pollTimer->start();
    return r;
}

StoreResult DatabaseWorker::get(qint64 id)
{
    if (auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return invalid(errors);
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    // An empty action: "Reading product <id>", made only if it fails.
    if (!readProduct(id, &r.product, r, QString()))
        return r;
    if (!r.product) {
        r.status = StoreStatus::NotFound;
        r.error = QStringLiteral("Product %1 does not exist.").arg(id);
    }
    return r;
}

StoreResult DatabaseWorker::list()
{
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    readProducts(listProductsSql(), {}, r, QStringLiteral("Listing products"));
    return r;
}

StoreResult DatabaseWorker::listIds()
{
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    eachRow(QStringLiteral("SELECT id FROM products ORDER BY id"), {}, r, QStringLiteral("Listing product ids"),
        [&r](const QSqlQuery &q) { r.ids.append(q.value(0).toLongLong()); });
    return r;
}

StoreResult DatabaseWorker::create(QString name, qint64 price)
{
    if (auto errors = ProductValidator::validate(0, name, price, false); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Creating product");
    return writeTransaction(action, [&](StoreResult &r) {
        qint64 id = 0;
        {
            const Statement q = execCached(
                QStringLiteral("INSERT INTO products (name, price, version, updated_at) VALUES (?, ?, 1, ?)"),
                { name, price, now() }, r, action);
            if (!q)
                return false;
            id = q->lastInsertId().toLongLong();
        }
        if (!readProduct(id, &r.product, r, action))
            return false;
        r.rowsAffected = 1;
        return true;
    });
}

// Deleted ids count: an id is never given to a second product.
const QString &DatabaseWorker::highestIdSql()
{
    static const QString sql = QStringLiteral("SELECT max(coalesce((SELECT max(id) FROM products), 0), "
                                              "coalesce((SELECT max(id) FROM product_versions), 0), "
                                              "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'products'), 0))");
    return sql;
}

bool DatabaseWorker::insertRow(qint64 id, const QString &name, qint64 price, StoreResult &r, const QString &action)
{
    if (!execCached(QStringLiteral("INSERT INTO products (id, name, price, version, updated_at) VALUES (?, ?, ?, 1, ?)"),
            { id, name, price, now() }, r, action))
        return false;
    if (!readProduct(id, &r.product, r, action))
        return false;
    r.rowsAffected = 1;
    return true;
}

StoreResult DatabaseWorker::insert(qint64 id, QString name, qint64 price)
{
    if (auto errors = ProductValidator::validate(id, name, price, true); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Creating product %1").arg(id);
    return writeTransaction(action, [&](StoreResult &r) {
        std::optional<Product> existing;
        if (!readProduct(id, &existing, r, action))
            return false;
        if (existing) {
            r.status = StoreStatus::Conflict;
            r.error = QStringLiteral("Product %1 exists already.").arg(id);
            r.product = existing;
            return false;
        }
        return insertRow(id, name, price, r, action);
    });
}

StoreResult DatabaseWorker::insertAbove(qint64 floor, QString name, qint64 price)
{
    if (auto errors = ProductValidator::validate(0, name, price, false); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Creating product");
    return writeTransaction(action, [&](StoreResult &r) {
        // The id: one above the highest SQLite ever had, and above floor.
        qint64 id = 0;
        if (!eachRow(highestIdSql(),
                {}, r, action, [&id](const QSqlQuery &q) { id = q.value(0).toLongLong(); }))
            return false;
        id = std::max(id, floor) + 1;
        return insertRow(id, name, price, r, action);
    });
}

StoreResult DatabaseWorker::highestId()
{
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    eachRow(highestIdSql(),
        {}, r, QStringLiteral("Reading the highest product id"),
        [&r](const QSqlQuery &q) { r.lastVersion = q.value(0).toLongLong(); });
    return r;
}

StoreResult DatabaseWorker::update(qint64 id, QString name, qint64 price, qint64 expectedVersion)
{
    return update(id, name, price, expectedVersion, VersionRule {});
}

StoreResult DatabaseWorker::update(qint64 id, QString name, qint64 price, qint64 expectedVersion, VersionRule rule)
{
    if (auto errors = ProductValidator::validate(id, name, price, true); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Updating product %1").arg(id);
    return writeTransaction(action, [&](StoreResult &r) {
        std::optional<Product> current;
        if (!readProduct(id, &current, r, action))
            return false;
        if (!current) {
            r.status = StoreStatus::NotFound;
            r.error = QStringLiteral("Product %1 does not exist.").arg(id);
            return false;
        }
        if (expectedVersion > 0 && current->version != expectedVersion) {
            r.status = StoreStatus::Conflict;
            r.error = QStringLiteral("Product %1 was changed meanwhile: expected version %2, but it is at "
                                     "version %3. Reload it and try again.")
                          .arg(id)
                          .arg(expectedVersion)
                          .arg(current->version);
            r.product = current; // lets the caller show what won
            return false;
        }
        if (!execCached(QStringLiteral("UPDATE products SET name = ?, price = ?, version = max(version + ?, ?), "
                                       "updated_at = ? WHERE id = ?"),
                { name, price, rule.bump, rule.floor, now(), id }, r, action))
            return false;
        if (!readProduct(id, &r.product, r, action))
            return false;
        r.rowsAffected = 1;
        return true;
    });
}

StoreResult DatabaseWorker::upsert(qint64 id, QString name, qint64 price)
{
    return upsert(id, name, price, VersionRule {});
}

StoreResult DatabaseWorker::upsert(qint64 id, QString name, qint64 price, VersionRule rule)
{
    if (auto errors = ProductValidator::validate(id, name, price, true); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Saving product %1").arg(id);
    return writeTransaction(action, [&](StoreResult &r) {
        // Not INSERT OR REPLACE: REPLACE deletes the old row, which would
        // reset version and skip the update trigger.
        int updated = 0;
        {
            const Statement q = execCached(QStringLiteral("UPDATE products SET name = ?, price = ?, "
                                                          "version = max(version + ?, ?), updated_at = ? WHERE id = ?"),
                { name, price, rule.bump, rule.floor, now(), id }, r, action);
            if (!q)
                return false;
            updated = q->numRowsAffected();
        }
        if (updated == 0) {
            if (!execCached(QStringLiteral("INSERT INTO products (id, name, price, version, updated_at) "
                                           "VALUES (?, ?, ?, max(?, ?), ?)"),
                    { id, name, price, rule.bump, rule.floor, now() }, r, action))
                return false;
        }
        if (!readProduct(id, &r.product, r, action))
            return false;
        r.rowsAffected = 1;
        return true;
    });
}

StoreResult DatabaseWorker::applyVersioned(const QList<Product> &upserts, const QList<qint64> &deletes)
{
    return applyVersioned(upserts, deletes, {});
}

StoreResult DatabaseWorker::applyVersioned(
    const QList<Product> &upserts, const QList<qint64> &deletes, const QList<qint64> &deleteVersions)
{
    // Validate the whole batch before touching anything.
    QList<FieldError> errors;
    QList<Product> clean = upserts;
    for (Product &p : clean) {
        const QList<FieldError> own = ProductValidator::validate(p.id, p.name, p.price, true);
        for (const FieldError &e : own)
            errors.append({ e.field, QStringLiteral("Product %1: %2").arg(p.id).arg(e.message) });
        if (p.version <= 0) {
            errors.append({ QStringLiteral("version"),
                QStringLiteral("Product %1: version must be 1 or more (got %2).").arg(p.id).arg(p.version) });
        }
    }
    for (const qint64 id : deletes) {
        for (const FieldError &e : ProductValidator::validateId(id))
            errors.append({ e.field, QStringLiteral("Delete: %1").arg(e.message) });
    }
    if (!errors.isEmpty())
        return invalid(errors);

    const QString action
        = QStringLiteral("Applying %1 write(s) and %2 delete(s)").arg(upserts.size()).arg(deletes.size());
    return writeTransaction(action, [&](StoreResult &r) {
        // One statement per product: insert with the exact id and version, or
        // replace only when the incoming version is newer. A redelivered or
        // stale write then changes nothing, which is what at-least-once needs.
        // A row that is gone comes back only when the write is newer than its
        // delete (product_versions keeps the deleted row's last version): a
        // queued write from before a delete must not bring the row back.
        const QString upsertSql
            = QStringLiteral("INSERT INTO products (id, name, price, version, updated_at) SELECT ?, ?, ?, ?, ? "
                             "WHERE ? > coalesce((SELECT version FROM product_versions WHERE id = ?), 0) "
                             "OR EXISTS (SELECT 1 FROM products WHERE id = ?) "
                             "ON CONFLICT (id) DO UPDATE SET name = excluded.name, price = excluded.price, "
                             "version = excluded.version, updated_at = excluded.updated_at "
                             "WHERE excluded.version > products.version");
        const QString stamp = now();
        int affected = 0;
        for (const Product &p : std::as_const(clean)) {
            const Statement q = execCached(
                upsertSql, { p.id, p.name, p.price, p.version, stamp, p.version, p.id, p.id }, r, action);
            if (!q)
                return false;
            const int n = q->numRowsAffected();
            affected += n;
            if (n > 0) {
                r.ids << p.id; // applied
            } else {
                // Not applied: the row is at that version or newer. Report it, so
                // the caller can tell its own earlier flush (the same version:
                // versions never repeat) from another writer's newer row.
                std::optional<Product> stored;
                if (!readProduct(p.id, &stored, r, action))
                    return false;
                if (stored)
                    r.products << *stored;
            }
        }
        for (qsizetype i = 0; i < deletes.size(); ++i) {
            const qint64 id = deletes.at(i);
            const qint64 version = deleteVersions.value(i, 0);
            // A versioned delete (a write-behind tombstone) removes only an
            // older row: a row another writer stored at that version or later
            // is newer than the delete and stays.
            const Statement q = version > 0
                ? execCached(
                    QStringLiteral("DELETE FROM products WHERE id = ? AND version < ?"), { id, version }, r, action)
                : execCached(QStringLiteral("DELETE FROM products WHERE id = ?"), { id }, r, action);
            if (!q)
                return false;
            const int n = q->numRowsAffected();
            affected += n;
            if (n > 0) {
                r.ids << id;
            } else {
                std::optional<Product> stored; // a newer row that stays, or none (deleted already)
                if (!readProduct(id, &stored, r, action))
                    return false;
                if (stored)
                    r.products << *stored;
            }
            if (version > 0 && !raiseLastVersion(id, version, r, action))
                return false;
        }
        r.rowsAffected = affected;
        return true;
    });
}

StoreResult DatabaseWorker::versionOf(qint64 id)
{
    StoreResult r = get(id);
    if (!r.ok() && r.status != StoreStatus::NotFound)
        return r;
    r.lastVersion = r.product ? r.product->version : 0;
    // (A failed statement turns NotFound into Error; a good one leaves it.)
    eachRow(QStringLiteral("SELECT version FROM product_versions WHERE id = ?"), { id }, r,
        QStringLiteral("Reading the last version of product %1").arg(id),
        [&r](const QSqlQuery &q) { r.lastVersion = std::max(r.lastVersion, q.value(0).toLongLong()); });
    return r;
}

StoreResult DatabaseWorker::restamp(qint64 id, qint64 fromVersion, qint64 toVersion)
{
    const QString action = QStringLiteral("Moving product %1 from version %2 to %3").arg(id).arg(fromVersion).arg(toVersion);
    return writeTransaction(action, [&](StoreResult &r) {
        if (fromVersion > 0) {
            const Statement q = execCached(
                QStringLiteral("UPDATE products SET version = ? WHERE id = ? AND version = ? AND ? > version"),
                { toVersion, id, fromVersion, toVersion }, r, action);
            if (!q)
                return false;
            r.rowsAffected = q->numRowsAffected();
        }
        // fromVersion 0: the row was deleted; its next life starts above toVersion.
        if (!raiseLastVersion(id, toVersion, r, action))
            return false;
        return readProduct(id, &r.product, r, action);
    });
}

StoreResult DatabaseWorker::changesAfter(qint64 seq, int limit)
{
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    const QString action = QStringLiteral("Reading the change feed");
    if (!eachRow(QStringLiteral("SELECT COALESCE(MAX(seq), 0), COALESCE(MIN(seq), 1) - 1 FROM product_changes"), {}, r,
            action, [&r](const QSqlQuery &q) {
                r.seq = q.value(0).toLongLong();
                r.prunedUpTo = q.value(1).toLongLong();
            }))
        return r;
    eachRow(QStringLiteral("SELECT seq, product_id, kind, version FROM product_changes WHERE seq > ? ORDER BY seq "
                           "LIMIT ?"),
        { seq, limit }, r, action, [&r](const QSqlQuery &q) {
            ProductChange c;
            c.seq = q.value(0).toLongLong();
            c.id = q.value(1).toLongLong();
            c.kind = kindFromText(q.value(2).toString());
            c.version = q.value(3).toLongLong();
            c.external = true;
            r.changes.append(c);
        });
    return r;
}

StoreResult DatabaseWorker::remove(qint64 id)
{
    return remove(id, VersionRule {});
}

StoreResult DatabaseWorker::remove(qint64 id, VersionRule rule)
{
    if (auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Deleting product %1").arg(id);
    return writeTransaction(action, [&](StoreResult &r) {
        if (!readProduct(id, &r.product, r, action))
            return false;
        if (!r.product) {
            r.status = StoreStatus::NotFound;
            r.error = QStringLiteral("Product %1 does not exist.").arg(id);
            return false;
        }
        {
            const Statement q = execCached(QStringLiteral("DELETE FROM products WHERE id = ?"), { id }, r, action);
            if (!q)
                return false;
            r.rowsAffected = q->numRowsAffected();
        }
        // The delete's own version (its trigger records the last one + 1).
        r.lastVersion = std::max(r.product->version + rule.bump, rule.floor);
        return raiseLastVersion(id, r.lastVersion, r, action);
    });
}

bool DatabaseWorker::raiseLastVersion(qint64 id, qint64 version, StoreResult &r, const QString &action)
{
    return bool(execCached(QStringLiteral("INSERT INTO product_versions (id, version) VALUES (?, ?) "
                                          "ON CONFLICT (id) DO UPDATE SET version = max(version, excluded.version)"),
        { id, version }, r, action));
}

StoreResult DatabaseWorker::seedDemoData()
{
    const QString action = QStringLiteral("Adding demo products");
    return writeTransaction(action, [&](StoreResult &r) {
        QSqlQuery count(m_db);
        if (!exec(count, QStringLiteral("SELECT COUNT(*) FROM products"), {}, r, action))
            return false;
        const qint64 existing = count.next() ? count.value(0).toLongLong() : 0;
        count.finish();
        if (existing > 0)
            return true; // only an empty table gets demo data; committing an empty transaction is harmless
        const QString stamp = now();
        for (const DemoProduct &demo : DemoProducts::all()) {
            QString name = demo.name;
            if (auto errors = ProductValidator::validate(0, name, demo.price, false); !errors.isEmpty()) {
                r.status = StoreStatus::Invalid;
                r.fieldErrors = errors;
                r.error = ProductValidator::describe(errors);
                return false;
            }
            QSqlQuery q(m_db);
            if (!exec(q, QStringLiteral("INSERT INTO products (name, price, version, updated_at) VALUES (?, ?, 1, ?)"),
                    { name, demo.price, stamp }, r, action))
                return false;
            std::optional<Product> inserted;
            if (!readProduct(q.lastInsertId().toLongLong(), &inserted, r, action))
                return false;
            if (inserted)
                r.products.append(*inserted);
            ++r.rowsAffected;
        }
        return true;
    });
}

// --- tags and search ---------------------------------------------------------------------

bool DatabaseWorker::readTags(qint64 id, QStringList *out, StoreResult &r, const QString &action)
{
    out->clear();
    return eachRow(QStringLiteral("SELECT tag FROM product_tags WHERE product_id = ? ORDER BY tag"), { id }, r, action,
        [out](const QSqlQuery &q) { out->append(q.value(0).toString()); });
}

StoreResult DatabaseWorker::setTags(qint64 id, QStringList tags)
{
    QList<FieldError> errors = ProductValidator::validateId(id);
    errors += TagValidator::validateTags(tags);
    if (!errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Tagging product %1").arg(id);
    return writeTransaction(action, [&](StoreResult &r) {
        if (!readProduct(id, &r.product, r, action))
            return false;
        if (!r.product) {
            r.status = StoreStatus::NotFound;
            r.error = QStringLiteral("Product %1 does not exist.").arg(id);
            return false;
        }
        if (!readTags(id, &r.previousTags, r, action))
            return false;
        if (!execCached(QStringLiteral("DELETE FROM product_tags WHERE product_id = ?"), { id }, r, action))
            return false;
        for (const QString &tag : std::as_const(tags)) {
            if (!execCached(
                    QStringLiteral("INSERT INTO product_tags (product_id, tag) VALUES (?, ?)"), { id, tag }, r, action))
                return false;
        }
        r.tags = tags;
        r.rowsAffected = int(tags.size());
        return true;
    });
}

StoreResult DatabaseWorker::tagsOf(qint64 id)
{
    if (auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return invalid(errors);
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    const QString action = QStringLiteral("Reading the tags of product %1").arg(id);
    if (!readTags(id, &r.tags, r, action))
        return r;
    if (r.tags.isEmpty()) {
        // No tags, or no product: only the second is NotFound.
        if (!readProduct(id, &r.product, r, action))
            return r;
        if (!r.product) {
            r.status = StoreStatus::NotFound;
            r.error = QStringLiteral("Product %1 does not exist.").arg(id);
        }
    }
    return r;
}

StoreResult DatabaseWorker::productsWithTag(QString tag)
{
    if (auto errors = TagValidator::validateTag(tag); !errors.isEmpty())
        return invalid(errors);
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    static const QString sql = QStringLiteral("SELECT p.id, p.name, p.price, p.version, p.updated_at "
                                              "FROM product_tags t JOIN products p ON p.id = t.product_id "
                                              "WHERE t.tag = ? ORDER BY p.id");
    readProducts(sql, { tag }, r, QStringLiteral("Reading the products tagged %1").arg(tag));
    return r;
}

StoreResult DatabaseWorker::allTags()
{
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    eachRow(QStringLiteral("SELECT tag, COUNT(*) FROM product_tags GROUP BY tag ORDER BY tag"), {}, r,
        QStringLiteral("Listing tags"), [&r](const QSqlQuery &q) {
            r.tagCounts.append({ q.value(0).toString(), q.value(1).toLongLong() });
        });
    return r;
}

StoreResult DatabaseWorker::productsByIds(const QList<qint64> &ids)
{
    QList<FieldError> errors;
    for (const qint64 id : ids)
        errors += ProductValidator::validateId(id);
    if (!errors.isEmpty())
        return invalid(errors);
    StoreResult r;
    if (!ensureOpen(r) || ids.isEmpty())
        return r;
    // One statement for any number of ids: the list travels as one JSON
    // array bound to one parameter, so the prepared statement is reused.
    QJsonArray array;
    for (const qint64 id : ids)
        array.append(id);
    const QString json = QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
    static const QString sql = QStringLiteral("SELECT %1 FROM products WHERE id IN (SELECT value FROM json_each(?)) "
                                              "ORDER BY id")
                                   .arg(ProductColumns);
    readProducts(sql, { json }, r, QStringLiteral("Reading %1 product(s)").arg(ids.size()));
    return r;
}

StoreResult DatabaseWorker::search(const QString &text, int limit)
{
    QList<FieldError> errors;
    const SearchQuery query = SearchQuery::parse(text, &errors);
    if (!errors.isEmpty())
        return invalid(errors);
    StoreResult r;
    if (!ensureOpen(r))
        return r;
    r.fullText = m_ftsTable;
    if (query.isEmpty())
        return r;
    limit = qBound(1, limit, 100);
    const QString action = QStringLiteral("Searching products");
    if (m_ftsTable) {
        static const QString sql = QStringLiteral("SELECT p.id, p.name, p.price, p.version, p.updated_at "
                                                  "FROM products_fts JOIN products p ON p.id = products_fts.rowid "
                                                  "WHERE products_fts MATCH ? ORDER BY products_fts.rank, p.id "
                                                  "LIMIT ?");
        readProducts(sql, { query.ftsExpression(), limit }, r, action);
        return r;
    }
    // Without FTS5: every word must appear somewhere in the name.
    QStringList clauses;
    QVariantList binds;
    for (const QString &pattern : query.likePatterns()) {
        clauses << QStringLiteral("name LIKE ? ESCAPE '\\'");
        binds << pattern;
    }
    binds << limit;
    const QString sql = QStringLiteral("SELECT %1 FROM products WHERE %2 ORDER BY id LIMIT ?")
                            .arg(ProductColumns, clauses.join(QStringLiteral(" AND ")));
    readProducts(sql, binds, r, action);
    return r;
}

void DatabaseWorker::poll()
{
    if (!m_db.isOpen())
        return;
    StoreResult scratch;
    QList<ProductChange> changes;
    if (!readChanges(m_lastSeenSeq, true, &changes, scratch)) {
        // Report a persisting problem once, not four times a second.
        if (scratch.error != m_lastPollError) {
            m_lastPollError = scratch.error;
            emit pollFailed(scratch.error);
        }
        return;
    }
    m_lastPollError.clear();
    if (changes.isEmpty())
        return;
    m_lastSeenSeq = changes.last().seq;
    emit changesPolled(changes);
}
