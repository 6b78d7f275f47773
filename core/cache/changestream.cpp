// ChangeStream: XADD on every write, a consumer-group read loop on its own
// connection, guarded invalidation for other instances' changes, XACK after.
// (Over 500 lines because the read loop's states - group missing, pending
// entries first, blocking read, Redis gone, NOGROUP after a flush - only read
// as one piece; the writing side is 80 of them.)
#include "changestream.h"

#include "cachekeys.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "strategykind.h"

#include <algorithm>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>

Q_LOGGING_CATEGORY(lcChanges, "cachelab.changes")

namespace {
constexpr int AppliedMemory = 2000; // stream ids remembered for "applied here"

QByteArray streamKey()
{
    return CacheKeys::changeStream();
}

QList<ChangeEntry> entriesOf(const RedisReply &streams)
{
    // XREADGROUP: [[stream, [[id, [f, v, ...]], ...]]]
    QList<ChangeEntry> out;
    for (const RedisReply &stream : streams.elements()) {
        if (stream.size() < 2)
            continue;
        for (const RedisReply &entry : stream.at(1).elements())
            out << ChangeEntry::fromReply(entry);
    }
    return out;
}
} // namespace

ChangeEntry ChangeEntry::fromReply(const RedisReply &reply)
{
    ChangeEntry e;
    if (!reply.isArray() || reply.size() < 1)
        return e;
    e.streamId = reply.at(0).bytes();
    if (reply.size() < 2)
        return e;
    for (const auto &[field, value] : reply.at(1).toPairs()) {
        if (field == "op")
            e.op = QString::fromUtf8(value);
        else if (field == "id")
            e.id = value.toLongLong();
        else if (field == "version")
            e.version = value.toLongLong();
        else if (field == "origin")
            e.origin = QString::fromUtf8(value);
        else if (field == "prefix")
            e.prefix = QString::fromUtf8(value);
        else if (field == "db")
            e.db = QString::fromUtf8(value);
        else if (field == "strategy")
            e.strategy = QString::fromUtf8(value);
        else if (field == "queued")
            e.queued = value == "1";
        else if (field == "ts")
            e.timestamp = value.toLongLong();
    }
    return e;
}

ChangeStream::ChangeStream(ProductService *service, const QString &groupName, QObject *parent)
    : QObject(parent)
    , m_service(service)
    , m_redis(service->redis())
    , m_group(groupName)
{
    if (service->repository())
        m_databaseId = databaseIdFor(service->repository()->path());
    qRegisterMetaType<ChangeEntry>();
    qRegisterMetaType<QList<ChangeEntry>>();

    RedisUrl url = m_redis->url();
    url.clientName = QStringLiteral("cachelab-changes");
    m_reader = std::make_unique<RedisClient>(url);
    // The read blocks for BlockMs on purpose; only a reply much later than
    // that means the server is gone.
    m_reader->setCommandTimeout(BlockMs + 5000);
    connect(m_reader.get(), &RedisClient::connected, this, &ChangeStream::onReaderConnected);
    connect(m_reader.get(), &RedisClient::disconnected, this, &ChangeStream::onReaderDisconnected);
    connect(service, &ProductService::productWritten, this, &ChangeStream::onWritten);
    m_reader->connectToServer();
}

ChangeStream::~ChangeStream()
{
    // Destroying the reader closes its connection; a blocked XREADGROUP just
    // ends. Anything it delivered but we did not acknowledge stays pending in
    // the group and is read again (ID 0) next time.
    ++m_generation;
    m_reader.reset();
}

QString ChangeStream::databaseIdFor(const QString &databasePath)
{
    const QString path = databasePath == QLatin1String(":memory:")
        ? databasePath
        : QDir::cleanPath(QFileInfo(databasePath).absoluteFilePath());
    return QString::fromLatin1(QCryptographicHash::hash(path.toUtf8(), QCryptographicHash::Sha1).toHex().left(12));
}

