// ReadDeadlines: one timer and a queue for every armed read.
#include "readdeadlines.h"

ReadDeadlines::ReadDeadlines(quint64 *counter, QObject *parent)
    : QObject(parent)
    , m_counter(counter)
{
    m_clock.start();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &ReadDeadlines::fire);
}

void ReadDeadlines::arm(const OperationPtr &op, const std::shared_ptr<bool> &answered, const char *step,
    const QByteArray &key, std::function<void()> onDeadline)
{
    // Reads only: a write's own cache step (write-through's set after the
    // commit) must not be reported as failed while it may still land.
    const int ms = m_deadlineMs;
    if (ms <= 0 || !op || op->what() != OperationKind::Get)
        return;
    // One timer for all reads, not one per read (the hit path sends tens of
    // thousands a second): deadlines come due in the order they were armed,
    // and answered ones are dropped from the front as they are passed.
    while (!m_pending.empty() && *m_pending.front().answered)
        m_pending.pop_front();
    m_pending.push_back({ m_clock.elapsed() + ms, answered, op, step, key, std::move(onDeadline) });
    if (!m_timer.isActive())
        m_timer.start(ms);
}

void ReadDeadlines::fire()
{
    const qint64 now = m_clock.elapsed();
    const int ms = m_deadlineMs;
    while (!m_pending.empty()) {
        Pending &d = m_pending.front();
        if (*d.answered) {
            m_pending.pop_front();
            continue;
        }
        if (d.dueMs > now) {
            m_timer.start(int(d.dueMs - now));
            return;
        }
        Pending due = std::move(d);
        m_pending.pop_front();
        *due.answered = true;
        ++*m_counter;
        const QString what = due.key.isEmpty() ? QString::fromLatin1(due.step)
                                               : QStringLiteral("%1 %2").arg(QLatin1String(due.step), QString::fromUtf8(due.key));
        due.op->note(QStringLiteral("degraded: Redis did not answer %1 within the %2 ms read deadline; answering without "
                                    "it (the late reply will be discarded)%3")
                         .arg(what)
                         .arg(ms)
                         .arg(due.op->kind() == StrategyKind::WriteBehind
                                 ? QStringLiteral("; under write-behind SQLite may not have the newest write yet")
                                 : QString()),
            TraceOutcome::Unavailable);
        due.onDeadline();
    }
}

