// DatabaseWorker: the database thread's jobs, opening the file, the reads,
// tags and search, and the poll for outside changes.
//
// The pieces it is built from, each in its own file: SqlSession runs every
// statement (bound values, the trace line in StoreResult::sql, errors a
// person can act on, the one transaction runner); SchemaMigrations creates
// and upgrades the schema; ChangeFeed wraps each write in a BEGIN IMMEDIATE
// transaction and tells others' change rows from ours; ProductWrites holds
// the statements that change product rows.
#include "databaseworker.h"

#include "searchquery.h"
#include "tagvalidator.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QThread>
#include <QTimer>

namespace {

std::atomic<quint64> s_connectionCounter { 0 };

const QString &listProductsSql()
{
    static const QString sql = QStringLiteral("SELECT %1 FROM products ORDER BY id").arg(SqlSession::productColumns());
    return sql;
}

} // namespace

DatabaseWorker::DatabaseWorker(QObject *parent)
    : QObject(parent)
    , m_sql(QStringLiteral("cachelab-store-%1").arg(++s_connectionCounter))
    , m_feed(m_sql)
    , m_writes(m_sql, m_feed)
    , m_pollTimer(new QTimer(this))
{
    m_pollTimer->setInterval(250);
    connect(m_pollTimer, &QTimer::timeout, this, &DatabaseWorker::poll);
}

DatabaseWorker::~DatabaseWorker()
{
    m_sql.close();
}

void DatabaseWorker::runJob(quint64 jobId, const Job &job, int latencyMs)
{
    QElapsedTimer clock;
    clock.start();
    sleepLatency(latencyMs);
    m_feed.beginJob();
    StoreResult result = job(*this);
    result.micros = clock.nsecsElapsed() / 1000;
    const QList<ProductChange> changes = m_feed.takeJobChanges();
    emit jobFinished(jobId, result, changes, m_sql.isOpen(), m_sql.isReadOnly());
}

void DatabaseWorker::setPollInterval(int ms)
{
    if (ms <= 0) {
        m_pollTimer->stop();
        m_pollTimer->setInterval(0);
        return;
    }
    m_pollTimer->setInterval(ms);
    if (m_sql.isOpen())
        m_pollTimer->start();
}

void DatabaseWorker::shutdown()
{
    m_pollTimer->stop();
    m_sql.close();
}

void DatabaseWorker::sleepLatency(int ms) const
{
    // Sliced so a repository being destroyed does not wait out a long sleep.
    QDeadlineTimer deadline(ms);
    while (!m_stopping.load() && !deadline.hasExpired())
        QThread::msleep(static_cast<unsigned long>(qMin<qint64>(20, deadline.remainingTime())));
}

StoreResult DatabaseWorker::open(const QString &path)
{
    StoreResult r;
    if (m_sql.isOpen() && path == m_sql.path())
        return r;
    const QString action = QStringLiteral("Opening the database");
    if (!m_sql.open(path, r))
        return r;
    auto fail = [this, &r] {
        m_sql.close();
        return r;
    };
    if (!SchemaMigrations::detectFullText(m_sql, &m_fts5, r) || !SchemaMigrations::migrate(m_sql, m_fts5, r)
        || !SchemaMigrations::ensureFullTextIndex(m_sql, m_fts5, &m_ftsTable, r))
        return fail();

    // Start the feed at "now": history from before this open is not news.
    if (!m_feed.start(r, action))
        return fail();
    m_lastPollError.clear();
    if (m_pollTimer->interval() > 0)
        m_pollTimer->start();
    return r;
}

