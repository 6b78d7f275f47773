// InvalidationWatermark: how far SQLite's change table is known to be
// invalidated in Redis, and the replay of what lies beyond.
//
// The key cachelab:wb:invalidated:{db} holds a change sequence number
// (product_changes.seq): every change up to it has had its cached copy
// dropped. It moves only past changes this instance has confirmed: its own
// writes hold a ticket (hold()) until their cache step has ended, the
// change feed's invalidations of other writers' changes too, and nothing
// moves while invalidations wait for Redis. The new mark rides on the next
// version reservation (takeReadyMark()), so it costs no round trip.
// On every connect replay() invalidates the changes after the mark (with
// guards, raising the versions hash to each), so a write whose invalidation
// died with its process is still applied; write-behind writes wait for it
// (afterReplay()). A gap (changes pruned past the mark) drops every
// product key.
#pragma once

#include "operation.h"

#include <functional>
#include <set>
#include <QList>
#include <QObject>
#include <QTimer>

class CacheBackend;
struct StoreResult;

class InvalidationWatermark final : public QObject
{
    Q_OBJECT

public:
    explicit InvalidationWatermark(CacheBackend &backend, QObject *parent = nullptr);

    /// The watermark's key (names the database file; random for ":memory:").
    QByteArray key() const;
    /// Makes op hold a write ticket until it is destroyed.
    void hold(const OperationPtr &op);
    /// The change feed saw changes up to seq (own or not).
    void noteChangesSeen(qint64 seq) { m_seenSeq = std::max(m_seenSeq, seq); }
    /// The first write after a connect creates the mark just below its change.
    void startMark(qint64 seq);
    /// A mark ready to be published by the next version reservation (0: none).
    qint64 takeReadyMark();

    /// See the header comment. Quiet (no trace) unless there is work.
    void replay();
    /// Runs next() once a running replay has finished (at once otherwise).
    void afterReplay(std::function<void()> next);
    bool isReplaying() const { return m_replaying; }

private:
    void advance();
    void replayChangesAfter(const OperationPtr &op, qint64 mark, int round);
    void replayChangesAfterWith(const OperationPtr &op, qint64 mark, int round, const StoreResult &r);
    void endReplay(const OperationPtr &op, const QString &error);
    void endReplayNow(const OperationPtr &op, const QString &error);

    CacheBackend &m_backend;
    bool m_replaying = false;
    bool m_markBlocked = false;
    int m_replayAttempts = 0;
    qint64 m_replayTarget = -1;
    QList<std::function<void()>> m_afterReplay;
    qint64 m_publishedMark = -1;
    qint64 m_readyMark = 0;
    bool m_markKnown = false;
    std::set<quint64> m_activeTickets;
    quint64 m_nextTicket = 1;
    qint64 m_seenSeq = 0;
    struct MarkCandidate
    {
        qint64 seq = -1;
        quint64 ticket = 0;
    };
    MarkCandidate m_markCandidate;
    QTimer m_timer;
    mutable QByteArray m_key;
};
