// ChaosChecks: one function per invariant; see the header for the rules.
#include "chaoschecks.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>

namespace {

/// Enough slack either side of an operation to show the faults that may
/// have shaped it (a reconnect, a queue recovery).
constexpr qint64 ContextMs = 1500;

bool sameContent(const QString &nameA, qint64 priceA, const QString &nameB, qint64 priceB)
{
    return nameA == nameB && priceA == priceB;
}

ChaosViolations byTime(ChaosViolations v)
{
    std::stable_sort(
        v.begin(), v.end(), [](const ChaosViolation &a, const ChaosViolation &b) { return a.atMs < b.atMs; });
    return v;
}

} // namespace

ChaosChecks::ChaosChecks(const ChaosHistory &history, const ChaosIds &ids, const QHash<qint64, SqlRow> &rows)
    : m_history(history)
    , m_ids(ids)
    , m_rows(rows)
{
    for (const ChaosOp &op : history.ops()) {
        const qint64 id = op.kind == OpKind::Create ? op.ackId : op.id;
        if (id <= 0)
            continue;
        m_byId[id].append(&op);
        IdIndex &index = m_index[id];
        if (op.kind == OpKind::Delete && op.mayHaveApplied())
            index.latestDeleteEffectMs = qMax(index.latestDeleteEffectMs, op.latestEffectMs());
        if (op.kind == OpKind::Delete && op.isAcked())
            index.ackedDeletes.append(&op);
        if (op.kind == OpKind::Upsert && op.mayHaveApplied())
            index.creates.append(&op);
    }
    for (IdIndex &index : m_index) {
        std::sort(index.ackedDeletes.begin(), index.ackedDeletes.end(),
            [](const ChaosOp *a, const ChaosOp *b) { return a->doneMs < b->doneMs; });
        std::sort(index.creates.begin(), index.creates.end(),
            [](const ChaosOp *a, const ChaosOp *b) { return a->sentMs < b->sentMs; });
        qint64 latest = std::numeric_limits<qint64>::min();
        for (const ChaosOp *c : std::as_const(index.creates))
            index.createsLatestEffectMs.append(latest = qMax(latest, c->latestEffectMs()));
    }
}

QString ChaosChecks::rowText(qint64 id) const
{
    const auto it = m_rows.constFind(id);
    if (it == m_rows.cend())
        return QStringLiteral("SQLite has no row %1").arg(id);
    const QString writer = m_history.whoWrote(it->name);
    return QStringLiteral("SQLite has version %1 '%2' price %3%4")
        .arg(it->version)
        .arg(it->name)
        .arg(it->price)
        .arg(writer.isEmpty() ? QStringLiteral(" (written by no recorded write)")
                              : QStringLiteral(", written by\n      ") + writer);
}

QString ChaosChecks::context(const ChaosOp &op) const
{
    return m_history.faultsDuring(op.sentMs - ContextMs, op.doneMs + ContextMs);
}

QString ChaosChecks::strategyOf(const ChaosOp &op) const
{
    return m_history.strategyAt(op.instance, op.sentMs);
}

bool ChaosChecks::mayBeDeletedAfter(qint64 id, qint64 afterMs) const
{
    const auto it = m_index.constFind(id);
    return it != m_index.cend() && it->latestDeleteEffectMs > afterMs;
}

bool ChaosChecks::instanceDown(int instance, qint64 fromMs, qint64 toMs) const
{
    for (const ChaosFault &f : m_history.faults()) {
        if ((f.kind == FaultKind::InstanceKill || f.kind == FaultKind::InstanceExit) && f.instance == instance
            && f.atMs <= toMs && f.endMs >= fromMs)
            return true;
    }
    return false;
}