StoreResult DatabaseWorker::get(qint64 id)
{
    if (auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return ProductWrites::invalid(errors);
    StoreResult r;
    if (!m_sql.ensureOpen(r))
        return r;
    // An empty action: "Reading product <id>", made only if it fails.
    if (!m_sql.readProduct(id, &r.product, r, QString()))
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
    if (!m_sql.ensureOpen(r))
        return r;
    m_sql.readProducts(listProductsSql(), {}, r, QStringLiteral("Listing products"));
    return r;
}

StoreResult DatabaseWorker::listIds()
{
    StoreResult r;
    if (!m_sql.ensureOpen(r))
        return r;
    m_sql.eachRow(QStringLiteral("SELECT id FROM products ORDER BY id"), {}, r, QStringLiteral("Listing product ids"),
        [&r](const QSqlQuery &q) { r.ids.append(q.value(0).toLongLong()); });
    return r;
}

StoreResult DatabaseWorker::create(QString name, qint64 price)
{
    return m_writes.create(std::move(name), price);
}

StoreResult DatabaseWorker::insert(qint64 id, QString name, qint64 price)
{
    return m_writes.insert(id, std::move(name), price);
}

StoreResult DatabaseWorker::insertAbove(qint64 floor, qint64 ceiling, QString name, qint64 price)
{
    return m_writes.insertAbove(floor, ceiling, std::move(name), price);
}

StoreResult DatabaseWorker::highestId()
{
    StoreResult r;
    if (!m_sql.ensureOpen(r))
        return r;
    m_sql.eachRow(ProductWrites::highestIdSql(), {}, r, QStringLiteral("Reading the highest product id"),
        [&r](const QSqlQuery &q) { r.lastVersion = q.value(0).toLongLong(); });
    return r;
}

StoreResult DatabaseWorker::update(qint64 id, QString name, qint64 price, qint64 expectedVersion)
{
    return update(id, name, price, expectedVersion, VersionRule {});
}

StoreResult DatabaseWorker::update(qint64 id, QString name, qint64 price, qint64 expectedVersion, VersionRule rule)
{
    return m_writes.update(id, std::move(name), price, expectedVersion, rule);
}

StoreResult DatabaseWorker::upsert(qint64 id, QString name, qint64 price)
{
    return upsert(id, name, price, VersionRule {});
}

StoreResult DatabaseWorker::upsert(qint64 id, QString name, qint64 price, VersionRule rule)
{
    return m_writes.upsert(id, std::move(name), price, rule);
}

StoreResult DatabaseWorker::applyVersioned(const QList<Product> &upserts, const QList<qint64> &deletes)
{
    return applyVersioned(upserts, deletes, {});
}

StoreResult DatabaseWorker::applyVersioned(
    const QList<Product> &upserts, const QList<qint64> &deletes, const QList<qint64> &deleteVersions)
{
    return m_writes.applyVersioned(upserts, deletes, deleteVersions);
}

StoreResult DatabaseWorker::versionOf(qint64 id)
{
    StoreResult r = get(id);
    if (!r.ok() && r.status != StoreStatus::NotFound)
        return r;
    r.lastVersion = r.product ? r.product->version : 0;
    // (A failed statement turns NotFound into Error; a good one leaves it.)
    m_sql.eachRow(QStringLiteral("SELECT version FROM product_versions WHERE id = ?"), { id }, r,
        QStringLiteral("Reading the last version of product %1").arg(id),
        [&r](const QSqlQuery &q) { r.lastVersion = std::max(r.lastVersion, q.value(0).toLongLong()); });
    return r;
}

StoreResult DatabaseWorker::restamp(qint64 id, qint64 fromVersion, qint64 toVersion)
{
    return m_writes.restamp(id, fromVersion, toVersion);
}

StoreResult DatabaseWorker::changesAfter(qint64 seq, int limit)
{
    return m_feed.changesAfter(seq, limit);
}

StoreResult DatabaseWorker::remove(qint64 id)
{
    return remove(id, VersionRule {});
}

StoreResult DatabaseWorker::remove(qint64 id, VersionRule rule)
{
    return m_writes.remove(id, rule);
}

StoreResult DatabaseWorker::seedDemoData()
{
    return m_writes.seedDemoData();
}

// --- tags and search ---------------------------------------------------------------------

bool DatabaseWorker::readTags(qint64 id, QStringList *out, StoreResult &r, const QString &action)
{
    out->clear();
    return m_sql.eachRow(QStringLiteral("SELECT tag FROM product_tags WHERE product_id = ? ORDER BY tag"), { id }, r,
        action, [out](const QSqlQuery &q) { out->append(q.value(0).toString()); });
}

StoreResult DatabaseWorker::setTags(qint64 id, QStringList tags)
{
    QList<FieldError> errors = ProductValidator::validateId(id);
    errors += TagValidator::validateTags(tags);
    if (!errors.isEmpty())
        return ProductWrites::invalid(errors);
    const QString action = QStringLiteral("Tagging product %1").arg(id);
    return m_feed.write(action, [&](StoreResult &r) {
        if (!m_sql.readProduct(id, &r.product, r, action))
            return false;
        if (!r.product) {
            r.status = StoreStatus::NotFound;
            r.error = QStringLiteral("Product %1 does not exist.").arg(id);
            return false;
        }
        if (!readTags(id, &r.previousTags, r, action))
            return false;
        if (!m_sql.execCached(QStringLiteral("DELETE FROM product_tags WHERE product_id = ?"), { id }, r, action))
            return false;
        for (const QString &tag : std::as_const(tags)) {
            if (!m_sql.execCached(
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
        return ProductWrites::invalid(errors);
    StoreResult r;
    if (!m_sql.ensureOpen(r))
        return r;
    const QString action = QStringLiteral("Reading the tags of product %1").arg(id);
    if (!readTags(id, &r.tags, r, action))
        return r;
    if (r.tags.isEmpty()) {
        // No tags, or no product: only the second is NotFound.
        if (!m_sql.readProduct(id, &r.product, r, action))
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
        return ProductWrites::invalid(errors);
    StoreResult r;
    if (!m_sql.ensureOpen(r))
        return r;
    static const QString sql = QStringLiteral("SELECT p.id, p.name, p.price, p.version, p.updated_at "
                                              "FROM product_tags t JOIN products p ON p.id = t.product_id "
                                              "WHERE t.tag = ? ORDER BY p.id");
    m_sql.readProducts(sql, { tag }, r, QStringLiteral("Reading the products tagged %1").arg(tag));
    return r;
}

StoreResult DatabaseWorker::allTags()
{
    StoreResult r;
    if (!m_sql.ensureOpen(r))
        return r;
    m_sql.eachRow(QStringLiteral("SELECT tag, COUNT(*) FROM product_tags GROUP BY tag ORDER BY tag"), {}, r,
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
        return ProductWrites::invalid(errors);
    StoreResult r;
    if (!m_sql.ensureOpen(r) || ids.isEmpty())
        return r;
    // One statement for any number of ids: the list travels as one JSON
    // array bound to one parameter, so the prepared statement is reused.
    QJsonArray array;
    for (const qint64 id : ids)
        array.append(id);
    const QString json = QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
    static const QString sql = QStringLiteral("SELECT %1 FROM products WHERE id IN (SELECT value FROM json_each(?)) "
                                              "ORDER BY id")
                                   .arg(SqlSession::productColumns());
    m_sql.readProducts(sql, { json }, r, QStringLiteral("Reading %1 product(s)").arg(ids.size()));
    return r;
}

StoreResult DatabaseWorker::search(const QString &text, int limit)
{
    QList<FieldError> errors;
    const SearchQuery query = SearchQuery::parse(text, &errors);
    if (!errors.isEmpty())
        return ProductWrites::invalid(errors);
    StoreResult r;
    if (!m_sql.ensureOpen(r))
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
        m_sql.readProducts(sql, { query.ftsExpression(), limit }, r, action);
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
                            .arg(SqlSession::productColumns(), clauses.join(QStringLiteral(" AND ")));
    m_sql.readProducts(sql, binds, r, action);
    return r;
}

void DatabaseWorker::poll()
{
    if (!m_sql.isOpen())
        return;
    StoreResult scratch;
    QList<ProductChange> changes;
    if (!m_feed.readNew(&changes, scratch)) {
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
    emit changesPolled(changes);
}
