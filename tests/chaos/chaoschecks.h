// ChaosChecks: the chaos run's invariants, as functions of what was
// recorded (ChaosHistory) and what the stores hold afterwards (SQLite's
// rows, Redis's product hashes, the instances' answers).
//
// Each check returns one message per violation, precise enough to start
// debugging from: the id, the versions, every write involved (client,
// operation number, instance and its strategy, when it was sent and
// answered, what it answered) and the faults around it. `checked` counts
// what the check looked at, for the figures.
//
// Concurrency is judged from the recorded times only: an operation may
// have taken effect at any moment between sending and its answer (never
// answered, or answered with a server error: any moment from sending on).
#pragma once

#include "chaoshistory.h"
#include "outsideeditor.h"

#include <QByteArray>
#include <QHash>
#include <QStringList>

#include <optional>

/// One broken promise: when it first showed (violations are reported in
/// that order), a short kind for the figures ("same version: write-behind
/// vs cache-aside") and the whole story.
struct ChaosViolation
{
    qint64 atMs = 0;
    QString kind;
    QString text;
};
using ChaosViolations = QList<ChaosViolation>;

class ChaosChecks final
{
public:
    using Hashes = QHash<QByteArray, QHash<QByteArray, QByteArray>>;

    ChaosChecks(const ChaosHistory &history, const ChaosIds &ids, const QHash<qint64, SqlRow> &rows);

    /// (1) Every acknowledged write is in SQLite: its version, or a newer
    /// one, is in the row (at its own version with its own content; never a
    /// write that had taken effect before this one was sent), unless a
    /// delete of the id may have come after it. An acknowledged delete
    /// left the row gone, or re-created (by a create that may have come
    /// after it) with a version above every version acknowledged before it.
    ChaosViolations acknowledgedWritesKept(int *checked) const;
    /// (2) No two different acknowledged writes got the same id and version,
    /// every write answered with what it wrote, creates without an id got
    /// unused ids, and no update was acknowledged for a product that was
    /// deleted (and not created again) before the update was sent.
    ChaosViolations versionsUnique(int *checked) const;
    /// (3) Every product hash without `dirty` equals SQLite's row (version,
    /// name, price), or, as a negative entry, stands for an id SQLite does
    /// not have.
    ChaosViolations cacheAgrees(const Hashes &hashes, int *checked) const;
    /// (4) One GET answer (status + body) of `instance` against SQLite's
    /// row for id: nullopt when it agrees.
    std::optional<ChaosViolation> getAgrees(int instance, qint64 id, int status, const QByteArray &body) const;
    /// (6) No outside SQL edit left a version that an acknowledged write of
    /// different content was also answered with, unless the edit was made
    /// within OutsideWindowMs of that write (an outside writer cannot be
    /// ordered against a write it does not see; (1) checks who won). Those
    /// are counted in concurrentOutsideCollisions().
    ChaosViolations outsideEditsOwnTheirVersions(int *checked) const;
    static constexpr qint64 OutsideWindowMs = 1000;
    int concurrentOutsideCollisions() const { return m_concurrentOutsideCollisions; }
    /// (7) During the run, no request on an id that always exists answered
    /// 404, no write failed with 500 (503 is the documented refusal), and no
    /// GET failed with a server error, went unanswered while its instance
    /// was up, or took longer than readBoundMs.
    ChaosViolations answersDuringRun(int readBoundMs, int *checked) const;

private:
    QString rowText(qint64 id) const;
    QString context(const ChaosOp &op) const;
    /// "write-behind" (the instance's strategy when op was sent).
    QString strategyOf(const ChaosOp &op) const;
    /// A delete of id that may have taken effect after `afterMs`.
    bool mayBeDeletedAfter(qint64 id, qint64 afterMs) const;
    bool instanceDown(int instance, qint64 fromMs, qint64 toMs) const;

    /// What the delete rules ask about one id, prepared once so that a run
    /// of an hour is checked in seconds.
    struct IdIndex
    {
        qint64 latestDeleteEffectMs = std::numeric_limits<qint64>::min(); ///< over deletes that may have applied
        QList<const ChaosOp *> ackedDeletes; ///< by doneMs
        QList<const ChaosOp *> creates; ///< creates with this id that may have applied, by sentMs
        QList<qint64> createsLatestEffectMs; ///< running maximum of latestEffectMs over `creates`
    };

    const ChaosHistory &m_history;
    const ChaosIds m_ids;
    const QHash<qint64, SqlRow> &m_rows;
    QHash<qint64, QList<const ChaosOp *>> m_byId; ///< every recorded op per id (answered id for creates)
    QHash<qint64, IdIndex> m_index;
    mutable int m_concurrentOutsideCollisions = 0;
};