ChaosViolations ChaosChecks::acknowledgedWritesKept(int *checked) const
{
    ChaosViolations out;
    *checked = 0;
    for (const ChaosOp &op : m_history.ops()) {
        if (!op.isAcked() || !op.writesProduct() || op.ackId <= 0)
            continue;
        ++*checked;
        if (m_ids.isDeletable(op.ackId) && mayBeDeletedAfter(op.ackId, op.sentMs))
            continue;
        const auto row = m_rows.constFind(op.ackId);
        if (row == m_rows.cend() || row->version < op.ackVersion) {
            out << ChaosViolation { op.doneMs,
                QStringLiteral("lost, SQLite has %1 (%2 %3)")
                    .arg(row == m_rows.cend() ? QStringLiteral("no row") : QStringLiteral("an older version"),
                        strategyOf(op), opKindName(op.kind)),
                QStringLiteral("id %1: acknowledged version %2 is lost: %3\n    the write: %4%5")
                    .arg(op.ackId)
                    .arg(op.ackVersion)
                    .arg(rowText(op.ackId), m_history.describe(op), context(op)) };
        } else if (const std::optional<qint64> rowWrittenAt = m_history.writtenBy(row->name);
                   row->name != op.ackName && rowWrittenAt && *rowWrittenAt < op.sentMs) {
            // The row holds a write that had taken effect before this one was
            // even sent: whatever its version, this write is lost.
            out << ChaosViolation { op.doneMs,
                QStringLiteral("lost, SQLite holds a write made before it (%1 %2)")
                    .arg(strategyOf(op), opKindName(op.kind)),
                QStringLiteral("id %1: acknowledged version %2 is lost under an earlier write: %3\n    the write: %4%5")
                    .arg(op.ackId)
                    .arg(op.ackVersion)
                    .arg(rowText(op.ackId), m_history.describe(op), context(op)) };
        } else if (row->version == op.ackVersion && !sameContent(row->name, row->price, op.ackName, op.ackPrice)
            && !(rowWrittenAt && m_history.isOutsideEdit(row->name) && *rowWrittenAt > op.sentMs)) {
            // (An outside edit made after this write was sent may carry its
            // number: it could not see the write still queued in Redis. If it
            // came after the write was answered it is the later write; if it
            // overlapped the write, the write may have taken effect before it
            // (a write-behind write is stamped before its script runs), and
            // either order is a correct history. It rightly wins in both.)
            out << ChaosViolation { op.doneMs,
                QStringLiteral("replaced by another write at the same version (%1 %2)")
                    .arg(strategyOf(op), opKindName(op.kind)),
                QStringLiteral("id %1: acknowledged version %2 was replaced by another write at the same "
                               "version: %3\n    the write: %4%5")
                    .arg(op.ackId)
                    .arg(op.ackVersion)
                    .arg(rowText(op.ackId), m_history.describe(op), context(op)) };
        }
    }

    // Deletes: per id, the last acknowledged delete says the most (a create
    // that may follow it may follow every earlier one; every version
    // acknowledged before an earlier delete was acknowledged before it).
    for (auto it = m_byId.cbegin(); it != m_byId.cend(); ++it) {
        const ChaosOp *last = nullptr;
        for (const ChaosOp *op : it.value()) {
            if (op->kind == OpKind::Delete && op->isAcked()) {
                ++*checked;
                if (!last || op->sentMs > last->sentMs)
                    last = op;
            }
        }
        const auto row = m_rows.constFind(it.key());
        if (!last || row == m_rows.cend())
            continue;
        bool recreated = false;
        const ChaosOp *before = nullptr; // the highest version acknowledged before the delete was sent
        for (const ChaosOp *other : it.value()) {
            if (other->kind == OpKind::Upsert && other->mayHaveApplied() && other->latestEffectMs() > last->sentMs)
                recreated = true;
            if (other->writesProduct() && other->isAcked() && other->doneMs < last->sentMs
                && (!before || other->ackVersion > before->ackVersion))
                before = other;
        }
        if (!recreated) {
            out << ChaosViolation { last->doneMs,
                QStringLiteral("deleted row came back (%1 delete)").arg(strategyOf(*last)),
                QStringLiteral("id %1: deleted, and no create came after, but the row is back: %2\n"
                               "    the last delete: %3%4")
                    .arg(it.key())
                    .arg(rowText(it.key()), m_history.describe(*last), context(*last)) };
        } else if (before && row->version <= before->ackVersion) {
            out << ChaosViolation { last->doneMs, QStringLiteral("re-created with a version not above the deleted one"),
                QStringLiteral("id %1: re-created after a delete with version %2, not above version %3 "
                               "acknowledged before the delete: %4\n    the last delete: %5\n    the earlier "
                               "write: %6%7")
                    .arg(it.key())
                    .arg(row->version)
                    .arg(before->ackVersion)
                    .arg(rowText(it.key()), m_history.describe(*last), m_history.describe(*before), context(*last)) };
        }
    }
    return byTime(out);
}

