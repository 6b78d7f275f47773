// OutsideEditor: a program that knows nothing about CacheLab and edits the
// product table through the sqlite3 C API, like a person in the sqlite3
// shell. Runs on its own thread during the chaos run; its edits come from
// its own PRNG (seeded from the run's seed). Each edit is one BEGIN
// IMMEDIATE transaction that also reads back the version the row was left
// with, so the checks know which version every outside edit owns.
//
// readRows() is the checks' view of the truth: the product table, read
// with the same C API after the run.
#pragma once

#include "chaoshistory.h"

#include <QHash>
#include <QRandomGenerator>
#include <QString>

#include <atomic>
#include <optional>

struct SqlRow
{
    qint64 id = 0;
    QString name;
    qint64 price = 0;
    qint64 version = 0;
};

class OutsideEditor final
{
public:
    OutsideEditor(const QString &dbPath, quint32 runSeed, const ChaosIds &ids, ChaosHistory &history);

    /// Edits fixed ids every 30..150 ms until stop is set or the history's
    /// clock passes untilMs. Call on the editor's own thread.
    void run(const std::atomic<bool> &stop, qint64 untilMs);

    /// Every row of the products table, or nullopt and *error.
    static std::optional<QHash<qint64, SqlRow>> readRows(const QString &dbPath, QString *error);

private:
    const QString m_dbPath;
    const ChaosIds m_ids;
    ChaosHistory &m_history;
    QRandomGenerator m_rng;
};
