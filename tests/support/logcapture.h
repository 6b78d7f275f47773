// logcapture.h: records every log line written while it exists.
//
// TestSupport::LogCapture installs a Qt message handler that keeps each
// qDebug/qInfo/qWarning/qCritical line (prefixed with its category) and
// passes it on to the handler that was installed before, so the test output
// still shows it. Tests use it to prove that a secret never reaches a log.
#pragma once

#include <QMutex>
#include <QMutexLocker>
#include <QStringList>
#include <QtGlobal>

namespace TestSupport {

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
    LogCapture(const LogCapture &) = delete;
    LogCapture &operator=(const LogCapture &) = delete;

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

} // namespace TestSupport
