// AvalancheLab: two ways a cache sends the whole load to the database.
//
// Avalanche: keys filled together with one TTL expire together, and every
// one of them is loaded again in the same moment. The lab fills N products
// at once, reads each of them every half second, and counts SQLite reads per
// 100 ms, first with one TTL for all, then with the TTL spread by +-J%:
// the peak falls by about the ratio of the two expiry windows.
//
// Penetration: gets of ids that never existed miss the cache every time.
// Without negative caching each get reads SQLite; with it, only the first
// get of each id; with CacheLab's Bloom filter of every id ever created, none
// but the filter's false positives, whose measured rate is shown beside the
// formula (1 - e^(-kn/m))^k for the filter's own m, k and n.
#pragma once

#include "lab.h"

#include <QElapsedTimer>
#include <memory>
#include <vector>

class LabBackend;

class AvalancheLab final : public Lab
{
    Q_OBJECT

public:
    explicit AvalancheLab(QObject *parent = nullptr);
    ~AvalancheLab() override;

    QString name() const override { return QStringLiteral("avalanche-and-penetration"); }
    QString title() const override;
    QString description() const override;
    QString referenceText() const override;

    static constexpr int TickMs = 100;      ///< one bucket of the load chart
    static constexpr int ReadPeriodMs = 500; ///< each key is read this often
    static constexpr qint64 MissingBase = 10000000; ///< ids from here on never exist

protected:
    void plan() override;
    void conclude() override;
    void releaseResources() override;

private:
    struct Avalanche
    {
        int jitter = 0;
        std::vector<double> loadsPerSecond; ///< per tick
        qint64 total = 0;
    };
    struct Penetration
    {
        QString mode;
        qint64 gets = 0;
        qint64 dbReads = 0;
        qint64 expected = 0;
    };
    void planAvalanche(int run);
    void planPenetration(int mode);
    quint64 dbReads() const;
    void getMany(QList<qint64> ids, std::function<void()> done);

    std::unique_ptr<LabBackend> m_backend;
    Avalanche m_avalanche[2];
    Penetration m_penetration[3];
    QList<qint64> m_ids; ///< the products that exist
    QElapsedTimer m_clock;
    qint64 m_runStartMs = 0;
    double m_fpFormula = 0;
    double m_fpMeasured = 0;
    qint64 m_bits = 0, m_items = 0;
    int m_hashes = 0;
};