ChaosViolations ChaosChecks::versionsUnique(int *checked) const
{
    ChaosViolations out;
    *checked = 0;
    QMap<QPair<qint64, qint64>, QList<const ChaosOp *>> byVersion;
    QHash<qint64, const ChaosOp *> createdIds;
    for (const ChaosOp &op : m_history.ops()) {
        if (!op.isAcked() || !op.writesProduct())
            continue;
        ++*checked;
        byVersion[qMakePair(op.ackId, op.ackVersion)].append(&op);
        if (op.ackId <= 0 || !sameContent(op.ackName, op.ackPrice, op.name, op.price)
            || (op.kind != OpKind::Create && op.ackId != op.id)) {
            out << ChaosViolation { op.doneMs,
                QStringLiteral("answered with other content (%1 %2)").arg(strategyOf(op), opKindName(op.kind)),
                QStringLiteral("id %1: acknowledged with other content than it wrote: %2%3")
                    .arg(op.id)
                    .arg(m_history.describe(op), op.detail.isEmpty() ? QString() : QStringLiteral(" ") + op.detail) };
        }
        if (op.kind == OpKind::Create && op.ackId > 0) {
            if (op.ackId <= m_ids.last()) {
                out << ChaosViolation { op.doneMs,
                    QStringLiteral("create without an id got a pre-run id (%1)").arg(strategyOf(op)),
                    QStringLiteral("id %1: a create without an id was given the id of a product created before "
                                   "the run: %2%3")
                        .arg(op.ackId)
                        .arg(m_history.describe(op), context(op)) };
            } else if (const ChaosOp *first = createdIds.value(op.ackId)) {
                QStringList strategies { strategyOf(*first), strategyOf(op) };
                strategies.sort();
                out << ChaosViolation { qMax(first->doneMs, op.doneMs),
                    QStringLiteral("two creates without an id got one id (%1)")
                        .arg(strategies.join(QStringLiteral(" vs "))),
                    QStringLiteral("id %1: two creates without an id were given the same id:\n    %2\n    %3%4")
                        .arg(op.ackId)
                        .arg(m_history.describe(*first), m_history.describe(op), context(op)) };
            } else {
                createdIds.insert(op.ackId, &op);
            }
        }
    }
    for (auto it = byVersion.cbegin(); it != byVersion.cend(); ++it) {
        const QList<const ChaosOp *> &writes = it.value();
        const bool differ = std::any_of(writes.cbegin(), writes.cend(), [&](const ChaosOp *w) {
            return !sameContent(w->ackName, w->ackPrice, writes.first()->ackName, writes.first()->ackPrice);
        });
        if (!differ)
            continue;
        QString lines;
        QStringList strategies;
        qint64 at = std::numeric_limits<qint64>::max();
        for (const ChaosOp *w : writes) {
            lines += QStringLiteral("\n    ") + m_history.describe(*w);
            strategies << strategyOf(*w);
            at = qMin(at, w->doneMs);
        }
        strategies.sort();
        strategies.removeDuplicates();
        out << ChaosViolation { at,
            m_ids.isDeletable(it.key().first)
                ? QStringLiteral("one version for two writes of a deleted and re-created id")
                : QStringLiteral("one version for two writes of a never deleted id (%1)")
                      .arg(strategies.join(QStringLiteral(" vs "))),
            QStringLiteral("id %1 version %2 was acknowledged to %3 different writes:%4%5")
                .arg(it.key().first)
                .arg(it.key().second)
                .arg(writes.size())
                .arg(lines, context(*writes.first())) };
    }

    // A delete and a later update: the update must find nothing (404)
    // unless a create may have come in between.
    for (const ChaosOp &update : m_history.ops()) {
        if (update.kind != OpKind::Update || !update.isAcked() || !m_ids.isDeletable(update.id))
            continue;
        // The last delete acknowledged before the update was sent...
        const IdIndex index = m_index.value(update.id); // implicitly shared lists: no copy
        const auto deleteAfter = std::lower_bound(index.ackedDeletes.cbegin(), index.ackedDeletes.cend(), update.sentMs,
            [](const ChaosOp *d, qint64 ms) { return d->doneMs < ms; });
        if (deleteAfter == index.ackedDeletes.cbegin())
            continue;
        const ChaosOp *lastDelete = *(deleteAfter - 1);
        // ... and any create sent before the update was answered that may
        // have taken effect after that delete began.
        const auto createAfter = std::lower_bound(index.creates.cbegin(), index.creates.cend(), update.doneMs,
            [](const ChaosOp *c, qint64 ms) { return c->sentMs < ms; });
        const qsizetype sentBefore = createAfter - index.creates.cbegin();
        const bool createBetween
            = sentBefore > 0 && index.createsLatestEffectMs.at(sentBefore - 1) > lastDelete->sentMs;
        if (!createBetween) {
            out << ChaosViolation { update.doneMs,
                QStringLiteral("update acknowledged for a deleted product (%1 delete, %2 update)")
                    .arg(strategyOf(*lastDelete), strategyOf(update)),
                QStringLiteral("id %1: an update was acknowledged for a deleted product (no create in between):"
                               "\n    the delete: %2\n    the update: %3%4")
                    .arg(update.id)
                    .arg(m_history.describe(*lastDelete), m_history.describe(update), context(update)) };
        }
    }
    return byTime(out);
}