QString ChangeStream::groupNameFor(const QString &databasePath, const QString &keyPrefix)
{
    return QStringLiteral("cachelab:%1:%2").arg(databaseIdFor(databasePath), keyPrefix);
}

void ChangeStream::setMaxLength(int entries)
{
    m_maxLength = std::clamp(entries, 10, 10000000);
}

bool ChangeStream::isOwn(const ChangeEntry &entry) const
{
    return entry.origin == m_service->instanceId() || entry.prefix == m_service->settings().keyPrefix;
}

bool ChangeStream::isOtherDatabase(const ChangeEntry &entry) const
{
    // Entries of older versions carry no "db": applying them is what those
    // versions did, and an extra invalidation is harmless.
    return !entry.db.isEmpty() && !m_databaseId.isEmpty() && entry.db != m_databaseId;
}

void ChangeStream::setReading(bool reading)
{
    if (m_reading == reading)
        return;
    m_reading = reading;
    emit readingChanged(reading);
}

// --- writing -------------------------------------------------------------------------------------

void ChangeStream::onWritten(const ProductWrite &write)
{
    ChangeEntry e;
    e.op = ProductWrite::kindName(write.kind);
    e.id = write.id;
    e.version = write.version;
    e.origin = m_service->instanceId();
    e.prefix = m_service->settings().keyPrefix;
    e.db = m_databaseId;
    e.strategy = strategyName(write.strategy);
    e.queued = write.queued;
    e.timestamp = QDateTime::currentMSecsSinceEpoch();
    // Fire and forget: the write itself already succeeded; a change that
    // cannot be logged is counted and reported, not retried.
    m_redis->command({ QByteArrayLiteral("XADD"), streamKey(), QByteArrayLiteral("MAXLEN"), QByteArrayLiteral("~"),
                         QByteArray::number(m_maxLength), QByteArrayLiteral("*"), QByteArrayLiteral("op"),
                         e.op.toUtf8(), QByteArrayLiteral("id"), QByteArray::number(e.id), QByteArrayLiteral("version"),
                         QByteArray::number(e.version), QByteArrayLiteral("origin"), e.origin.toUtf8(),
                         QByteArrayLiteral("prefix"), e.prefix.toUtf8(), QByteArrayLiteral("db"), e.db.toUtf8(),
                         QByteArrayLiteral("strategy"), e.strategy.toUtf8(), QByteArrayLiteral("queued"),
                         e.queued ? QByteArrayLiteral("1") : QByteArrayLiteral("0"), QByteArrayLiteral("ts"),
                         QByteArray::number(e.timestamp) },
        this, [this, e](const RedisReply &reply) mutable {
            if (!reply.isString()) {
                ++m_stats.appendErrors;
                const QString message = QStringLiteral("change of product %1 not logged in %2: %3")
                                            .arg(e.id)
                                            .arg(QString::fromUtf8(streamKey()), reply.errorMessage());
                qCWarning(lcChanges, "%s", qPrintable(message));
                emit errorOccurred(message);
                emit statsChanged();
                return;
            }
            ++m_stats.appended;
            e.streamId = reply.bytes();
            emit entryAppended(e);
            emit statsChanged();
        });
}

// --- the read loop --------------------------------------------------------------------------------

void ChangeStream::onReaderConnected()
{
    const quint64 generation = ++m_generation;
    setReading(false);
    createGroup(generation);
}

void ChangeStream::onReaderDisconnected()
{
    // The pending read fails with a client error; the loop waits for connected().
    ++m_generation;
    setReading(false);
}

