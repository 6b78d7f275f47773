// XFetch: the early-refresh test on a hit.
#include "xfetch.h"

#include <cmath>
#include <QDateTime>

bool XFetch::refreshEarly(const OperationPtr &op, const CacheEntry &e, double beta)
{
    if (e.state != CacheEntry::State::Hit || e.dirty || e.expiresAtMs <= 0)
        return false;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const double u = std::max(1e-12, m_random.generateDouble());
    const double gap = double(std::max<qint64>(e.deltaMs, 1)) * beta * -std::log(u);
    if (double(now) + gap < double(e.expiresAtMs))
        return false;
    op->note(QStringLiteral("XFetch: refreshing early (%1 ms left, last load %2 ms)")
                 .arg(e.expiresAtMs - now)
                 .arg(e.deltaMs),
        TraceOutcome::EarlyRefresh);
    return true;
}
