// OperationTrace rendering: JSON for the HTTP API, text for logs, and the
// redaction of secrets in Redis command text.
#include "operationtrace.h"

#include <QJsonArray>

QString traceSystemName(TraceSystem system)
{
    switch (system) {
    case TraceSystem::App:
        return QStringLiteral("app");
    case TraceSystem::Redis:
        return QStringLiteral("redis");
    case TraceSystem::Sql:
        return QStringLiteral("sql");
    }
    return QStringLiteral("app");
}

QString traceOutcomeName(TraceOutcome outcome)
{
    switch (outcome) {
    case TraceOutcome::Ok:
        return QStringLiteral("ok");
    case TraceOutcome::Hit:
        return QStringLiteral("hit");
    case TraceOutcome::Miss:
        return QStringLiteral("miss");
    case TraceOutcome::NegativeHit:
        return QStringLiteral("negative-hit");
    case TraceOutcome::Fill:
        return QStringLiteral("fill");
    case TraceOutcome::StaleSkip:
        return QStringLiteral("stale-skip");
    case TraceOutcome::Invalidate:
        return QStringLiteral("invalidate");
    case TraceOutcome::Queue:
        return QStringLiteral("queue");
    case TraceOutcome::Coalesced:
        return QStringLiteral("coalesced");
    case TraceOutcome::LockWait:
        return QStringLiteral("lock-wait");
    case TraceOutcome::EarlyRefresh:
        return QStringLiteral("early-refresh");
    case TraceOutcome::Deferred:
        return QStringLiteral("deferred");
    case TraceOutcome::Unavailable:
        return QStringLiteral("unavailable");
    case TraceOutcome::Skipped:
        return QStringLiteral("skipped");
    case TraceOutcome::NotFound:
        return QStringLiteral("not-found");
    case TraceOutcome::Invalid:
        return QStringLiteral("invalid");
    case TraceOutcome::Conflict:
        return QStringLiteral("conflict");
    case TraceOutcome::Error:
        return QStringLiteral("error");
    }
    return QStringLiteral("ok");
}

QJsonObject TraceStep::toJson() const
{
    QJsonObject o { { QStringLiteral("system"), traceSystemName(system) }, { QStringLiteral("text"), text },
        { QStringLiteral("outcome"), traceOutcomeName(outcome) }, { QStringLiteral("micros"), micros } };
    if (!detail.isEmpty())
        o.insert(QStringLiteral("detail"), detail);
    return o;
}

bool OperationTrace::hasStep(TraceOutcome wanted) const
{
    return std::any_of(steps.cbegin(), steps.cend(), [&](const TraceStep &s) { return s.outcome == wanted; });
}

bool OperationTrace::hasStep(TraceSystem system, TraceOutcome wanted) const
{
    return std::any_of(
        steps.cbegin(), steps.cend(), [&](const TraceStep &s) { return s.system == system && s.outcome == wanted; });
}

QList<TraceStep> OperationTrace::stepsOf(TraceSystem system) const
{
    QList<TraceStep> out;
    for (const TraceStep &s : steps) {
        if (s.system == system)
            out << s;
    }
    return out;
}

int OperationTrace::count(TraceSystem system) const
{
    return int(std::count_if(steps.cbegin(), steps.cend(), [&](const TraceStep &s) { return s.system == system; }));
}

QJsonObject OperationTrace::toJson() const
{
    QJsonArray arr;
    for (const TraceStep &s : steps)
        arr.append(s.toJson());
    QJsonObject o { { QStringLiteral("id"), qint64(id) }, { QStringLiteral("operation"), operation },
        { QStringLiteral("strategy"), strategyName(strategy) },
        { QStringLiteral("started"), started.toString(Qt::ISODateWithMs) }, { QStringLiteral("steps"), arr },
        { QStringLiteral("outcome"), traceOutcomeName(outcome) }, { QStringLiteral("totalMicros"), totalMicros } };
    if (productId > 0)
        o.insert(QStringLiteral("productId"), productId);
    if (causedBy > 0)
        o.insert(QStringLiteral("causedBy"), qint64(causedBy));
    if (background)
        o.insert(QStringLiteral("background"), true);
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    return o;
}

