// NotificationSetup: CONFIG GET on connect, then nothing, a question or CONFIG SET.
#include "notificationsetup.h"

#include "keyspacewatcher.h"
#include "redisclient.h"

#include <QTimer>

NotificationSetup::NotificationSetup(RedisClient *client, Policy policy, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_policy(policy)
{
    connect(m_client, &RedisClient::connected, this, &NotificationSetup::onConnected);
    if (m_client->isConnected())
        QTimer::singleShot(0, this, &NotificationSetup::onConnected);
}

bool NotificationSetup::covers(const QString &flags)
{
    return flags.contains(QLatin1Char('K')) && flags.contains(QLatin1Char('A'));
}

QString NotificationSetup::proposedFlags() const
{
    QString flags = m_current;
    for (QChar c : QStringLiteral("KEA")) {
        if (!flags.contains(c))
            flags += c;
    }
    return flags;
}

void NotificationSetup::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void NotificationSetup::onConnected()
{
    setState(State::Unknown);
    if (m_policy == Policy::SetQuietly) {
        // CacheLab's own server (or a test's): set at once, first thing on
        // the connection, so every later command's events are reported.
        m_current.clear();
        apply();
        return;
    }
    m_client->command(
        { QByteArrayLiteral("CONFIG"), QByteArrayLiteral("GET"), QByteArrayLiteral("notify-keyspace-events") }, this,
        [this](const RedisReply &r) {
            if (r.isError()) {
                setState(State::Failed);
                emit failed(
                    tr("Cannot read notify-keyspace-events (%1); live events may be missing.").arg(r.errorMessage()));
                return;
            }
            const auto pairs = r.toPairs();
            m_current = pairs.isEmpty() ? QString() : QString::fromLatin1(pairs.first().second);
            if (covers(m_current)) {
                setState(m_changedOnce ? State::Changed : State::Covered);
                return;
            }
            if (m_allowed) {
                apply();
            } else if (m_declined) {
                setState(State::Declined);
            } else {
                setState(State::Asking);
                emit questionAsked(m_current, proposedFlags());
            }
        });
}

void NotificationSetup::answer(bool allow, bool restoreOnExit)
{
    if (m_state != State::Asking)
        return;
    m_restoreOnExit = allow && restoreOnExit;
    if (!allow) {
        m_declined = true;
        setState(State::Declined);
        return;
    }
    m_allowed = true;
    apply();
}

void NotificationSetup::apply()
{
    const QString before = m_current;
    const QString after = proposedFlags();
    m_client->command({ QByteArrayLiteral("CONFIG"), QByteArrayLiteral("SET"),
                          QByteArrayLiteral("notify-keyspace-events"), after.toLatin1() },
        this, [this, before, after](const RedisReply &r) {
            if (r.isError()) {
                setState(State::Failed);
                emit failed(r.errorMessage().contains(QLatin1String("NOPERM"))
                        ? KeyspaceWatcher::explainConfigRefused(r.errorMessage())
                        : tr("Keyspace notifications could not be enabled (%1); live events may be missing.")
                              .arg(r.errorMessage()));
                return;
            }
            // A reconnect to a restarted server reads the server's own value
            // again; one that still has ours keeps the first old value.
            if (!m_changedOnce || before != m_current)
                m_previous = before;
            m_changedOnce = true;
            m_current = after;
            if (m_policy == Policy::SetQuietly) {
                setState(State::Covered);
                return;
            }
            setState(State::Changed);
            emit changed(before, after);
        });
}

void NotificationSetup::restore(QObject *context, std::function<void()> done)
{
    if (m_state != State::Changed || !m_restoreOnExit || !m_client->isConnected()) {
        if (done)
            QTimer::singleShot(0, context, std::move(done));
        return;
    }
    const QString flags = m_previous;
    m_client->command({ QByteArrayLiteral("CONFIG"), QByteArrayLiteral("SET"),
                          QByteArrayLiteral("notify-keyspace-events"), flags.toLatin1() },
        context, [this, flags, done = std::move(done)](const RedisReply &r) {
            if (!r.isError()) {
                m_current = flags;
                m_changedOnce = false;
                setState(covers(flags) ? State::Covered : State::Unknown);
                emit restored(flags);
            } else {
                emit failed(tr("Could not restore notify-keyspace-events \"%1\": %2").arg(flags, r.errorMessage()));
            }
            if (done)
                done();
        });
}
