// ProductWrites: create, update, upsert, delete and the versioned batch.
#include "productwrites.h"

#include "changefeed.h"
#include "demoproducts.h"
#include "sqlsession.h"
#include "timestamp.h"

#include <QDateTime>
#include <QSqlQuery>

#include <algorithm>

ProductWrites::ProductWrites(SqlSession &sql, ChangeFeed &feed)
    : m_sql(sql)
    , m_feed(feed)
{ }

StoreResult ProductWrites::invalid(QList<FieldError> errors)
{
    StoreResult r;
    r.status = StoreStatus::Invalid;
    r.error = ProductValidator::describe(errors);
    r.fieldErrors = std::move(errors);
    return r;
}

QString ProductWrites::now()
{
    return QString::fromLatin1(Timestamp::formatUtc(QDateTime::currentDateTimeUtc()));
}

StoreResult ProductWrites::create(QString name, qint64 price)
{
    if (auto errors = ProductValidator::validate(0, name, price, false); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Creating product");
    return m_feed.write(action, [&](StoreResult &r) {
        qint64 id = 0;
        {
            const SqlSession::Statement q = m_sql.execCached(
                QStringLiteral("INSERT INTO products (name, price, version, updated_at) VALUES (?, ?, 1, ?)"),
                { name, price, now() }, r, action);
            if (!q)
                return false;
            id = q->lastInsertId().toLongLong();
        }
        if (!m_sql.readProduct(id, &r.product, r, action))
            return false;
        r.rowsAffected = 1;
        return true;
    });
}

const QString &ProductWrites::highestIdSql()
{
    static const QString sql
        = QStringLiteral("SELECT max(coalesce((SELECT max(id) FROM products), 0), "
                         "coalesce((SELECT max(id) FROM product_versions), 0), "
                         "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'products'), 0))");
    return sql;
}

bool ProductWrites::insertRow(qint64 id, const QString &name, qint64 price, StoreResult &r, const QString &action)
{
    if (!m_sql.execCached(
            QStringLiteral("INSERT INTO products (id, name, price, version, updated_at) VALUES (?, ?, ?, 1, ?)"),
            { id, name, price, now() }, r, action))
        return false;
    if (!m_sql.readProduct(id, &r.product, r, action))
        return false;
    r.rowsAffected = 1;
    return true;
}

StoreResult ProductWrites::insert(qint64 id, QString name, qint64 price)
{
    if (auto errors = ProductValidator::validate(id, name, price, true); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Creating product %1").arg(id);
    return m_feed.write(action, [&](StoreResult &r) {
        std::optional<Product> existing;
        if (!m_sql.readProduct(id, &existing, r, action))
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

StoreResult ProductWrites::insertAbove(qint64 floor, qint64 ceiling, QString name, qint64 price)
{
    if (auto errors = ProductValidator::validate(0, name, price, false); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Creating product");
    return m_feed.write(action, [&](StoreResult &r) {
        // The id: one above the highest a row of this window ever had (rows
        // above the window - write-behind creates flushed by an instance back
        // on Redis, an INSERT without an id - are not followed: the ids after
        // them are the shared counter's), and above floor.
        qint64 id = 0;
        if (!m_sql.eachRow(QStringLiteral("SELECT max(coalesce((SELECT max(id) FROM products WHERE id > ? AND id <= ?), 0), "
                                          "coalesce((SELECT max(id) FROM product_versions WHERE id > ? AND id <= ?), 0))"),
                { floor, ceiling, floor, ceiling }, r, action, [&id](const QSqlQuery &q) { id = q.value(0).toLongLong(); }))
            return false;
        id = std::max(id, floor) + 1;
        if (id > ceiling) {
            r.status = StoreStatus::Error;
            r.error = QStringLiteral("No id is left for products created while Redis is unreachable (ids %1 to %2 are "
                                     "taken). Nothing was changed; retry once Redis is back.")
                          .arg(floor + 1)
                          .arg(ceiling);
            return false;
        }
        if (!insertRow(id, name, price, r, action))
            return false;
        // Keep the window: SQLite's AUTOINCREMENT counter (which highestIdSql()
        // reads, and which an INSERT without an id continues from) goes to the
        // ceiling. An instance back on Redis raises the shared counter past it
        // before its next create, so its creates take ids above the window,
        // which this outage's creates never go to.
        return bool(m_sql.execCached(
            QStringLiteral("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'products'"), { std::max(ceiling, id) }, r, action));
    });
}

StoreResult ProductWrites::update(qint64 id, QString name, qint64 price, qint64 expectedVersion, VersionRule rule)
{
    if (auto errors = ProductValidator::validate(id, name, price, true); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Updating product %1").arg(id);
    return m_feed.write(action, [&](StoreResult &r) {
        std::optional<Product> current;
        if (!m_sql.readProduct(id, &current, r, action))
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
        if (!m_sql.execCached(QStringLiteral("UPDATE products SET name = ?, price = ?, version = max(version + ?, ?), "
                                             "updated_at = ? WHERE id = ?"),
                { name, price, rule.bump, rule.floor, now(), id }, r, action))
            return false;
        if (!m_sql.readProduct(id, &r.product, r, action))
            return false;
        r.rowsAffected = 1;
        return true;
    });
}

StoreResult ProductWrites::upsert(qint64 id, QString name, qint64 price, VersionRule rule)
{
    if (auto errors = ProductValidator::validate(id, name, price, true); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Saving product %1").arg(id);
    return m_feed.write(action, [&](StoreResult &r) {
        // Not INSERT OR REPLACE: REPLACE deletes the old row, which would
        // reset version and skip the update trigger.
        int updated = 0;
        {
            const SqlSession::Statement q
                = m_sql.execCached(QStringLiteral("UPDATE products SET name = ?, price = ?, "
                                                  "version = max(version + ?, ?), updated_at = ? WHERE id = ?"),
                    { name, price, rule.bump, rule.floor, now(), id }, r, action);
            if (!q)
                return false;
            updated = q->numRowsAffected();
        }
        if (updated == 0) {
            // An id that lived before goes on from its last version (the
            // delete's), by the rule's bump like an update: a write made while
            // Redis is away must land a stride above it here too, not one
            // above it where a queued write-behind write may already be.
            if (!m_sql.execCached(QStringLiteral("INSERT INTO products (id, name, price, version, updated_at) "
                                                 "VALUES (?, ?, ?, max(coalesce((SELECT version FROM product_versions "
                                                 "WHERE id = ?), 0) + ?, ?), ?)"),
                    { id, name, price, id, rule.bump, rule.floor, now() }, r, action))
                return false;
        }
        if (!m_sql.readProduct(id, &r.product, r, action))
            return false;
        r.rowsAffected = 1;
        return true;
    });
}

StoreResult ProductWrites::applyVersioned(
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
    return m_feed.write(action, [&](StoreResult &r) {
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
            const SqlSession::Statement q = m_sql.execCached(
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
                if (!m_sql.readProduct(p.id, &stored, r, action))
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
            const SqlSession::Statement q = version > 0
                ? m_sql.execCached(
                    QStringLiteral("DELETE FROM products WHERE id = ? AND version < ?"), { id, version }, r, action)
                : m_sql.execCached(QStringLiteral("DELETE FROM products WHERE id = ?"), { id }, r, action);
            if (!q)
                return false;
            const int n = q->numRowsAffected();
            affected += n;
            if (n > 0) {
                r.ids << id;
            } else {
                std::optional<Product> stored; // a newer row that stays, or none (deleted already)
                if (!m_sql.readProduct(id, &stored, r, action))
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

StoreResult ProductWrites::restamp(qint64 id, qint64 fromVersion, qint64 toVersion)
{
    const QString action
        = QStringLiteral("Moving product %1 from version %2 to %3").arg(id).arg(fromVersion).arg(toVersion);
    return m_feed.write(action, [&](StoreResult &r) {
        if (fromVersion > 0) {
            const SqlSession::Statement q = m_sql.execCached(
                QStringLiteral("UPDATE products SET version = ? WHERE id = ? AND version = ? AND ? > version"),
                { toVersion, id, fromVersion, toVersion }, r, action);
            if (!q)
                return false;
            r.rowsAffected = q->numRowsAffected();
        }
        // fromVersion 0: the row was deleted; its next life starts above toVersion.
        if (!raiseLastVersion(id, toVersion, r, action))
            return false;
        return m_sql.readProduct(id, &r.product, r, action);
    });
}

StoreResult ProductWrites::remove(qint64 id, VersionRule rule)
{
    if (auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return invalid(errors);
    const QString action = QStringLiteral("Deleting product %1").arg(id);
    return m_feed.write(action, [&](StoreResult &r) {
        if (!m_sql.readProduct(id, &r.product, r, action))
            return false;
        if (!r.product) {
            r.status = StoreStatus::NotFound;
            r.error = QStringLiteral("Product %1 does not exist.").arg(id);
            return false;
        }
        {
            const SqlSession::Statement q
                = m_sql.execCached(QStringLiteral("DELETE FROM products WHERE id = ?"), { id }, r, action);
            if (!q)
                return false;
            r.rowsAffected = q->numRowsAffected();
        }
        // The delete's own version (its trigger records the last one + 1).
        r.lastVersion = std::max(r.product->version + rule.bump, rule.floor);
        return raiseLastVersion(id, r.lastVersion, r, action);
    });
}

bool ProductWrites::raiseLastVersion(qint64 id, qint64 version, StoreResult &r, const QString &action)
{
    return bool(
        m_sql.execCached(QStringLiteral("INSERT INTO product_versions (id, version) VALUES (?, ?) "
                                        "ON CONFLICT (id) DO UPDATE SET version = max(version, excluded.version)"),
            { id, version }, r, action));
}

StoreResult ProductWrites::seedDemoData()
{
    const QString action = QStringLiteral("Adding demo products");
    return m_feed.write(action, [&](StoreResult &r) {
        QSqlQuery count = m_sql.newQuery();
        if (!m_sql.exec(count, QStringLiteral("SELECT COUNT(*) FROM products"), {}, r, action))
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
            QSqlQuery q = m_sql.newQuery();
            if (!m_sql.exec(q,
                    QStringLiteral("INSERT INTO products (name, price, version, updated_at) VALUES (?, ?, 1, ?)"),
                    { name, demo.price, stamp }, r, action))
                return false;
            std::optional<Product> inserted;
            if (!m_sql.readProduct(q.lastInsertId().toLongLong(), &inserted, r, action))
                return false;
            if (inserted)
                r.products.append(*inserted);
            ++r.rowsAffected;
        }
        return true;
    });
}
