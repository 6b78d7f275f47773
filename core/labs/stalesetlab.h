// StaleSetLab: the race a version guard prevents, stepped by hand.
//
// A reader misses and reads version v1 from SQLite; before it writes the
// cache, a writer commits v2 and deletes the key (cache-aside's
// invalidation); then the reader writes v1. Without a guard the cache now
// serves v1 until the TTL runs out, though SQLite has v2. CacheLab's guard
// (a compare-and-set fill that checks the version Redis last saw, and an
// invalidation marker the delete leaves) refuses that late fill. The lab
// plays the same four steps with the guard off, then on, on CacheLab's own
// service: the reader's fill is held between its SELECT and its write, so
// the order is the lab's, not chance's.
#pragma once

#include "lab.h"
#include "product.h"

#include <functional>
#include <optional>
#include <memory>

class LabBackend;
struct OperationTrace;

class StaleSetLab final : public Lab
{
    Q_OBJECT

public:
    explicit StaleSetLab(QObject *parent = nullptr);
    ~StaleSetLab() override;

    QString name() const override { return QStringLiteral("stale-set"); }
    QString title() const override;
    QString description() const override;
    QString referenceText() const override;

    static constexpr qint64 ProductId = 1;
    /// "HGETALL product:1 (miss) -> SELECT ... (ok) -> ...": a trace in one line.
    static QString oneLine(const OperationTrace &trace);

protected:
    void plan() override;
    void conclude() override;
    void releaseResources() override;

private:
    struct Race
    {
        bool guard = false;
        qint64 readerVersion = 0;
        qint64 writerVersion = 0;
        bool fillWritten = false;
        qint64 servedVersion = 0;
        bool servedFromCache = false;
        qint64 staleForMs = 0; ///< the key's PTTL when it was caught serving the old version
    };
    void planRace(int race);

    std::unique_ptr<LabBackend> m_backend;
    Race m_races[2];
    bool m_holdNextFill = false;
    std::function<void()> m_heldFill;
    std::function<void()> m_fillReached;
    std::function<void()> m_readerDone;
    bool m_readerFinished = false;
    qint64 m_readerVersionSeen = 0;
    std::optional<Product> m_product; ///< the row as the writer starts from it
    QString m_readerLine;
};
