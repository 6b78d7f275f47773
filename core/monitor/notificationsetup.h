// NotificationSetup: keyspace notifications on a server, with consent.
//
// The events panel and the key browser need notify-keyspace-events to hold
// K (keyspace channel) and A (every event class). The embedded server is
// CacheLab's own and is set up without a question. A server someone else
// runs is not changed silently: on each connect the current value is read
// (CONFIG GET); when it lacks K or A the setup asks (questionAsked(),
// answered with answer()) and reports every change it makes (changed(),
// naming the old and new value). Policy::SetQuietly (the embedded server)
// sends CONFIG SET ... KEA first thing on every connect, as before. The old value is kept; restore() puts it back
// (Backend::shutdown() calls it when the user asked for that).
//
// Only flags are added: a server that had "Ex" gets "AKEx" (what Redis
// prints for "KEA" plus x), so whatever else relied on its events keeps them.
#pragma once

#include <QObject>
#include <QString>

#include <functional>

class RedisClient;

class NotificationSetup final : public QObject
{
    Q_OBJECT

public:
    enum class Policy { SetQuietly, Ask };
    enum class State {
        Unknown, ///< not connected yet, or CONFIG GET pending
        Covered, ///< the server already sends what CacheLab needs
        Asking, ///< waiting for answer()
        Declined, ///< the user said no (for this session)
        Changed, ///< CacheLab changed the value (previousFlags() holds the old one)
        Failed, ///< CONFIG GET/SET refused (ACL) or failed; see failed()
    };
    Q_ENUM(State)

    NotificationSetup(RedisClient *client, Policy policy, QObject *parent = nullptr);

    State state() const { return m_state; }
    Policy policy() const { return m_policy; }
    /// The value read on the last connect ("" when every notification is off).
    QString currentFlags() const { return m_current; }
    /// What CacheLab would set: the current flags plus K, E and A.
    QString proposedFlags() const;
    /// The value before CacheLab changed it (valid in State::Changed).
    QString previousFlags() const { return m_previous; }
    /// Whether restore() will put previousFlags() back.
    bool restoresOnExit() const { return m_restoreOnExit; }

    /// The user's reply to questionAsked(). allow: set proposedFlags();
    /// restoreOnExit: restore() puts the old value back.
    void answer(bool allow, bool restoreOnExit);
    /// Puts previousFlags() back if CacheLab changed the value and restoring
    /// was asked for; done() runs in any case (at once when there is nothing to do).
    void restore(QObject *context, std::function<void()> done);

    /// True when flags already include K and A.
    static bool covers(const QString &flags);

signals:
    /// The server lacks keyspace notifications: ask the user (Policy::Ask).
    void questionAsked(const QString &current, const QString &proposed);
    /// CacheLab changed the server's notify-keyspace-events.
    void changed(const QString &before, const QString &after);
    /// The old value was put back.
    void restored(const QString &flags);
    /// Reading or setting the value failed (an explanation a person can act on).
    void failed(const QString &message);
    void stateChanged(NotificationSetup::State state);

private:
    void onConnected();
    void apply();
    void setState(State state);

    RedisClient *m_client;
    Policy m_policy;
    State m_state = State::Unknown;
    QString m_current;
    QString m_previous;
    bool m_allowed = false; ///< answered yes this session: reconnects set it again without asking
    bool m_declined = false;
    bool m_restoreOnExit = false;
    bool m_changedOnce = false; ///< m_previous holds the server's own value
};
