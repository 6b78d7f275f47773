// KeyspaceWatcher: psubscribe to keyspace notifications, parse, batch.
#include "keyspacewatcher.h"

#include "redisclient.h"
#include "redissubscriber.h"

#include <QRegularExpression>

namespace {
// "__keyspace@0__:product:1" -> db 0, rest "product:1".
bool splitChannel(const QByteArray &channel, const QByteArray &head, int *db, QByteArray *rest)
{
    if (!channel.startsWith(head))
        return false;
    const qsizetype end = channel.indexOf("__:", head.size());
    if (end < 0)
        return false;
    bool ok = false;
    *db = channel.mid(head.size(), end - head.size()).toInt(&ok);
    *rest = channel.mid(end + 3);
    return ok;
}

// An ACL user without the right (common on managed Redis) gets NOPERM; say
// what is missing, what still works and how to grant it, like the eviction
// settings do, instead of passing Redis's bare text through.
bool isPermissionError(const QString &message)
{
    return message.contains(QLatin1String("NOPERM"));
}
} // namespace

QString KeyspaceWatcher::explainSubscribeRefused(const QByteArray &pattern, const QString &redisSaid)
{
    return QStringLiteral("This Redis user may not subscribe to keyspace events (ACL: needs the channel pattern "
                          "&%1, e.g. ACL SETUSER <user> &%1), so live events are off; everything else keeps "
                          "working. (Redis said: %2)")
        .arg(QString::fromUtf8(pattern), redisSaid);
}

QString KeyspaceWatcher::explainConfigRefused(const QString &redisSaid)
{
    return QStringLiteral("This Redis user may not run CONFIG SET notify-keyspace-events, so CacheLab cannot "
                          "switch keyspace notifications on; live events work only if the server already has "
                          "them on. An administrator can allow it with ACL SETUSER <user> +config|set, or set "
                          "notify-keyspace-events KEA in redis.conf. (Redis said: %1)")
        .arg(redisSaid);
}

KeyspaceWatcher::KeyspaceWatcher(const RedisUrl &url, QObject *parent)
    : QObject(parent)
    , m_url(url)
{
    qRegisterMetaType<KeyspaceEvent>();
    qRegisterMetaType<QList<KeyspaceEvent>>();
    m_batchTimer.setInterval(100);
    connect(&m_batchTimer, &QTimer::timeout, this, &KeyspaceWatcher::flushBatch);
}

KeyspaceWatcher::~KeyspaceWatcher() = default;

void KeyspaceWatcher::setBatchInterval(int ms)
{
    m_batchTimer.setInterval(std::max(0, ms));
    if (ms <= 0)
        m_batchTimer.stop();
    else if (m_running)
        m_batchTimer.start();
}

QByteArray KeyspaceWatcher::channelPattern() const
{
    const int db = m_db >= 0 ? m_db : m_url.db;
    if (m_mode == Mode::Keyevent)
        return "__keyevent@" + QByteArray::number(db) + "__:*";
    return "__keyspace@" + QByteArray::number(db)
        + "__:" + (m_keyPattern.isEmpty() ? QByteArrayLiteral("*") : m_keyPattern);
}

void KeyspaceWatcher::start()
{
    if (m_running)
        return;
    m_running = true;
    if (!m_subscriber) {
        RedisUrl url = m_url;
        url.clientName = QStringLiteral("cachelab-keyspace");
        m_subscriber = new RedisSubscriber(url, this);
        connect(m_subscriber, &RedisSubscriber::pmessage, this, &KeyspaceWatcher::onMessage);
        connect(m_subscriber, &RedisSubscriber::subscribed, this, [this](const QByteArray &p) {
            if (p == channelPattern())
                emit subscribed();
        });
        connect(m_subscriber, &RedisSubscriber::resubscribed, this, &KeyspaceWatcher::subscribed);
        connect(m_subscriber, &RedisSubscriber::errorOccurred, this, [this](const QString &message) {
            if (!isPermissionError(message)) {
                emit errorOccurred(message);
                return;
            }
            QString said = message;
            said.remove(QRegularExpression(QStringLiteral("^subscriber: ")));
            emit errorOccurred(explainSubscribeRefused(channelPattern(), said));
        });
    }
    m_subscriber->psubscribe(channelPattern());
    m_subscriber->connectToServer();
    if (m_batchTimer.interval() > 0)
        m_batchTimer.start();
}

void KeyspaceWatcher::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_batchTimer.stop();
    while (!m_batch.isEmpty())
        flushBatch();
    if (m_subscriber) {
        m_subscriber->punsubscribe(channelPattern());
        m_subscriber->disconnectFromServer();
    }
}

void KeyspaceWatcher::onMessage(const QByteArray &, const QByteArray &channel, const QByteArray &payload)
{
    KeyspaceEvent e;
    QByteArray rest;
    if (splitChannel(channel, QByteArrayLiteral("__keyspace@"), &e.db, &rest)) {
        e.key = rest;
        e.event = QString::fromLatin1(payload);
    } else if (splitChannel(channel, QByteArrayLiteral("__keyevent@"), &e.db, &rest)) {
        e.event = QString::fromLatin1(rest);
        e.key = payload;
    } else {
        return;
    }
    if (!m_filter.isEmpty() && !m_filter.contains(e.event))
        return;
    if (!m_readStampValid) {
        // The messages of one read arrive together: take the clock once for
        // all of them instead of once per event (a burst brings thousands).
        m_readStamp = QDateTime::currentDateTimeUtc();
        m_readStampValid = true;
        QMetaObject::invokeMethod(this, [this] { m_readStampValid = false; }, Qt::QueuedConnection);
    }
    e.timestamp = m_readStamp;
    ++m_seen;
    emit eventReceived(e);
    if (m_batchTimer.interval() > 0) {
        m_batch << e;
        if (m_batch.size() >= MaxBatchEvents && !m_sliceQueued) {
            m_sliceQueued = true;
            QMetaObject::invokeMethod(this, &KeyspaceWatcher::flushBatch, Qt::QueuedConnection);
        }
    }
}

// At most MaxBatchEvents at a time; the rest in a later turn.
void KeyspaceWatcher::flushBatch()
{
    m_sliceQueued = false;
    if (m_batch.isEmpty())
        return;
    if (m_batch.size() <= MaxBatchEvents) {
        emit eventsBatched(std::exchange(m_batch, {}));
        return;
    }
    const QList<KeyspaceEvent> slice = m_batch.first(MaxBatchEvents);
    m_batch.remove(0, MaxBatchEvents);
    m_sliceQueued = true;
    QMetaObject::invokeMethod(this, &KeyspaceWatcher::flushBatch, Qt::QueuedConnection);
    emit eventsBatched(slice);
}

void KeyspaceWatcher::enableNotifications(
    RedisClient *client, QObject *context, std::function<void(bool, const QString &)> done, const QByteArray &flags)
{
    client->command(
        { QByteArrayLiteral("CONFIG"), QByteArrayLiteral("SET"), QByteArrayLiteral("notify-keyspace-events"), flags },
        context, [done = std::move(done)](const RedisReply &r) {
            if (!done)
                return;
            if (!r.isError())
                done(true, {});
            else if (!r.isClientError() && isPermissionError(r.errorMessage()))
                done(false, explainConfigRefused(r.errorMessage()));
            else
                done(false, r.errorMessage());
        });
}
