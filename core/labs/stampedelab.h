// StampedeLab: many readers of one hot key at the moment it expires, with a
// slow database, under each of CacheLab's stampede protections.
//
// For each mode (off, single-flight, lock, xfetch) and for one and two
// CacheLab instances on the same Redis: fill product 1 with a short TTL,
// read it every 100 ms while it lives (what gives XFetch its chance to
// refresh early), then at its expiry send C gets at once, spread over the
// instances, and count the SQLite reads they cause. Off loads C times;
// single-flight once per instance (it coalesces inside one process); the
// Redis lock once in all; XFetch usually not at all, because a reader before
// the expiry refreshed the entry.
#pragma once

#include "cachesettings.h"
#include "lab.h"

#include <QElapsedTimer>
#include <memory>
#include <vector>

class LabBackend;
class ProductService;

class StampedeLab final : public Lab
{
    Q_OBJECT

public:
    explicit StampedeLab(QObject *parent = nullptr);
    ~StampedeLab() override;

    QString name() const override { return QStringLiteral("stampede"); }
    QString title() const override;
    QString description() const override;
    QString referenceText() const override;

    static constexpr qint64 HotId = 1;

protected:
    void plan() override;
    void conclude() override;
    void releaseResources() override;

private:
    struct Run
    {
        StampedeMode mode = StampedeMode::Off;
        int instances = 1;
        qint64 earlyLoads = 0; ///< SQLite reads while the entry lived (XFetch's early refresh)
        qint64 burstLoads = 0; ///< SQLite reads caused by the burst at expiry
        std::vector<double> latenciesMs;
        int errors = 0;
    };
    void planRun(std::size_t run);
    quint64 dbReads() const;
    void readWhileAlive(std::size_t run, StepDone done, qint64 deadlineMs, int tick);

    std::unique_ptr<LabBackend> m_backend;
    std::vector<Run> m_runs;
    QElapsedTimer m_clock;
    qint64 m_filledAtMs = 0;
    int m_expiryPolls = 0;
};
