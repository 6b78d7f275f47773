// ChangeFeed: reading, attributing and pruning the change table.
#include "changefeed.h"

#include <QSqlQuery>

namespace {

ProductChange::Kind kindFromText(const QString &kind)
{
    if (kind == QLatin1String("insert"))
        return ProductChange::Kind::Insert;
    if (kind == QLatin1String("delete"))
        return ProductChange::Kind::Delete;
    return ProductChange::Kind::Update;
}

// One row of "SELECT seq, product_id, kind, version FROM product_changes".
ProductChange changeFromRow(const QSqlQuery &q, bool external)
{
    ProductChange c;
    c.seq = q.value(0).toLongLong();
    c.id = q.value(1).toLongLong();
    c.kind = kindFromText(q.value(2).toString());
    c.version = q.value(3).toLongLong();
    c.external = external;
    return c;
}

} // namespace

ChangeFeed::ChangeFeed(SqlSession &sql)
    : m_sql(sql)
{ }

bool ChangeFeed::start(StoreResult &r, const QString &action)
{
    QSqlQuery seq = m_sql.newQuery();
    if (!m_sql.exec(seq, QStringLiteral("SELECT COALESCE(MAX(seq), 0), COALESCE(MIN(seq), 1) - 1 FROM product_changes"),
            {}, r, action))
        return false;
    if (seq.next()) {
        m_lastSeenSeq = seq.value(0).toLongLong();
        m_prunedUpTo = seq.value(1).toLongLong();
    }
    seq.finish();
    return true;
}

bool ChangeFeed::readChanges(qint64 afterSeq, bool external, QList<ProductChange> *out, StoreResult &r)
{
    static const QString sql = QStringLiteral("SELECT seq, product_id, kind, version FROM product_changes "
                                              "WHERE seq > ? ORDER BY seq");
    return m_sql.eachRow(sql, { afterSeq }, r, QStringLiteral("Reading the change feed"),
        [&](const QSqlQuery &q) { out->append(changeFromRow(q, external)); });
}

bool ChangeFeed::readNew(QList<ProductChange> *out, StoreResult &r)
{
    if (!readChanges(m_lastSeenSeq, true, out, r))
        return false;
    if (!out->isEmpty())
        m_lastSeenSeq = out->last().seq;
    return true;
}

StoreResult ChangeFeed::write(const QString &action, const SqlSession::TxBody &body)
{
    StoreResult r;
    if (!m_sql.ensureOpen(r))
        return r;
    QList<ProductChange> ours;
    qint64 newLastSeen = m_lastSeenSeq;
    qint64 prunedUpTo = m_prunedUpTo;
    const bool committed = m_sql.transaction(action, r, [&](StoreResult &tx) {
        // Whatever others committed before we took the lock is theirs.
        QList<ProductChange> before;
        if (!readChanges(m_lastSeenSeq, true, &before, tx))
            return false;
        if (!before.isEmpty()) {
            // Committed by others: report them even if our own write is rolled back.
            m_lastSeenSeq = before.last().seq;
            m_jobChanges += before;
        }

        if (!body(tx))
            return false;

        // Everything after that, inside our write lock, is ours.
        if (!readChanges(m_lastSeenSeq, false, &ours, tx))
            return false;
        newLastSeen = ours.isEmpty() ? m_lastSeenSeq : ours.last().seq;

        // Prune in batches of 1000 so most writes do not pay for it.
        if (newLastSeen - m_prunedUpTo > Retention + 1000) {
            QSqlQuery prune = m_sql.newQuery();
            if (!m_sql.exec(prune, QStringLiteral("DELETE FROM product_changes WHERE seq <= ?"),
                    { newLastSeen - Retention }, tx, QStringLiteral("Pruning the change feed")))
                return false;
            prunedUpTo = newLastSeen - Retention;
        }
        return true;
    });
    if (!committed)
        return r;
    m_lastSeenSeq = newLastSeen;
    m_prunedUpTo = prunedUpTo;
    if (!ours.isEmpty() && r.seq == 0)
        r.seq = ours.first().seq;
    m_jobChanges += ours;
    return r;
}

StoreResult ChangeFeed::changesAfter(qint64 seq, int limit)
{
    StoreResult r;
    if (!m_sql.ensureOpen(r))
        return r;
    const QString action = QStringLiteral("Reading the change feed");
    if (!m_sql.eachRow(QStringLiteral("SELECT COALESCE(MAX(seq), 0), COALESCE(MIN(seq), 1) - 1 FROM product_changes"),
            {}, r, action, [&r](const QSqlQuery &q) {
                r.seq = q.value(0).toLongLong();
                r.prunedUpTo = q.value(1).toLongLong();
            }))
        return r;
    m_sql.eachRow(
        QStringLiteral("SELECT seq, product_id, kind, version FROM product_changes WHERE seq > ? ORDER BY seq "
                       "LIMIT ?"),
        { seq, limit }, r, action, [&r](const QSqlQuery &q) { r.changes.append(changeFromRow(q, true)); });
    return r;
}