QString OperationTrace::toText() const
{
    QString out = QStringLiteral("#%1 %2 [%3] %4 %5 us")
                      .arg(id)
                      .arg(operation, strategyName(strategy), traceOutcomeName(outcome))
                      .arg(totalMicros);
    if (!error.isEmpty())
        out += QStringLiteral(" - ") + error;
    for (const TraceStep &s : steps) {
        out += QStringLiteral("\n  %1 %2 -> %3 (%4 us)")
                   .arg(traceSystemName(s.system), -5)
                   .arg(s.text, traceOutcomeName(s.outcome))
                   .arg(s.micros);
        if (!s.detail.isEmpty())
            out += QStringLiteral(" ") + s.detail;
    }
    return out;
}

namespace {
// True when the slow path below would print every argument unchanged: no
// secret-bearing command, and each argument non-empty, at most 48 bytes and
// plain printable ASCII without a quote (so no quoting, eliding or escaping).
bool isPlainCommand(const QList<QByteArray> &args)
{
    if (args.isEmpty())
        return false;
    const QByteArray &name = args.first();
    if (name.compare("AUTH", Qt::CaseInsensitive) == 0 || name.compare("HELLO", Qt::CaseInsensitive) == 0
        || name.compare("CONFIG", Qt::CaseInsensitive) == 0)
        return false;
    for (const QByteArray &a : args) {
        if (a.isEmpty() || a.size() > 48)
            return false;
        for (const char c : a) {
            if (c <= ' ' || c > '~' || c == '"')
                return false;
        }
    }
    return true;
}
} // namespace

QString redactedCommandText(const QList<QByteArray> &args, int maxChars)
{
    // Every traced Redis command comes through here, so the common case
    // (short plain arguments) is joined directly into one string.
    if (isPlainCommand(args)) {
        qsizetype total = args.size() - 1;
        for (const QByteArray &a : args)
            total += a.size();
        QString out;
        out.reserve(total);
        for (qsizetype i = 0; i < args.size(); ++i) {
            if (i > 0)
                out += QLatin1Char(' ');
            out += QLatin1StringView(args.at(i));
        }
        if (out.size() > maxChars)
            out = out.left(maxChars - 3) + QStringLiteral("...");
        return out;
    }
    QStringList parts;
    const QByteArray name = args.isEmpty() ? QByteArray() : args.first().toUpper();
    for (qsizetype i = 0; i < args.size(); ++i) {
        bool secret = false;
        if (name == "AUTH" && i >= 1)
            secret = true;
        if (name == "HELLO" && i >= 2 && args.at(i - 1).toUpper() == "AUTH")
            secret = true;
        if (name == "HELLO" && i >= 3 && args.at(i - 2).toUpper() == "AUTH")
            secret = true;
        if (name == "CONFIG" && i == 3 && args.size() > 2) {
            const QByteArray param = args.at(2).toLower();
            secret = param == "requirepass" || param == "masterauth" || param == "masteruser";
        }
        if (secret) {
            parts << QStringLiteral("***");
            continue;
        }
        QString text = QString::fromUtf8(args.at(i));
        if (text.size() > 48)
            text = text.left(45) + QStringLiteral("...");
        if (text.isEmpty() || text.contains(QLatin1Char(' ')) || text.contains(QLatin1Char('"')))
            text = QLatin1Char('"') + text.replace(QLatin1Char('"'), QStringLiteral("\\\"")) + QLatin1Char('"');
        parts << text;
    }
    QString out = parts.join(QLatin1Char(' '));
    out.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    if (out.size() > maxChars)
        out = out.left(maxChars - 3) + QStringLiteral("...");
    return out;
}
