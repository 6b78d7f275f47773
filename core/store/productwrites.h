// ProductWrites: every statement that changes a product row.
//
// Internal to core/store; used only on the database thread, through
// DatabaseWorker. Each call validates its input first (nothing invalid
// reaches SQLite), then runs as one ChangeFeed::write transaction, so a
// failure leaves nothing half-written and the change rows it causes are
// reported as this worker's own.
//
// Versions: a row's version only ever grows, across deletes too. SQLite's
// triggers (schemamigrations.cpp, steps 2 and 4) enforce that for every
// writer; the statements here choose the next version as
// max(current + bump, floor) from the caller's VersionRule.
#pragma once

#include "product.h"
#include "storeresult.h"

#include <QList>
#include <QString>

class ChangeFeed;
class SqlSession;

class ProductWrites final
{
public:
    ProductWrites(SqlSession &sql, ChangeFeed &feed);

    StoreResult create(QString name, qint64 price);
    /// With the caller's id; Conflict when it exists already.
    StoreResult insert(qint64 id, QString name, qint64 price);
    /// With an id above every id a row ever had, and above floor; the ids up
    /// to ceiling stay for more such creates (see ProductRepository).
    StoreResult insertAbove(qint64 floor, qint64 ceiling, QString name, qint64 price);
    /// expectedVersion > 0: Conflict unless the row is at that version.
    StoreResult update(qint64 id, QString name, qint64 price, qint64 expectedVersion, VersionRule rule);
    StoreResult upsert(qint64 id, QString name, qint64 price, VersionRule rule);
    StoreResult remove(qint64 id, VersionRule rule);
    /// The write-behind batch: each write applies only when newer than the row.
    StoreResult applyVersioned(
        const QList<Product> &upserts, const QList<qint64> &deletes, const QList<qint64> &deleteVersions);
    StoreResult restamp(qint64 id, qint64 fromVersion, qint64 toVersion);
    StoreResult seedDemoData();

    /// The highest id SQLite ever had (deleted ids count: an id is never
    /// given to a second product).
    static const QString &highestIdSql();
    /// The Invalid result for input that failed validation.
    static StoreResult invalid(QList<FieldError> errors);

private:
    bool insertRow(qint64 id, const QString &name, qint64 price, StoreResult &r, const QString &action);
    bool raiseLastVersion(qint64 id, qint64 version, StoreResult &r, const QString &action);
    static QString now();

    SqlSession &m_sql;
    ChangeFeed &m_feed;
};
