// ChaosHistory: recording under one mutex, descriptions for the failure
// output, figures for the end of the run.
#include "chaoshistory.h"

#include <QMutexLocker>

QString opKindName(OpKind kind)
{
    switch (kind) {
    case OpKind::Get:
        return QStringLiteral("get");
    case OpKind::Update:
        return QStringLiteral("update");
    case OpKind::Upsert:
        return QStringLiteral("create-with-id");
    case OpKind::Create:
        return QStringLiteral("create");
    case OpKind::Delete:
        return QStringLiteral("delete");
    case OpKind::Invalidate:
        return QStringLiteral("invalidate");
    }
    return QStringLiteral("?");
}

QString faultKindName(FaultKind kind)
{
    switch (kind) {
    case FaultKind::StrategySwitch:
        return QStringLiteral("strategy switch");
    case FaultKind::RedisKill:
        return QStringLiteral("redis-server SIGKILL + restart");
    case FaultKind::RedisPause:
        return QStringLiteral("redis-server SIGSTOP + SIGCONT");
    case FaultKind::InstanceKill:
        return QStringLiteral("instance SIGKILL + restart");
    case FaultKind::InstanceExit:
        return QStringLiteral("instance exited by itself");
    }
    return QStringLiteral("?");
}

ChaosHistory::ChaosHistory()
    : m_start(std::chrono::steady_clock::now())
{ }

qint64 ChaosHistory::now() const
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now() - m_start).count();
}

QString ChaosHistory::at(qint64 ms)
{
    if (ms == std::numeric_limits<qint64>::max())
        return QStringLiteral("never");
    return QStringLiteral("+%1 s").arg(double(ms) / 1000.0, 0, 'f', 3);
}

QString ChaosHistory::answerKey(const ChaosOp &op)
{
    switch (op.outcome) {
    case ChaosOp::Outcome::Refused:
        return QStringLiteral("refused");
    case ChaosOp::Outcome::Unknown:
        return QStringLiteral("no answer");
    case ChaosOp::Outcome::Acked:
    case ChaosOp::Outcome::Rejected:
        break;
    }
    return QString::number(op.status);
}

void ChaosHistory::addOp(const ChaosOp &op)
{
    QMutexLocker lock(&m_mutex);
    ++m_answers[size_t(op.kind)][answerKey(op)];
    const int ms = int(op.doneMs - op.sentMs);
    const bool read = op.kind == OpKind::Get || op.kind == OpKind::Invalidate;
    if (op.kind == OpKind::Get && op.outcome == ChaosOp::Outcome::Acked && ms > m_slowestGetMs) {
        m_slowestGetMs = ms;
        m_slowestGetAtMs = op.sentMs;
    }
    // A plain, quick get (200) or invalidation is only counted.
    if (read && ms < RemarkableMs && op.outcome == ChaosOp::Outcome::Acked
        && (op.kind == OpKind::Invalidate || op.status == 200))
        return;
    if (op.writesProduct())
        m_opByName.insert(op.name, m_ops.size());
    m_ops.append(op);
}

void ChaosHistory::addOutsideEdit(const OutsideEdit &edit)
{
    QMutexLocker lock(&m_mutex);
    m_outsideByName.insert(edit.name, m_outside.size());
    m_outside.append(edit);
}

void ChaosHistory::addOutsideFailure(const QString &error)
{
    QMutexLocker lock(&m_mutex);
    if (m_outsideFailures++ == 0)
        m_firstOutsideFailure = error;
}

void ChaosHistory::addFault(const ChaosFault &fault)
{
    QMutexLocker lock(&m_mutex);
    m_faults.append(fault);
}

void ChaosHistory::setStrategy(int instance, qint64 atMs, const QString &strategy)
{
    QMutexLocker lock(&m_mutex);
    m_strategies[size_t(instance)].append(StrategyChange { atMs, strategy });
}

QString ChaosHistory::strategyAt(int instance, qint64 ms) const
{
    QString out = QStringLiteral("?");
    for (const StrategyChange &c : m_strategies[size_t(instance)]) {
        if (c.atMs > ms)
            break;
        out = c.strategy;
    }
    return out;
}