void ChangeStream::createGroup(quint64 generation)
{
    if (generation != m_generation || !m_reader->isConnected())
        return;
    // "$": a new group starts with the changes made from now on. An existing
    // group (BUSYGROUP) resumes where it stopped, which is the point.
    m_reader->command({ QByteArrayLiteral("XGROUP"), QByteArrayLiteral("CREATE"), streamKey(), m_group.toUtf8(),
                          QByteArrayLiteral("$"), QByteArrayLiteral("MKSTREAM") },
        this, [this, generation](const RedisReply &reply) {
            if (generation != m_generation)
                return;
            if (reply.isError() && !reply.bytes().startsWith("BUSYGROUP")) {
                if (reply.isClientError())
                    return; // disconnected: connected() starts again
                const QString message
                    = QStringLiteral("cannot create the consumer group %1: %2").arg(m_group, reply.errorMessage());
                report(message);
                retryLater(generation, true);
                return;
            }
            m_lastLoopError.clear();
            // First whatever was delivered to us before and never acknowledged
            // (a crash or a lost connection between read and XACK).
            m_pendingCursor = QByteArrayLiteral("0");
            setReading(true);
            readNext(generation);
        });
}

void ChangeStream::readNext(quint64 generation)
{
    if (generation != m_generation || !m_reader->isConnected())
        return;
    RedisCommand cmd { QByteArrayLiteral("XREADGROUP"), QByteArrayLiteral("GROUP"), m_group.toUtf8(), consumerName(),
        QByteArrayLiteral("COUNT"), QByteArray::number(ReadCount) };
    if (m_pendingCursor.isEmpty())
        cmd << QByteArrayLiteral("BLOCK") << QByteArray::number(BlockMs);
    cmd << QByteArrayLiteral("STREAMS") << streamKey()
        << (m_pendingCursor.isEmpty() ? QByteArrayLiteral(">") : m_pendingCursor);
    m_reader->command(cmd, this, [this, generation](const RedisReply &reply) { onBatch(generation, reply); });
}

void ChangeStream::onBatch(quint64 generation, const RedisReply &reply)
{
    if (generation != m_generation)
        return;
    if (reply.isClientError()) {
        // Connection lost or timed out: the client reconnects and
        // onReaderConnected() starts a new loop.
        setReading(false);
        return;
    }
    if (reply.isError()) {
        // NOGROUP: the stream or the group was deleted (FLUSHALL, a restarted
        // server without persistence). Create it again, after a pause.
        const bool noGroup = reply.bytes().startsWith("NOGROUP");
        const QString message
            = QStringLiteral("reading %1 failed: %2").arg(QString::fromUtf8(streamKey()), reply.errorMessage());
        report(message);
        setReading(false);
        retryLater(generation, noGroup);
        return;
    }
    const QList<ChangeEntry> entries = entriesOf(reply); // Nil (BLOCK ran out) gives none
    if (entries.isEmpty()) {
        m_pendingCursor.clear(); // pending ones done (or none): read new entries
        readNext(generation);
        return;
    }
    m_stats.read += quint64(entries.size());
    handle(generation, entries);
}

