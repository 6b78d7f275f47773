// ChangeFeed: the product_changes table as this worker sees it.
//
// Internal to core/store; used only on the database thread. Triggers add a
// row to product_changes for every insert, update and delete, whoever makes
// it. ChangeFeed remembers the last row it has reported, so it can tell rows
// written by others (everything up to the moment a write of ours takes the
// lock, and everything the poll finds) from rows written by our own
// transaction. It also keeps the table short: once more than Retention rows
// are behind it, a write deletes the oldest in one batch.
#pragma once

#include "product.h"
#include "sqlsession.h"
#include "storeresult.h"

#include <QList>

class ChangeFeed final
{
public:
    /// Change rows kept after pruning; older ones are deleted in batches.
    static constexpr qint64 Retention = 10000;

    explicit ChangeFeed(SqlSession &sql);

    /// After open(): start at the newest row (history from before is not news).
    bool start(StoreResult &r, const QString &action);
    /// Forgets what the previous job collected; see takeJobChanges().
    void beginJob() { m_jobChanges.clear(); }
    /// What the current job saw and did, outside changes first.
    QList<ProductChange> takeJobChanges() { return std::exchange(m_jobChanges, {}); }

    /// SqlSession::transaction around: earlier outside changes, body, own
    /// changes, prune. body returns false to roll back (and sets r's status).
    StoreResult write(const QString &action, const SqlSession::TxBody &body);
    /// Rows others committed since the last reported one (for the poll).
    /// False (r Error) when the table could not be read.
    bool readNew(QList<ProductChange> *out, StoreResult &r);
    /// Up to limit rows after seq, with the table's newest seq and how far it was pruned.
    StoreResult changesAfter(qint64 seq, int limit);

private:
    bool readChanges(qint64 afterSeq, bool external, QList<ProductChange> *out, StoreResult &r);

    SqlSession &m_sql;
    qint64 m_lastSeenSeq = 0; ///< highest change row already reported
    qint64 m_prunedUpTo = 0; ///< change rows <= this were deleted by us
    QList<ProductChange> m_jobChanges;
};