ChaosViolations ChaosChecks::cacheAgrees(const Hashes &hashes, int *checked) const
{
    ChaosViolations out;
    *checked = 0;
    QList<QByteArray> keys = hashes.keys();
    std::sort(keys.begin(), keys.end());
    for (const QByteArray &key : keys) {
        const QHash<QByteArray, QByteArray> &fields = hashes.value(key);
        if (fields.isEmpty())
            continue; // expired or dropped since it was listed
        bool numeric = false;
        const qint64 id = key.mid(qsizetype(qstrlen("product:"))).toLongLong(&numeric);
        if (!numeric)
            continue;
        ++*checked;
        const auto row = m_rows.constFind(id);
        const QString version = QString::fromUtf8(fields.value("version", "-"));
        if (fields.contains("dirty")) {
            out << ChaosViolation { id, QStringLiteral("dirty after the drain"),
                QStringLiteral("%1 is still dirty (unflushed) after the queue drained: version %2; %3")
                    .arg(QString::fromUtf8(key), version, rowText(id)) };
            continue;
        }
        if (fields.contains("absent")) {
            if (row != m_rows.cend())
                out << ChaosViolation { id, QStringLiteral("negative entry for an existing product"),
                    QStringLiteral("%1 is a negative entry (version %2) for a product SQLite has: %3")
                        .arg(QString::fromUtf8(key), version, rowText(id)) };
            continue;
        }
        const QString name = QString::fromUtf8(fields.value("name"));
        const qint64 price = fields.value("price").toLongLong();
        if (row != m_rows.cend() && row->version == version.toLongLong()
            && sameContent(row->name, row->price, name, price))
            continue;
        const QString writer = m_history.whoWrote(name);
        const QString kind = row == m_rows.cend() ? QStringLiteral("cached product SQLite does not have")
            : row->version > version.toLongLong() ? QStringLiteral("stale hash (older version)")
            : row->version < version.toLongLong() ? QStringLiteral("hash ahead of SQLite (newer version)")
                                                  : QStringLiteral("hash differs from SQLite at the same version");
        out << ChaosViolation { id, kind,
            QStringLiteral("%1 holds version %2 '%3' price %4%5; %6")
                .arg(QString::fromUtf8(key), version, name)
                .arg(price)
                .arg(writer.isEmpty() ? QString() : QStringLiteral(", written by\n      ") + writer, rowText(id)) };
    }
    return out; // in id order (atMs holds the id)
}

std::optional<ChaosViolation> ChaosChecks::getAgrees(int instance, qint64 id, int status, const QByteArray &body) const
{
    const auto row = m_rows.constFind(id);
    const QString who
        = QStringLiteral("GET /product/%1 through instance %2").arg(id).arg(ChaosHistory::instanceName(instance));
    const QString kind = QStringLiteral("wrong answer from instance %1").arg(ChaosHistory::instanceName(instance));
    if (row == m_rows.cend()) {
        if (status == 404)
            return std::nullopt;
        return ChaosViolation { id, kind,
            QStringLiteral("%1 answered %2 %3; SQLite has no row")
                .arg(who)
                .arg(status)
                .arg(QString::fromUtf8(body.left(200))) };
    }
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const qint64 version = o.value(QLatin1String("version")).toInteger();
    const QString name = o.value(QLatin1String("name")).toString();
    const qint64 price = o.value(QLatin1String("price")).toInteger(-1);
    if (status == 200 && version == row->version && sameContent(name, price, row->name, row->price))
        return std::nullopt;
    if (status != 200)
        return ChaosViolation { id, kind,
            QStringLiteral("%1 answered %2 %3; %4")
                .arg(who)
                .arg(status)
                .arg(QString::fromUtf8(body.left(200)), rowText(id)) };
    const QString writer = m_history.whoWrote(name);
    return ChaosViolation { id, kind,
        QStringLiteral("%1 answered version %2 '%3' price %4%5; %6")
            .arg(who)
            .arg(version)
            .arg(name)
            .arg(price)
            .arg(writer.isEmpty() ? QString() : QStringLiteral(", written by\n      ") + writer, rowText(id)) };
}