void ChangeStream::handle(quint64 generation, const QList<ChangeEntry> &entries)
{
    struct Batch
    {
        QList<ChangeEntry> entries;
        QList<bool> ack; ///< done, skipped or given up: acknowledge now
        QList<QString> giveUp; ///< non-empty: the last error of an entry to give up on
        int remaining = 0;
        bool retry = false; ///< an entry stays pending and is read again later
    };
    auto batch = std::make_shared<Batch>();
    batch->entries = entries;
    batch->ack = QList<bool>(entries.size(), true);
    batch->giveUp = QList<QString>(entries.size());
    batch->remaining = int(entries.size());

    auto complete = [this, generation, batch] {
        for (const ChangeEntry &e : std::as_const(batch->entries)) {
            if (e.appliedHere)
                rememberApplied(e.streamId);
        }
        emit entriesReceived(batch->entries);
        if (generation != m_generation)
            return; // the reader reconnected meanwhile: everything is re-read from ID 0
        // Acknowledge every entry that is done, even when another one of the
        // batch failed: only the failed ones stay pending and are read again.
        RedisCommand cmd { QByteArrayLiteral("XACK"), streamKey(), m_group.toUtf8() };
        int toAck = 0;
        for (int i = 0; i < batch->entries.size(); ++i) {
            if (!batch->giveUp.at(i).isEmpty())
                giveUp(batch->entries.at(i), batch->giveUp.at(i));
            else if (batch->ack.at(i)) {
                cmd << batch->entries.at(i).streamId;
                ++toAck;
            }
        }
        if (toAck > 0) {
            m_reader->command(cmd, this, [this](const RedisReply &reply) {
                if (reply.isInteger()) {
                    m_stats.acked += quint64(reply.toInteger());
                    emit statsChanged();
                }
            });
        }
        if (!m_pendingCursor.isEmpty())
            m_pendingCursor = batch->entries.last().streamId;
        emit statsChanged();
        if (batch->retry)
            retryLater(generation, false); // re-reads the pending list from ID 0
        else
            readNext(generation); // sent after the XACK on the same connection
    };

    for (int i = 0; i < batch->entries.size(); ++i) {
        const ChangeEntry &e = batch->entries.at(i);
        // Another database's products share only the numbers with ours.
        if (e.id > 0 && isOtherDatabase(e)) {
            ++m_stats.otherDatabase;
            --batch->remaining;
            continue;
        }
        // Trimmed before we read it, unreadable, ours or about our keys:
        // nothing to do here but acknowledge.
        if (e.id <= 0 || e.origin.isEmpty() || isOwn(e)) {
            ++m_stats.skipped;
            --batch->remaining;
            continue;
        }
        const QString via = QStringLiteral("%1 (entry %2, group %3)")
                                .arg(QString::fromUtf8(streamKey()), QString::fromLatin1(e.streamId), m_group);
        m_service->applyRemoteChange(
            e.origin, e.id, e.version, e.isDelete(), via, this, [this, batch, i, complete](const ServiceResult &r) {
                const QByteArray streamId = batch->entries.at(i).streamId;
                if (r.ok()) {
                    batch->entries[i].appliedHere = true;
                    ++m_stats.applied;
                    m_attempts.remove(streamId);
                } else if (r.status == ServiceStatus::Unavailable) {
                    // Redis is away: not this entry's fault, so not counted.
                    batch->ack[i] = false;
                    batch->retry = true;
                } else {
                    ++m_stats.applyFailures;
                    if (m_attempts.size() > AppliedMemory)
                        m_attempts.clear(); // ids trimmed while pending never come back to be removed
                    const int attempts = ++m_attempts[streamId];
                    qCWarning(lcChanges, "applying %s (product %lld) failed, attempt %d of %d: %s",
                        streamId.constData(), batch->entries.at(i).id, attempts, MaxApplyAttempts, qPrintable(r.error));
                    if (attempts >= MaxApplyAttempts) {
                        m_attempts.remove(streamId);
                        batch->giveUp[i] = r.error.isEmpty() ? serviceStatusName(r.status) : r.error;
                    } else {
                        batch->ack[i] = false;
                        batch->retry = true;
                    }
                }
                if (--batch->remaining == 0)
                    complete();
            });
    }
    if (batch->remaining == 0)
        complete();
}

void ChangeStream::giveUp(const ChangeEntry &entry, const QString &lastError)
{
    // The guarded invalidation keeps failing (a NOPERM on the script, OOM
    // under noeviction, ...). A plain DEL still drops our copy in most of
    // those cases; either way the entry is acknowledged, so the entries
    // behind it are not held up. Without the DEL the key's TTL bounds how
    // long the stale copy can live.
    const QByteArray key = CacheKeys(m_service->settings().keyPrefix).product(entry.id);
    const QByteArray streamId = entry.streamId;
    const qint64 id = entry.id;
    m_reader->command(
        { QByteArrayLiteral("DEL"), key }, this, [this, key, streamId, id, lastError](const RedisReply &reply) {
            const QString outcome = reply.isInteger()
                ? QStringLiteral("dropped %1 with a plain DEL instead").arg(QString::fromUtf8(key))
                : QStringLiteral("the fallback DEL of %1 failed too (%2); the cached copy may stay stale until its TTL")
                      .arg(QString::fromUtf8(key), reply.errorMessage());
            const QString message
                = QStringLiteral("change %1 of product %2 not applied after %3 attempts (%4); %5, acknowledged anyway")
                      .arg(QString::fromLatin1(streamId))
                      .arg(id)
                      .arg(MaxApplyAttempts)
                      .arg(lastError, outcome);
            ++m_stats.givenUp;
            m_stats.lastGivenUp = message;
            qCWarning(lcChanges, "%s", qPrintable(message));
            emit errorOccurred(message);
            emit statsChanged();
        });
    m_reader->command(
        { QByteArrayLiteral("XACK"), streamKey(), m_group.toUtf8(), streamId }, this, [this](const RedisReply &reply) {
            if (reply.isInteger()) {
                m_stats.acked += quint64(reply.toInteger());
                emit statsChanged();
            }
        });
}

