// SchemaMigrations: the statements of each schema step, and applying them.
#include "schemamigrations.h"

#include "sqlsession.h"

#include <QDir>
#include <QSqlQuery>
#include <QStringList>

namespace {

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

// Step 5's replacement of products_fts_update: "UPDATE OF name" fires for
// every statement that assigns name, and CacheLab's own saves assign it each
// time (a price change too), so every save rewrote the index entry. The
// WHEN clause makes it fire only when the name (or the id) really changed.
const QStringList &ftsUpdateOnlyOnRename()
{
    static const QStringList statements = {
        QStringLiteral("DROP TRIGGER IF EXISTS products_fts_update"),
        QStringLiteral("CREATE TRIGGER products_fts_update AFTER UPDATE OF id, name ON products "
                       "WHEN OLD.name IS NOT NEW.name OR OLD.id IS NOT NEW.id "
                       "BEGIN DELETE FROM products_fts WHERE rowid = OLD.id; "
                       "INSERT INTO products_fts (rowid, name) VALUES (NEW.id, NEW.name); END"),
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
        // 5: the full-text index is rewritten only when a name changes (see
        // ftsUpdateOnlyOnRename()). Nothing to do without FTS5.
        {},
    };
    if (fts5) {
        steps[2] += ftsStatements();
        steps[4] += ftsUpdateOnlyOnRename();
    }
    return steps;
}

// Runs statements in one transaction; its ROLLBACK stays out of the trace.
bool runInTransaction(SqlSession &sql, const QStringList &statements, StoreResult &r, const QString &action)
{
    return sql.transaction(
        action, r,
        [&](StoreResult &tx) {
            for (const QString &statement : statements) {
                QSqlQuery s = sql.newQuery();
                if (!sql.exec(s, statement, {}, tx, action))
                    return false;
            }
            return true;
        },
        SqlSession::RollbackTrace::Hidden);
}

} // namespace

namespace SchemaMigrations {

bool detectFullText(SqlSession &sql, bool *fts5, StoreResult &r)
{
    // Qt's QSQLITE uses the system libsqlite3 here; most builds have FTS5
    // (Debian's does), but it is a compile-time option.
    QSqlQuery q = sql.newQuery();
    if (!sql.exec(q, QStringLiteral("SELECT sqlite_compileoption_used('ENABLE_FTS5')"), {}, r,
            QStringLiteral("Checking for full-text search")))
        return false;
    *fts5 = q.next() && q.value(0).toInt() == 1;
    return true;
}

bool migrate(SqlSession &sql, bool fts5, StoreResult &r)
{
    const QString action = QStringLiteral("Preparing the database schema");
    QSqlQuery q = sql.newQuery();
    if (!sql.exec(q, QStringLiteral("PRAGMA user_version"), {}, r, action))
        return false;
    const int current = q.next() ? q.value(0).toInt() : 0;
    q.finish();

    if (current > LatestVersion) {
        r.status = StoreStatus::Error;
        r.error = QStringLiteral("%1 uses schema version %2, newer than this CacheLab understands (%3). "
                                 "Use a newer CacheLab or another file.")
                      .arg(QDir::toNativeSeparators(sql.path()))
                      .arg(current)
                      .arg(LatestVersion);
        return false;
    }
    if (current < LatestVersion && sql.isReadOnly()) {
        r.status = StoreStatus::Error;
        r.error = QStringLiteral("%1 is read-only and has schema version %2, but CacheLab needs version %3. "
                                 "Make it writable once so the schema can be upgraded.")
                      .arg(QDir::toNativeSeparators(sql.path()))
                      .arg(current)
                      .arg(LatestVersion);
        return false;
    }

    const QList<QStringList> steps = migrationSteps(fts5);
    Q_ASSERT(steps.size() == LatestVersion);
    for (int version = current; version < LatestVersion; ++version) {
        QStringList statements = steps.at(version);
        // PRAGMA takes no bound parameters; the number is our own constant, never user input.
        statements << QStringLiteral("PRAGMA user_version = %1").arg(version + 1);
        if (!runInTransaction(sql, statements, r, action))
            return false;
    }
    return true;
}

bool ensureFullTextIndex(SqlSession &sql, bool fts5, bool *exists, StoreResult &r)
{
    const QString action = QStringLiteral("Preparing the search index");
    QSqlQuery q = sql.newQuery();
    if (!sql.exec(q, QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE name = 'products_fts'"), {}, r, action))
        return false;
    *exists = q.next() && q.value(0).toInt() > 0;
    q.finish();
    // A file migrated by a SQLite without FTS5 gets its index the first time
    // one with FTS5 opens it for writing.
    if (*exists || !fts5 || sql.isReadOnly())
        return true;
    if (!runInTransaction(sql, ftsStatements() + ftsUpdateOnlyOnRename(), r, action))
        return false;
    *exists = true;
    return true;
}

} // namespace SchemaMigrations
