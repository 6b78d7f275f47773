// reliabilityutil.h: small helpers shared by the reliability tests.
//
// await() turns one asynchronous callback into a value with a bounded wait
// (the event loop keeps running); rssKiB() reads this process's resident
// set size from /proc for memory-growth checks; LogCapture collects every
// qDebug/qInfo/qWarning/qCritical line while it exists.
#pragma once

#include <functional>
#include <optional>
#include <QFile>
#include <QMutex>
#include <QMutexLocker>
#include <QStringList>
#include <QTest>

namespace reliability {

/// Runs call(context, callback) and waits at most waitMs for the callback.
template<typename Result, typename Call> std::optional<Result> await(Call &&call, int waitMs = 10000)
{
    std::optional<Result> out;
    QObject context;
    call(&context, [&out](const Result &r) { out = r; });
    (void)QTest::qWaitFor([&out] { return out.has_value(); }, waitMs);
    return out;
}

/// Resident set size of this process in KiB (0 if /proc is unavailable).
inline qint64 rssKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return 0;
}

/// Installs a message handler that records every message (all categories,
/// debug included) and forwards it to the previous handler.
class LogCapture final
{
public:
    LogCapture()
    {
        s_self = this;
        m_previous = qInstallMessageHandler(&LogCapture::handle);
    }
    ~LogCapture()
    {
        qInstallMessageHandler(m_previous);
        s_self = nullptr;
    }
    QStringList lines() const
    {
        QMutexLocker lock(&m_mutex);
        return m_lines;
    }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
    {
        if (LogCapture *self = s_self) {
            {
                QMutexLocker lock(&self->m_mutex);
                self->m_lines << QString::fromUtf8(context.category ? context.category : "") + QLatin1Char(' ')
                        + message;
            }
            if (self->m_previous)
                self->m_previous(type, context, message);
        }
    }

    static inline LogCapture *s_self = nullptr;
    QtMessageHandler m_previous = nullptr;
    mutable QMutex m_mutex;
    QStringList m_lines;
};

} // namespace reliability
