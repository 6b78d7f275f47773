// ShootOutLab: one workload under all five strategies, side by side: the
// table a class fills in by hand.
//
// Two CacheLab instances on one Redis and one SQLite file share a workload
// of reads and writes (reads:writes settable, Zipf-popular products, a fixed
// number of calls in flight). For each strategy in turn, from an empty cache:
// the hit ratio, read and write latency (p50, p99), SQLite reads and writes
// per second, how long the other instance still reads the old value after a
// write (a probe each second: write on one, read on the other until the new
// value shows), and how many acknowledged writes are at risk at any moment
// (queued for write-behind, not yet in SQLite).
#pragma once

#include "cachesim.h"
#include "lab.h"

#include <QElapsedTimer>
#include <QTimer>
#include <memory>
#include <optional>
#include <vector>

class LabBackend;

class ShootOutLab final : public Lab
{
    Q_OBJECT

public:
    explicit ShootOutLab(QObject *parent = nullptr);
    ~ShootOutLab() override;

    QString name() const override { return QStringLiteral("strategy-shoot-out"); }
    QString title() const override;
    QString description() const override;
    QString referenceText() const override;

protected:
    void plan() override;
    void conclude() override;
    void releaseResources() override;

private:
    struct Figures
    {
        QString strategy;
        qint64 reads = 0, writes = 0, errors = 0;
        std::vector<double> readMs, writeMs, staleMs;
        quint64 hits = 0, misses = 0, sqlReads = 0, sqlWrites = 0;
        int atRiskMax = 0;
        double atRiskSum = 0;
        int atRiskSamples = 0;
        double seconds = 0;
    };
    struct Totals
    {
        quint64 hits = 0, misses = 0, sqlReads = 0, sqlWrites = 0;
    };
    Totals totals() const;
    void planStrategy(int index);
    void runLoad(int index, StepDone done);
    void issue(int index, int worker);
    void probe(int index, std::function<void(double ms)> done);
    void pollProbe();

    std::unique_ptr<LabBackend> m_backend;
    std::vector<Figures> m_figures;
    std::vector<qint64> m_ids; ///< product ids by popularity rank
    std::optional<CacheSim::Zipf> m_zipf;
    Totals m_before;
    QElapsedTimer m_clock;
    qint64 m_loadEndsAt = 0;
    int m_workersLeft = 0;
    StepDone m_loadDone;
    QTimer m_riskSampler;
    qint64 m_probeSeq = 0;
    qint64 m_probeId = 0;
    qint64 m_probePrice = 0;
    QElapsedTimer m_probeSince;
    std::function<void(double)> m_probeDone;
};