QString ChaosHistory::describe(const ChaosOp &op) const
{
    QString what = opKindName(op.kind);
    if (op.writesProduct())
        what += QStringLiteral(" '%1' price %2").arg(op.name).arg(op.price);
    if (op.id > 0)
        what += QStringLiteral(" of id %1").arg(op.id);
    QString strategy = strategyAt(op.instance, op.sentMs);
    const QString later = strategyAt(op.instance, op.doneMs);
    if (later != strategy)
        strategy += QStringLiteral(" -> ") + later;
    QString answer;
    switch (op.outcome) {
    case ChaosOp::Outcome::Acked:
        answer = QStringLiteral("%1").arg(op.status);
        if (op.writesProduct())
            answer += QStringLiteral(" id %1 version %2 '%3' price %4")
                          .arg(op.ackId)
                          .arg(op.ackVersion)
                          .arg(op.ackName)
                          .arg(op.ackPrice);
        break;
    case ChaosOp::Outcome::Rejected:
        answer = QStringLiteral("%1 %2").arg(op.status).arg(op.detail);
        break;
    case ChaosOp::Outcome::Refused:
        answer = QStringLiteral("refused (%1)").arg(op.detail);
        break;
    case ChaosOp::Outcome::Unknown:
        answer = QStringLiteral("no answer (%1)").arg(op.detail);
        break;
    }
    return QStringLiteral("client %1 op %2: %3 via instance %4 [%5], sent %6, answered %7: %8")
        .arg(op.client)
        .arg(op.seq)
        .arg(what, instanceName(op.instance), strategy, at(op.sentMs), at(op.doneMs), answer);
}

QString ChaosHistory::describe(const OutsideEdit &edit) const
{
    return QStringLiteral("outside SQL edit '%1' price %2 of id %3 at %4: left version %5 (%6)")
        .arg(edit.name)
        .arg(edit.price)
        .arg(edit.id)
        .arg(at(edit.atMs))
        .arg(edit.version)
        .arg(edit.bumpedVersion ? QStringLiteral("version = version + 1") : QStringLiteral("bumped by the trigger"));
}

QString ChaosHistory::faultsDuring(qint64 fromMs, qint64 toMs) const
{
    QString out;
    for (const ChaosFault &f : m_faults) {
        if (f.endMs < fromMs || f.atMs > toMs)
            continue;
        out += QStringLiteral("\n      fault %1 .. %2: %3%4%5")
                   .arg(at(f.atMs), at(f.endMs), faultKindName(f.kind))
                   .arg(f.instance >= 0 ? QStringLiteral(" of instance ") + instanceName(f.instance) : QString())
                   .arg(f.detail.isEmpty() ? QString() : QStringLiteral(" (") + f.detail + QLatin1Char(')'));
    }
    return out;
}

QString ChaosHistory::whoWrote(const QString &name) const
{
    if (const auto it = m_opByName.constFind(name); it != m_opByName.cend())
        return describe(m_ops.at(*it));
    if (const auto it = m_outsideByName.constFind(name); it != m_outsideByName.cend())
        return describe(m_outside.at(*it));
    if (name.startsWith(QLatin1String("seed-")))
        return QStringLiteral("the row created before the run");
    return QString();
}

std::optional<qint64> ChaosHistory::writtenBy(const QString &name) const
{
    if (const auto it = m_opByName.constFind(name); it != m_opByName.cend()) {
        const ChaosOp &op = m_ops.at(*it);
        return op.isAcked() ? std::optional<qint64>(op.doneMs) : std::nullopt;
    }
    if (const auto it = m_outsideByName.constFind(name); it != m_outsideByName.cend())
        return m_outside.at(*it).atMs;
    if (name.startsWith(QLatin1String("seed-")))
        return 0;
    return std::nullopt;
}

QStringList ChaosHistory::opFigures() const
{
    QStringList out;
    int total = 0;
    for (int k = 0; k < OpKindCount; ++k) {
        const QMap<QString, int> &answers = m_answers[size_t(k)];
        int n = 0;
        QStringList parts;
        for (auto it = answers.cbegin(); it != answers.cend(); ++it) {
            n += it.value();
            parts << QStringLiteral("%1: %2").arg(it.key()).arg(it.value());
        }
        total += n;
        out << QStringLiteral("%1: %2 (%3)").arg(opKindName(OpKind(k))).arg(n).arg(parts.join(QStringLiteral(", ")));
    }
    out.prepend(QStringLiteral("operations: %1").arg(total));
    return out;
}

QStringList ChaosHistory::faultFigures() const
{
    std::array<int, FaultKindCount> counts {};
    for (const ChaosFault &f : m_faults)
        ++counts[size_t(f.kind)];
    QStringList out;
    for (int k = 0; k < FaultKindCount; ++k)
        out << QStringLiteral("%1: %2").arg(faultKindName(FaultKind(k))).arg(counts[size_t(k)]);
    return out;
}

int ChaosHistory::acknowledgedWrites() const
{
    int n = 0;
    for (const ChaosOp &op : m_ops)
        n += op.isAcked() && op.kind != OpKind::Get && op.kind != OpKind::Invalidate ? 1 : 0;
    return n;
}
