// FaultSchedule: the draws. Every field of a step is drawn whatever its
// kind, so each step takes the same share of its sequence.
#include "faultschedule.h"

#include <QCryptographicHash>

namespace {

QRandomGenerator sequenceRng(quint32 runSeed, quint32 salt)
{
    const quint32 seeds[] = { runSeed, 0xfa17u, salt };
    return QRandomGenerator(seeds, 3);
}

} // namespace

FaultSchedule::FaultSchedule(quint32 runSeed, const QStringList &strategies)
    : m_strategies(strategies)
    , m_switchRng(sequenceRng(runSeed, 1))
    , m_redisRng(sequenceRng(runSeed, 2))
    , m_instanceRng(sequenceRng(runSeed, 3))
{
    m_initial[0] = pick();
    m_initial[1] = pick();
    m_firstRedisKill = int(m_redisRng.bounded(2));
}

QString FaultSchedule::pick()
{
    return m_strategies.at(int(m_switchRng.bounded(quint32(m_strategies.size()))));
}

FaultSchedule::Switch FaultSchedule::nextSwitch()
{
    Switch s;
    s.afterMs = 800 + qint64(m_switchRng.bounded(1700));
    const int which = int(m_switchRng.bounded(3)); // A, B or both
    s.first = which != 1;
    s.second = which != 0;
    s.strategyA = pick();
    s.strategyB = pick();
    return s;
}

FaultSchedule::RedisFault FaultSchedule::nextRedisFault()
{
    RedisFault f;
    f.afterMs = 1500 + qint64(m_redisRng.bounded(3000));
    // Kills and stops alternate (which comes first is drawn), so even a
    // short run has both.
    f.kill = (m_redisFaults++ + m_firstRedisKill) % 2 == 0;
    const int downMs = 100 + int(m_redisRng.bounded(700));
    const int stoppedMs = 800 + int(m_redisRng.bounded(2700));
    f.lengthMs = f.kill ? downMs : stoppedMs;
    return f;
}

FaultSchedule::InstanceFault FaultSchedule::nextInstanceFault()
{
    InstanceFault f;
    f.afterMs = 2500 + qint64(m_instanceRng.bounded(4500));
    f.instance = int(m_instanceRng.bounded(2));
    f.downMs = 100 + int(m_instanceRng.bounded(700));
    return f;
}

QByteArray FaultSchedule::fingerprint(quint32 runSeed, const QStringList &strategies, int n)
{
    FaultSchedule s(runSeed, strategies);
    QCryptographicHash digest(QCryptographicHash::Sha1);
    digest.addData((s.initialStrategy(0) + QLatin1Char(' ') + s.initialStrategy(1)).toUtf8());
    for (int i = 0; i < n; ++i) {
        const Switch w = s.nextSwitch();
        const RedisFault r = s.nextRedisFault();
        const InstanceFault f = s.nextInstanceFault();
        digest.addData(QStringLiteral("%1 %2 %3 %4 %5|%6 %7 %8|%9 %10 %11")
                           .arg(w.afterMs)
                           .arg(w.first)
                           .arg(w.second)
                           .arg(w.strategyA, w.strategyB)
                           .arg(r.afterMs)
                           .arg(r.kill)
                           .arg(r.lengthMs)
                           .arg(f.afterMs)
                           .arg(f.instance)
                           .arg(f.downMs)
                           .toUtf8());
    }
    return digest.result();
}
