// Event-loop helpers, memory figures and the stall probe (see benchloop.h).
#include "benchloop.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>

#include <malloc.h>

namespace BenchLoop {

bool waitUntil(const std::function<bool()> &cond, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    // A short repeating timer guarantees WaitForMoreEvents wakes up to re-check.
    QTimer tick;
    tick.start(5);
    while (!cond()) {
        if (deadline.hasExpired())
            return cond();
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    }
    return true;
}

bool runLoop(const std::function<void(const std::function<void()> &quit)> &start, int timeoutMs)
{
    QEventLoop loop;
    bool finished = false;
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, &loop, [&loop] { loop.exit(1); });
    guard.start(timeoutMs);
    QTimer::singleShot(0, &loop, [&] {
        start([&] {
            finished = true;
            loop.quit();
        });
    });
    loop.exec();
    return finished;
}

static qint64 statusField(const char *name, const QString &process = QStringLiteral("self"))
{
    QFile f(QStringLiteral("/proc/%1/status").arg(process));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray key(name);
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(key)) {
            // "VmRSS:	  123456 kB"
            const QByteArray kb = line.mid(key.size()).trimmed().split(' ').value(0);
            return kb.toLongLong() * 1024;
        }
    }
    return 0;
}

qint64 residentBytes()
{
    return statusField("VmRSS:");
}

qint64 residentBytesOf(qint64 pid)
{
    return statusField("VmRSS:", QString::number(pid));
}

qint64 peakResidentBytes()
{
    return statusField("VmHWM:");
}

void trimHeap()
{
    malloc_trim(0);
}

} // namespace BenchLoop

StallProbe::StallProbe(int intervalMs, QObject *parent)
    : QObject(parent)
    , m_intervalMs(intervalMs)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &StallProbe::onTick);
}

void StallProbe::start()
{
    m_maxLateNs = 0;
    m_ticks = 0;
    m_over50 = 0;
    m_clock.start();
    m_lastNs = 0;
    m_timer.start();
}

void StallProbe::stop()
{
    m_timer.stop();
    onTick(); // the time since the last tick counts too
}

void StallProbe::onTick()
{
    const qint64 now = m_clock.nsecsElapsed();
    const qint64 late = now - m_lastNs - qint64(m_intervalMs) * 1000000;
    m_lastNs = now;
    ++m_ticks;
    if (late > m_maxLateNs)
        m_maxLateNs = late;
    if (late > 50 * 1000000LL)
        ++m_over50;
}