void ChangeStream::report(const QString &message)
{
    // A loop retrying every second must not repeat the same line each time.
    if (message == m_lastLoopError)
        return;
    m_lastLoopError = message;
    qCWarning(lcChanges, "%s", qPrintable(message));
    emit errorOccurred(message);
}

void ChangeStream::retryLater(quint64 generation, bool recreateGroup)
{
    // Never spin: a failure the loop cannot fix waits RetryMs; then pending
    // entries are read again from the start.
    QTimer::singleShot(RetryMs, this, [this, generation, recreateGroup] {
        if (generation != m_generation)
            return;
        if (recreateGroup) {
            createGroup(generation);
            return;
        }
        m_pendingCursor = QByteArrayLiteral("0");
        setReading(true);
        readNext(generation);
    });
}

void ChangeStream::rememberApplied(const QByteArray &streamId)
{
    if (m_appliedIds.contains(streamId))
        return;
    m_appliedIds.insert(streamId);
    m_appliedOrder << streamId;
    while (m_appliedOrder.size() > AppliedMemory)
        m_appliedIds.remove(m_appliedOrder.takeFirst());
}

// --- for the timeline -----------------------------------------------------------------------------

void ChangeStream::recentEntries(
    int count, QObject *context, std::function<void(const QList<ChangeEntry> &, const QString &)> done)
{
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    m_redis->command({ QByteArrayLiteral("XREVRANGE"), streamKey(), QByteArrayLiteral("+"), QByteArrayLiteral("-"),
                         QByteArrayLiteral("COUNT"), QByteArray::number(std::max(1, count)) },
        this, [this, guard, hasContext, done = std::move(done)](const RedisReply &reply) {
            if (!done || (hasContext && !guard))
                return;
            if (reply.isError()) {
                done({}, reply.errorMessage());
                return;
            }
            QList<ChangeEntry> out;
            for (const RedisReply &entry : reply.elements()) {
                ChangeEntry e = ChangeEntry::fromReply(entry);
                e.appliedHere = m_appliedIds.contains(e.streamId);
                out << e;
            }
            done(out, {});
        });
}

void ChangeStream::refreshInfo()
{
    if (!m_redis->isConnected())
        return;
    m_redis->pipeline({ { QByteArrayLiteral("XLEN"), streamKey() },
                          { QByteArrayLiteral("XINFO"), QByteArrayLiteral("GROUPS"), streamKey() } },
        this, [this](const QList<RedisReply> &replies) {
            if (replies.size() < 2)
                return;
            if (replies.at(0).isInteger())
                m_stats.length = replies.at(0).toInteger();
            // XINFO GROUPS fails with "no such key" before the first XADD / group.
            m_stats.pending = -1;
            m_stats.lag = -1;
            for (const RedisReply &group : replies.at(1).elements()) {
                bool ours = false;
                qint64 pending = -1;
                qint64 lag = -1;
                for (const auto &[name, value] : group.toPairs()) {
                    if (name == "name")
                        ours = value == m_group.toUtf8();
                    else if (name == "pending")
                        pending = value.toLongLong();
                    else if (name == "lag" && !value.isEmpty())
                        lag = value.toLongLong(); // nil when Redis cannot tell
                }
                if (ours) {
                    m_stats.pending = pending;
                    m_stats.lag = lag;
                }
            }
            emit statsChanged();
        });
}
