// ReadDeadlines: a read is answered without Redis once its deadline passes.
//
// A stalled Redis (a long script, a fork, a paused server) must not hold a
// get for the whole command timeout: each Redis step of a get (the lookup,
// the Bloom check, the fill) is armed with the configured deadline. When it
// passes first, the step is answered as "unavailable" (the get then reads
// SQLite, marked degraded in its trace) and the late reply is ignored.
// Writes are never armed: their cache step may still land.
#pragma once

#include "operation.h"

#include <deque>
#include <functional>
#include <memory>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

class ReadDeadlines final : public QObject
{
    Q_OBJECT

public:
    /// counter (not owned) counts the deadlines that fired.
    explicit ReadDeadlines(quint64 *counter, QObject *parent = nullptr);

    /// 0 turns deadlines off.
    void setDeadlineMs(int ms) { m_deadlineMs = ms; }
    int deadlineMs() const { return m_deadlineMs; }

    /// Calls onDeadline() once the deadline passes unless *answered was set
    /// first (by the reply); sets *answered itself when it fires. `step` and
    /// `key` name what was waited for, in the trace.
    void arm(const OperationPtr &op, const std::shared_ptr<bool> &answered, const char *step, const QByteArray &key,
        std::function<void()> onDeadline);

private:
    void fire();

    struct Pending
    {
        qint64 dueMs;
        std::shared_ptr<bool> answered;
        OperationPtr op;
        const char *step;
        QByteArray key;
        std::function<void()> onDeadline;
    };
    std::deque<Pending> m_pending;
    QTimer m_timer;
    QElapsedTimer m_clock;
    quint64 *m_counter;
    int m_deadlineMs = 0;
};
