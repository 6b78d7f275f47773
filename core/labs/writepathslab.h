// WritePathsLab: acknowledged writes, then the writer process killed at a
// random moment (SIGKILL), again and again: which designs lose what they
// acknowledged?
//
// For each design a child process (`cachelab lab-writer`, crashwriter.h)
// writes as fast as it can and prints every acknowledgement; the lab kills it
// after a seeded random time, lets a fresh process recover (drain the
// queue), and compares SQLite with the last acknowledged value of every id.
// CacheLab's write-through loses nothing (it acknowledges after the commit);
// CacheLab's write-behind loses nothing (its reliable queue moves items to a
// processing list that the next process finishes); the article's
// write-behind loses exactly the ids its worker had popped and not yet saved
// when it was killed, unless a later write queued the id again: the lab
// predicts that set from the child's own POP and SAVED lines and lists both.
#pragma once

#include "lab.h"
#include "redisurl.h"

#include <QByteArray>
#include <QMap>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <deque>
#include <memory>
#include <vector>

class EmbeddedRedis;
class LabBackend;

class WritePathsLab final : public Lab
{
    Q_OBJECT

public:
    explicit WritePathsLab(QObject *parent = nullptr);
    ~WritePathsLab() override;

    QString name() const override { return QStringLiteral("write-paths-under-crash"); }
    QString title() const override;
    QString description() const override;
    QString referenceText() const override;

    /// The program that runs `lab-writer`: this one when it is cachelab, else
    /// CACHELAB_BINARY, else "cachelab" beside this program. Empty when none.
    static QString writerProgram();

protected:
    void plan() override;
    void conclude() override;
    void releaseResources() override;

private:
    struct Design
    {
        QString name;
        QString label;
        QString writer;     ///< the lab-writer design it runs
        int victim = 0;     ///< 0: kill the writer; 1: kill redis-server (no persistence); 2: (AOF everysec)
        qint64 acknowledged = 0;
        QMap<qint64, qint64> lastAck; ///< id -> last acknowledged price (all rounds)
        QSet<qint64> lost;            ///< ids whose last acknowledged price is not in SQLite now
        QSet<qint64> lostEver;        ///< every id found lost in some round
        QSet<qint64> predictedEver;   ///< article: every id the worker's lines said would be lost
        bool exact = true;            ///< each round lost only what was predicted (nothing, but for the article)
        qint64 predictedSurvived = 0; ///< article: predicted ids that were not lost after all
        int rounds = 0;
        qint64 lostTotal = 0; ///< per round, the ids whose last acknowledged write of that round was lost, summed
    };
    void planRound(int design, int round);
    void runChild(int design, bool drain, int killAfterMs, StepDone done);
    /// The redis-server the killed-Redis designs use (and kill): started,
    /// or started again on its data after a kill.
    void startVictim(bool appendOnly, StepDone done);
    RedisUrl redisFor(int design) const;
    void readLines(int design);

    std::unique_ptr<LabBackend> m_backend;
    std::unique_ptr<QProcess> m_child;
    std::unique_ptr<QTemporaryDir> m_victimDir;
    std::unique_ptr<EmbeddedRedis> m_victim;
    bool m_victimAppendOnly = false;
    QByteArray m_pending;
    std::vector<Design> m_designs;
    qint64 m_nextPrice = 1000;
    QSet<qint64> m_poppedUnsaved; ///< this round's, in the article design
    std::deque<qint64> m_queue;   ///< the article's queue as the lines tell it (RPUSH on ACK, LPOP on POP)
    QSet<qint64> m_roundPredicted;
    QMap<qint64, qint64> m_roundLast; ///< id -> last price acknowledged in this round
};
