// ChaosInstance: one full CacheLab process (the built cachelab binary with
// --redis, --db and --api-port) under the chaos test's control.
//
// Its HOME and XDG folders are private, so nothing of the person running
// the test is read or written; its output is appended to a log in the
// work folder. An exit the test did not cause (kill()) is kept until
// takeUnexpectedExit() reports it. Every wait is bounded.
#pragma once

#include <QProcess>
#include <QString>

#include <memory>
#include <optional>

class ChaosInstance final
{
public:
    static constexpr int ReadyTimeoutMs = 20000;

    ChaosInstance(int index, QString binary, QString workDir);
    ~ChaosInstance(); ///< SIGKILL

    /// Starts cachelab (on its last port if it had one) and waits until
    /// GET /strategy answers 200. A port that cannot be bound is replaced.
    bool start(const QString &redisUrl, const QString &dbPath, const QString &strategy, QString *error);
    /// SIGKILL, waits for the exit. Not an unexpected exit.
    void kill();
    bool isRunning() const;
    /// "exited with code 3" / "crashed" once for an exit nobody asked for.
    std::optional<QString> takeUnexpectedExit();
    quint16 port() const { return m_port; }
    QString logPath() const { return m_logPath; }
    /// The end of the log, for failure output.
    QString logTail(int bytes = 1500) const;

private:
    bool launch(const QString &redisUrl, const QString &dbPath, const QString &strategy, QString *error);

    const int m_index;
    const QString m_binary;
    const QString m_workDir;
    const QString m_logPath;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
    bool m_killing = false;
    std::optional<QString> m_unexpectedExit;
};
