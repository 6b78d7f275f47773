// KeyspaceWatcher: Redis keyspace notifications as typed events.
//
// Subscribes (on its own RedisSubscriber connection) to
// "__keyspace@N__:<prefix>*" or "__keyevent@N__:*" and turns every message
// into a KeyspaceEvent with timestamp, db, event and key. For a live panel
// that may see thousands of events a second, eventsBatched() delivers them
// as one list per tick (default 100 ms), and never more than MaxBatchEvents
// in one event-loop turn: a burst is handed over in slices, each in a turn
// of its own, so the views' handlers never hold the GUI thread for a whole
// burst; eventReceived() fires per event.
// enableNotifications() switches the server's notify-keyspace-events on
// (CONFIG SET) when the app is allowed to; an embedded server has it on.
#pragma once

#include "keyspaceevent.h"
#include "redisurl.h"

#include <functional>
#include <QList>
#include <QDateTime>
#include <QObject>
#include <QTimer>

class RedisClient;
class RedisSubscriber;

class KeyspaceWatcher final : public QObject
{
    Q_OBJECT

public:
    enum class Mode {
        Keyspace, ///< __keyspace@N__:pattern  (payload is the event)
        Keyevent, ///< __keyevent@N__:*        (payload is the key)
    };
    Q_ENUM(Mode)

    explicit KeyspaceWatcher(const RedisUrl &url, QObject *parent = nullptr);
    ~KeyspaceWatcher() override;

    /// Set before start(). Default Keyspace, db from the URL, key pattern "*".
    void setMode(Mode mode) { m_mode = mode; }
    void setDatabase(int db) { m_db = db; }
    /// Key glob for Keyspace mode (e.g. "product:*"); ignored for Keyevent.
    void setKeyPattern(const QByteArray &pattern) { m_keyPattern = pattern; }
    /// Only these events are delivered (empty = all).
    void setEventFilter(const QStringList &events) { m_filter = events; }
    /// Interval of eventsBatched(). 0 disables batching. Default 100 ms.
    void setBatchInterval(int ms);
    /// The most events one eventsBatched() carries. As soon as this many
    /// wait, a slice goes in the next event-loop turn, without waiting for
    /// the tick; what is left goes in the turns after it.
    static constexpr qsizetype MaxBatchEvents = 2048;

    /// Connects the subscriber and psubscribes; returns at once.
    void start();
    void stop();
    bool isRunning() const { return m_running; }
    /// The pattern subscribed to, e.g. "__keyspace@0__:*".
    QByteArray channelPattern() const;

    /// Sends CONFIG SET notify-keyspace-events <flags> through `client`
    /// (default "KEA"); done(ok, error) reports the outcome.
    static void enableNotifications(RedisClient *client, QObject *context,
        std::function<void(bool, const QString &)> done, const QByteArray &flags = QByteArrayLiteral("KEA"));

    quint64 eventsSeen() const { return m_seen; }

    /// The texts used when an ACL user lacks the right (NOPERM): what is
    /// missing, what still works, how to grant it, and Redis's own words.
    static QString explainSubscribeRefused(const QByteArray &pattern, const QString &redisSaid);
    static QString explainConfigRefused(const QString &redisSaid);

signals:
    void eventReceived(const KeyspaceEvent &event);
    void eventsBatched(const QList<KeyspaceEvent> &events);
    /// Subscribed (again after a reconnect: events may have been missed).
    void subscribed();
    /// Connection trouble, or a refused subscription (explained, see
    /// explainSubscribeRefused()).
    void errorOccurred(const QString &message);

private:
    void onMessage(const QByteArray &pattern, const QByteArray &channel, const QByteArray &payload);
    void flushBatch();

    RedisUrl m_url;
    RedisSubscriber *m_subscriber = nullptr;
    Mode m_mode = Mode::Keyspace;
    int m_db = -1; ///< -1 = the URL's db
    QByteArray m_keyPattern = QByteArrayLiteral("*");
    QStringList m_filter;
    bool m_running = false;
    quint64 m_seen = 0;
    QList<KeyspaceEvent> m_batch;
    bool m_sliceQueued = false; ///< a queued flushBatch() is on its way
    /// One receive time per socket read: every message parsed in the same
    /// event-loop pass shares it (reset by a queued call when the pass ends).
    QDateTime m_readStamp;
    bool m_readStampValid = false;
    QTimer m_batchTimer;
};