ChaosViolations ChaosChecks::outsideEditsOwnTheirVersions(int *checked) const
{
    ChaosViolations out;
    *checked = 0;
    QHash<QPair<qint64, qint64>, const OutsideEdit *> edits;
    for (const OutsideEdit &e : m_history.outsideEdits()) {
        ++*checked;
        edits.insert(qMakePair(e.id, e.version), &e);
    }
    for (const ChaosOp &op : m_history.ops()) {
        if (!op.isAcked() || !op.writesProduct())
            continue;
        const OutsideEdit *edit = edits.value(qMakePair(op.ackId, op.ackVersion));
        if (!edit || sameContent(edit->name, edit->price, op.ackName, op.ackPrice))
            continue;
        // An outside writer does not go through CacheLab: a version it picks
        // while a write-behind write of the id is in flight, or before the
        // change feed has reported it (polled every 250 ms), can coincide.
        // The flush then keeps the later of the two (at a fresh version),
        // which (1) checks. Only a collision outside that window is a bug.
        if (edit->atMs >= op.sentMs - OutsideWindowMs && edit->atMs <= op.doneMs + OutsideWindowMs) {
            ++m_concurrentOutsideCollisions;
            continue;
        }
        out << ChaosViolation { qMin(edit->atMs, op.doneMs),
            QStringLiteral("outside edit and %1 %2 share a version").arg(strategyOf(op), opKindName(op.kind)),
            QStringLiteral("id %1 version %2 belongs to an outside edit and to an acknowledged write:\n    %3\n"
                           "    %4%5")
                .arg(op.ackId)
                .arg(op.ackVersion)
                .arg(m_history.describe(*edit), m_history.describe(op),
                    m_history.faultsDuring(
                        qMin(edit->atMs, op.sentMs) - ContextMs, qMax(edit->atMs, op.doneMs) + ContextMs)) };
    }
    return byTime(out);
}

ChaosViolations ChaosChecks::answersDuringRun(int readBoundMs, int *checked) const
{
    ChaosViolations out;
    *checked = 0;
    for (const ChaosOp &op : m_history.ops()) {
        ++*checked;
        if (op.outcome == ChaosOp::Outcome::Rejected && op.status == 404 && m_ids.isFixed(op.id)) {
            out << ChaosViolation { op.doneMs,
                QStringLiteral("404 for a product that always exists (%1 %2)").arg(strategyOf(op), opKindName(op.kind)),
                QStringLiteral("id %1 always exists, but a request answered 404: %2%3")
                    .arg(op.id)
                    .arg(m_history.describe(op), context(op)) };
            continue;
        }
        if (op.kind != OpKind::Get) {
            // 503 is the documented answer of a write that cannot be made
            // safely (write-behind without Redis); 500 is not.
            if (op.outcome == ChaosOp::Outcome::Rejected && op.status >= 500 && op.status != 503)
                out << ChaosViolation { op.doneMs,
                    QStringLiteral("%1 failed with %2 (%3)")
                        .arg(opKindName(op.kind))
                        .arg(op.status)
                        .arg(strategyOf(op)),
                    QStringLiteral("%1: a write failed with a server error: %2%3")
                        .arg(op.id > 0 ? QStringLiteral("id %1").arg(op.id) : QStringLiteral("create without an id"),
                            m_history.describe(op), context(op)) };
            continue;
        }
        const qint64 ms = op.doneMs - op.sentMs;
        if (op.outcome == ChaosOp::Outcome::Rejected && op.status >= 500) {
            out << ChaosViolation { op.doneMs,
                QStringLiteral("read failed with %1 (%2)").arg(op.status).arg(strategyOf(op)),
                QStringLiteral("id %1: a read failed with a server error instead of falling back: %2%3")
                    .arg(op.id)
                    .arg(m_history.describe(op), context(op)) };
        } else if (op.outcome == ChaosOp::Outcome::Unknown && !instanceDown(op.instance, op.sentMs, op.doneMs)) {
            out << ChaosViolation { op.doneMs, QStringLiteral("read unanswered (%1)").arg(strategyOf(op)),
                QStringLiteral("id %1: a read got no answer from a running instance: %2%3")
                    .arg(op.id)
                    .arg(m_history.describe(op), context(op)) };
        } else if (op.outcome != ChaosOp::Outcome::Refused && op.outcome != ChaosOp::Outcome::Unknown
            && ms > readBoundMs) {
            out << ChaosViolation { op.doneMs,
                QStringLiteral("read slower than %1 ms (%2)").arg(readBoundMs).arg(strategyOf(op)),
                QStringLiteral("id %1: a read took %2 ms (bound %3 ms): %4%5")
                    .arg(op.id)
                    .arg(ms)
                    .arg(readBoundMs)
                    .arg(m_history.describe(op), context(op)) };
        }
    }
    return byTime(out);
}
