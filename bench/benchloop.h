// Event-loop helpers for the benchmark program.
//
// The bench drives CacheLab's asynchronous API from main(): it is allowed to
// spin the Qt event loop until a condition holds (the app itself never
// does). Also: a timer-lag probe for "longest GUI-thread stall", and the
// process's resident memory from /proc/self/status.
#pragma once

#include <functional>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace BenchLoop {

/// Runs the event loop until cond() is true or timeoutMs passed. cond() is
/// checked after every batch of events and at least every 5 ms.
/// Returns cond()'s final value.
bool waitUntil(const std::function<bool()> &cond, int timeoutMs);

/// Runs a QEventLoop and calls start(quit) once it runs; the work calls
/// quit() when it is done. For tight asynchronous chains, where checking a
/// condition after every event would cost. false on timeout.
bool runLoop(const std::function<void(const std::function<void()> &quit)> &start, int timeoutMs);

/// Resident set size of this process in bytes (VmRSS), 0 if unknown.
qint64 residentBytes();
/// VmRSS of another process (a child the scenario started), 0 when unknown.
qint64 residentBytesOf(qint64 pid);
/// Peak resident set size (VmHWM) in bytes, 0 if unknown.
qint64 peakResidentBytes();
/// Returns freed heap pages to the OS (glibc malloc_trim) so RSS deltas
/// measure live memory, not the allocator's cache.
void trimHeap();

} // namespace BenchLoop

/// Measures how late a 10 ms timer fires while work runs on this thread:
/// the longest gap between two ticks minus the interval is the longest stall
/// of the event loop (what a user would feel as a frozen window).
class StallProbe final : public QObject
{
    Q_OBJECT

public:
    explicit StallProbe(int intervalMs = 10, QObject *parent = nullptr);
    void start();
    void stop();
    /// Longest lateness seen, in milliseconds.
    double maxStallMs() const { return double(m_maxLateNs) / 1e6; }
    /// Ticks seen while running.
    qint64 ticks() const { return m_ticks; }
    /// Ticks later than 50 ms.
    qint64 ticksOver50ms() const { return m_over50; }

private:
    void onTick();

    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
    qint64 m_maxLateNs = 0;
    qint64 m_ticks = 0;
    qint64 m_over50 = 0;
    int m_intervalMs = 10;
};
