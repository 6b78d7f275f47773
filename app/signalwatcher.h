// SignalWatcher: SIGINT, SIGTERM and SIGHUP as a Qt signal.
//
// The handler itself only writes the signal number into a socket pair (the
// self-pipe pattern: write() is async-signal-safe, no Qt call is); a
// QSocketNotifier on the other end emits received() on the event loop, where
// the app shuts down as if the window had been closed. The handlers are
// installed with SA_RESETHAND, so a second Ctrl+C while the clean shutdown
// runs ends the process the default way.
#pragma once

#include <QObject>

class QSocketNotifier;

class SignalWatcher final : public QObject
{
    Q_OBJECT

public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

    bool isActive() const { return m_notifier != nullptr; }

signals:
    void received(int signalNumber);

private:
    static void onSignal(int signalNumber);
    void readPending();

    QSocketNotifier *m_notifier = nullptr;
};
