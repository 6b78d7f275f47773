// FaultSchedule: what the chaos run's fault loop does next, from the seed.
//
// Three independent sequences, each from its own PRNG: strategy switches
// (only when the run switches strategies), redis-server faults (SIGKILL and
// restart from the AOF, or SIGSTOP ... SIGCONT) and instance faults (SIGKILL
// of one cachelab and its restart). The three run side by side, so a switch
// can land while Redis is stopped or an instance is down; each sequence is
// the seed's alone, whatever the timing that interleaves them.
#pragma once

#include <QByteArray>
#include <QRandomGenerator>
#include <QString>
#include <QStringList>

class FaultSchedule final
{
public:
    struct Switch
    {
        qint64 afterMs = 0; ///< after the previous switch
        bool first = true; ///< switch instance A
        bool second = true; ///< switch instance B
        QString strategyA;
        QString strategyB;
    };
    struct RedisFault
    {
        qint64 afterMs = 0; ///< after the previous redis fault ended
        bool kill = false; ///< SIGKILL (else SIGSTOP)
        int lengthMs = 0; ///< down, or stopped
    };
    struct InstanceFault
    {
        qint64 afterMs = 0; ///< after the previous instance fault ended
        int instance = 0;
        int downMs = 0;
    };

    FaultSchedule(quint32 runSeed, const QStringList &strategies);

    /// The strategy each instance starts with (the run's switches begin from it).
    QString initialStrategy(int instance) const { return m_initial[instance == 0 ? 0 : 1]; }
    Switch nextSwitch();
    RedisFault nextRedisFault();
    InstanceFault nextInstanceFault();

    /// A digest of the first n entries of all three sequences.
    static QByteArray fingerprint(quint32 runSeed, const QStringList &strategies, int n);

private:
    QString pick();

    QStringList m_strategies;
    QRandomGenerator m_switchRng;
    QRandomGenerator m_redisRng;
    QRandomGenerator m_instanceRng;
    QString m_initial[2];
    int m_firstRedisKill = 0;
    int m_redisFaults = 0;
};
