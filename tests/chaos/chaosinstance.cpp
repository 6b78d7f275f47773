// ChaosInstance: launch, readiness poll, SIGKILL, exit bookkeeping.
#include "chaosinstance.h"

#include "chaoshttp.h"
#include "freeport.h"
#include "testtime.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcessEnvironment>

#include <csignal>
#include <sys/prctl.h>

ChaosInstance::ChaosInstance(int index, QString binary, QString workDir)
    : m_index(index)
    , m_binary(std::move(binary))
    , m_workDir(std::move(workDir))
    , m_logPath(QDir(m_workDir).filePath(QStringLiteral("instance-%1.log").arg(QLatin1Char(index == 0 ? 'A' : 'B'))))
{ }

ChaosInstance::~ChaosInstance()
{
    kill();
}

bool ChaosInstance::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

std::optional<QString> ChaosInstance::takeUnexpectedExit()
{
    // The finished signal needs the event loop; ask the process directly too.
    if (m_process && m_process->state() != QProcess::NotRunning)
        m_process->waitForFinished(0);
    std::optional<QString> out = std::move(m_unexpectedExit);
    m_unexpectedExit.reset();
    return out;
}

void ChaosInstance::kill()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_killing = true;
        m_process->kill();
        m_process->waitForFinished(5000);
    }
    m_killing = false;
    m_process.reset();
}

QString ChaosInstance::logTail(int bytes) const
{
    QFile log(m_logPath);
    if (!log.open(QIODevice::ReadOnly))
        return QString();
    if (log.size() > bytes)
        log.seek(log.size() - bytes);
    return QString::fromUtf8(log.readAll());
}

bool ChaosInstance::start(const QString &redisUrl, const QString &dbPath, const QString &strategy, QString *error)
{
    kill();
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (m_port == 0 || attempt > 0)
            m_port = freeLoopbackPort();
        if (m_port != 0 && launch(redisUrl, dbPath, strategy, error))
            return true;
    }
    return false;
}

bool ChaosInstance::launch(const QString &redisUrl, const QString &dbPath, const QString &strategy, QString *error)
{
    const QString home = QDir(m_workDir).filePath(QStringLiteral("home-%1").arg(m_index));
    QDir().mkpath(home);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), home + QStringLiteral("/cache"));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), home);
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.remove(QStringLiteral("CACHELAB_REDIS_URL"));

    m_process = std::make_unique<QProcess>();
    m_process->setProgram(m_binary);
    m_process->setArguments({ QStringLiteral("--redis"), redisUrl, QStringLiteral("--db"), dbPath,
        QStringLiteral("--api-port"), QString::number(m_port), QStringLiteral("--strategy"), strategy });
    m_process->setProcessEnvironment(env);
    m_process->setStandardOutputFile(m_logPath, QIODevice::Append);
    m_process->setStandardErrorFile(m_logPath, QIODevice::Append);
    // If the test dies, its instances must not outlive it.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    QProcess *process = m_process.get();
    QObject::connect(process, &QProcess::finished, process, [this, process](int code, QProcess::ExitStatus status) {
        if (m_killing || m_process.get() != process)
            return;
        m_unexpectedExit = status == QProcess::CrashExit ? QStringLiteral("crashed (signal %1)").arg(code)
                                                         : QStringLiteral("exited with code %1").arg(code);
    });
    m_process->start();
    if (!m_process->waitForStarted(5000)) {
        *error = QStringLiteral("cannot start %1: %2").arg(m_binary, m_process->errorString());
        m_process.reset();
        return false;
    }

    // Ready when the HTTP API answers; it listens only once the backend is.
    // A hang bound, stretched for the (slower) sanitizer build.
    ChaosHttp http;
    const QDeadlineTimer deadline(TestTime::scaled(ReadyTimeoutMs));
    while (!deadline.hasExpired()) {
        const HttpAnswer a = http.request(m_port, "GET", "/strategy", {}, 500);
        if (a.transport == HttpAnswer::Transport::Ok && a.status == 200)
            return true;
        // Doubles as the poll interval and notices an early exit.
        if (m_process->waitForFinished(50) || m_process->state() == QProcess::NotRunning)
            break;
    }
    *error = QStringLiteral("cachelab on port %1 was not ready within %2 ms (%3); log:\n%4")
                 .arg(m_port)
                 .arg(TestTime::scaled(ReadyTimeoutMs))
                 .arg(m_process->state() == QProcess::NotRunning
                         ? QStringLiteral("exit code %1").arg(m_process->exitCode())
                         : QStringLiteral("still running"),
                     logTail());
    m_unexpectedExit.reset(); // a failed start is reported by the caller
    kill();
    return false;
}
