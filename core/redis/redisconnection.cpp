// RedisConnection: socket + hiredis reader + handshake + reconnect.
// (Over 500 lines: one connection's state machine - transport, handshake,
// replies in order, timeouts, reconnect - is one piece; the parts that stand
// alone, the reply type and the URL, are files of their own.)
//
// Life of one attempt: startAttempt() opens a socket; when the transport is
// ready (TCP connected, TLS encrypted, unix connected) the handshake commands
// are written back to back; the INFO reply completes it and the state becomes
// Connected. Any failure goes through fail(), which drops the socket, fails
// every pending callback with a client error and arms the backoff timer.
//
// Callbacks may do anything, including destroying the owner (and so this
// object) or closing the connection. Every loop that runs callbacks therefore
// re-checks a QPointer to itself and the transport generation after each one.
#include "redisconnection.h"

#include <QFile>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpSocket>

#include <hiredis/hiredis.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

Q_LOGGING_CATEGORY(lcRedis, "cachelab.redis")

namespace {

constexpr size_t kReaderMaxIdleBuffer = 64 * 1024;
/// Bytes moved from the socket to the reader per read() call.
constexpr qsizetype kReadChunkBytes = 64 * 1024;

std::optional<QSslKey> loadKey(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read TLS key file %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    const QByteArray pem = file.readAll();
    // The file does not say which algorithm it holds in a way QSslKey reads
    // for every format, so try the common ones.
    for (const QSsl::KeyAlgorithm algorithm : { QSsl::Rsa, QSsl::Ec, QSsl::Dsa }) {
        QSslKey key(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    *error = QStringLiteral("TLS key file %1 holds no readable (unencrypted PEM) private key").arg(path);
    return std::nullopt;
}

// An array's header says how many elements follow; an absurd count is
// refused here, before anything is allocated for it. Returning null makes
// hiredis stop with an "out of memory" error; the real reason is left on
// the connection (the reader's privdata).
void *guardedCreateArray(const redisReadTask *task, int elements)
{
    if (elements > RedisConnection::kMaxArrayElements) {
        if (auto *conn = static_cast<RedisConnection *>(task->privdata))
            conn->setReaderRefusal(QStringLiteral("array of %1 elements exceeds the limit of %2")
                                       .arg(elements)
                                       .arg(RedisConnection::kMaxArrayElements));
        return nullptr;
    }
    return RedisReply::readerFunctions().createArray(task, elements);
}

// The reader builds RedisReply values itself (see RedisReply::readerFunctions),
// so each reply handed out is a heap RedisReply the caller owns.
redisReader *createReader(RedisConnection *owner)
{
    static redisReplyObjectFunctions functions = [] {
        redisReplyObjectFunctions guarded = RedisReply::readerFunctions();
        guarded.createArray = guardedCreateArray;
        return guarded;
    }();
    redisReader *reader = redisReaderCreateWithFunctions(&functions);
    if (!reader)
        return nullptr;
    reader->privdata = owner;
    reader->maxbuf = kReaderMaxIdleBuffer;
    return reader;
}

} // namespace

RedisConnection::RedisConnection(const RedisUrl &url, const QString &clientName, QObject *parent)
    : QObject(parent)
    , m_url(url)
    , m_clientName(clientName)
{
    m_clock.start();
    m_reconnectTimer.setSingleShot(true);
    m_connectTimer.setSingleShot(true);
    m_commandTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisConnection::startAttempt);
    connect(&m_connectTimer, &QTimer::timeout, this, &RedisConnection::onConnectTimeout);
    connect(&m_commandTimer, &QTimer::timeout, this, &RedisConnection::onCommandTimeoutCheck);
}

RedisConnection::~RedisConnection()
{
    // Pending callbacks are dropped, not called: the owner is being destroyed
    // and callbacks commonly point back into it.
    m_wanted = false;
    dropTransport();
}

QByteArray RedisConnection::encode(const RedisCommand &args)
{
    // RESP written straight into one buffer: the same bytes hiredis's
    // redisFormatCommandArgv produces, without its argv arrays and copies.
    // The exact size is known up front, so the bytes are placed with plain
    // copies into one allocation (QByteArray's append checks per piece cost
    // more than the copying itself).
    if (args.isEmpty())
        return QByteArray();
    const auto digits = [](qsizetype n) {
        qsizetype d = 1;
        for (; n >= 10; n /= 10)
            ++d;
        return d;
    };
    qsizetype total = 1 + digits(args.size()) + 2;
    for (const QByteArray &arg : args)
        total += 1 + digits(arg.size()) + 2 + arg.size() + 2;
    QByteArray out(total, Qt::Uninitialized);
    char *p = out.data();
    const auto header = [&p](char type, qsizetype n) {
        *p++ = type;
        p = std::to_chars(p, p + 24, n).ptr;
        *p++ = '\r';
        *p++ = '\n';
    };
    header('*', args.size());
    for (const QByteArray &arg : args) {
        header('$', arg.size());
        if (!arg.isEmpty())
            std::memcpy(p, arg.constData(), size_t(arg.size()));
        p += arg.size();
        *p++ = '\r';
        *p++ = '\n';
    }
    Q_ASSERT(p == out.constData() + total);
    return out;
}

QString RedisConnection::redact(QString text) const
{
    if (!m_url.password.isEmpty())
        text.replace(m_url.password, QStringLiteral("***"));
    return text;
}

QString RedisConnection::notConnectedMessage() const
{
    QString why = m_lastError;
    if (why.isEmpty()) {
        switch (m_state) {
        case State::Connecting:
            why = QStringLiteral("still connecting");
            break;
        case State::Reconnecting:
            why = QStringLiteral("waiting to reconnect");
            break;
        default:
            why = QStringLiteral("connectToServer() was not called");
            break;
        }
    } else if (m_state == State::Connecting) {
        why = QStringLiteral("reconnecting after: ") + why;
    }
    return QStringLiteral("not connected to Redis (%1): %2").arg(m_url.endpoint(), why);
}

void RedisConnection::setReconnectPolicy(int minMs, int maxMs, double jitter)
{
    m_minBackoffMs = qMax(1, minMs);
    m_maxBackoffMs = qMax(m_minBackoffMs, maxMs);
    m_jitter = qBound(0.0, jitter, 1.0);
}

void RedisConnection::setCommandTimeout(int ms)
{
    m_commandTimeoutMs = ms;
    armCommandTimeout();
}

void RedisConnection::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void RedisConnection::open()
{
    m_wanted = true;
    if (m_state == State::Disconnected || m_state == State::Reconnecting) {
        m_attempt = 0; // an explicit request starts a fresh backoff sequence
        m_reconnectTimer.stop();
        startAttempt();
    }
}

void RedisConnection::close()
{
    m_wanted = false;
    m_reconnectTimer.stop();
    if (m_state == State::Disconnected)
        return;
    const bool wasConnected = m_state == State::Connected;
    QPointer<RedisConnection> self(this);
    std::deque<RedisPending> pending = dropTransport();
    setState(State::Disconnected);
    if (!self)
        return;
    const QString reason = QStringLiteral("connection closed by client");
    if (wasConnected) {
        emit disconnected(reason);
        if (!self)
            return;
    }
    const RedisReply failure = RedisReply::clientError(reason);
    for (const RedisPending &p : pending) {
        p.deliver(failure);
        if (!self)
            return;
    }
}

void RedisConnection::startAttempt()
{
    if (!m_wanted)
        return;
    dropTransport();
    m_sslErrors.clear();
    m_serverVersion.clear();
    m_serverLoading = false;
    setState(State::Connecting);

    m_reader = createReader(this);
    m_readerRefusal.clear();
    if (!m_reader) {
        fail(QStringLiteral("cannot create the Redis reply reader (out of memory)"));
        return;
    }

    switch (m_url.transport) {
    case RedisUrl::Transport::Unix: {
        auto *socket = new QLocalSocket(this);
        m_local = socket;
        m_io = socket;
        connect(socket, &QLocalSocket::connected, this, &RedisConnection::onTransportReady);
        connect(socket, &QLocalSocket::readyRead, this, &RedisConnection::onReadyRead);
        connect(socket, &QLocalSocket::errorOccurred, this,
            [this, socket](QLocalSocket::LocalSocketError) { onTransportError(socket->errorString()); });
        connect(socket, &QLocalSocket::disconnected, this, &RedisConnection::onTransportClosed);
        break;
    }
    case RedisUrl::Transport::Tls: {
        if (!QSslSocket::supportsSsl()) {
            fail(QStringLiteral("TLS is not available: Qt has no working TLS backend (OpenSSL)"));
            return;
        }
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        QString error;
        if (!m_url.caFile.isEmpty()) {
            // Like redis-cli --cacert: the given CA replaces the system store.
            const QList<QSslCertificate> cas = QSslCertificate::fromPath(m_url.caFile, QSsl::Pem);
            if (cas.isEmpty()) {
                fail(QStringLiteral("cannot read a CA certificate from %1").arg(m_url.caFile));
                return;
            }
            config.setCaCertificates(cas);
        }
        if (!m_url.certFile.isEmpty()) {
            const QList<QSslCertificate> certs = QSslCertificate::fromPath(m_url.certFile, QSsl::Pem);
            if (certs.isEmpty()) {
                fail(QStringLiteral("cannot read a client certificate from %1").arg(m_url.certFile));
                return;
            }
            const std::optional<QSslKey> key = loadKey(m_url.keyFile, &error);
            if (!key) {
                fail(error);
                return;
            }
            config.setLocalCertificate(certs.first());
            config.setPrivateKey(*key);
        }
        config.setPeerVerifyMode(m_url.verifyPeer ? QSslSocket::VerifyPeer : QSslSocket::VerifyNone);

        auto *socket = new QSslSocket(this);
        socket->setSslConfiguration(config);
        m_tcp = socket;
        m_io = socket;
        connect(socket, &QSslSocket::encrypted, this, &RedisConnection::onTransportReady);
        connect(socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            for (const QSslError &e : errors)
                m_sslErrors.append(e.errorString());
        });
        break;
    }
    case RedisUrl::Transport::Tcp: {
        auto *socket = new QTcpSocket(this);
        m_tcp = socket;
        m_io = socket;
        connect(socket, &QTcpSocket::connected, this, &RedisConnection::onTransportReady);
        break;
    }
    }

    if (m_tcp) {
        QAbstractSocket *socket = m_tcp;
        connect(socket, &QAbstractSocket::readyRead, this, &RedisConnection::onReadyRead);
        connect(socket, &QAbstractSocket::errorOccurred, this,
            [this, socket](QAbstractSocket::SocketError) { onTransportError(socket->errorString()); });
        connect(socket, &QAbstractSocket::disconnected, this, &RedisConnection::onTransportClosed);
    }

    if (m_connectTimeoutMs > 0)
        m_connectTimer.start(m_connectTimeoutMs);

    if (m_local) {
        m_local->connectToServer(m_url.socketPath);
    } else if (auto *ssl = qobject_cast<QSslSocket *>(m_tcp)) {
        // The peer name drives both SNI and the host name check.
        const QString peerName = m_url.tlsServerName.isEmpty() ? m_url.host : m_url.tlsServerName;
        ssl->connectToHostEncrypted(m_url.host, m_url.port, peerName);
    } else {
        m_tcp->connectToHost(m_url.host, m_url.port);
    }
}

void RedisConnection::onTransportReady()
{
    if (m_tcp) {
        m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        m_tcp->setSocketOption(QAbstractSocket::KeepAliveOption, 1);
    }
    beginHandshake();
}

void RedisConnection::beginHandshake()
{
    QList<RedisCommand> commands;
    std::vector<RedisPending> replies;
    const quint64 generation = m_generation;
    // Handshake callbacks ignore client errors: those come from fail(),
    // which already reported the reason.
    const auto step = [this, generation](std::function<void(const RedisReply &)> body) {
        return [this, generation, body = std::move(body)](const RedisReply &reply) {
            if (generation != m_generation || reply.isClientError())
                return;
            body(reply);
        };
    };

    if (!m_url.password.isEmpty()) {
        const QString user = m_url.user.isEmpty() ? QStringLiteral("default") : m_url.user;
        if (m_url.user.isEmpty())
            commands.append({ QByteArrayLiteral("AUTH"), m_url.password.toUtf8() });
        else
            commands.append({ QByteArrayLiteral("AUTH"), m_url.user.toUtf8(), m_url.password.toUtf8() });
        replies.emplace_back(step([this, user](const RedisReply &reply) {
            if (reply.isError())
                fail(QStringLiteral("authentication failed for user '%1': %2").arg(user, reply.errorMessage()));
        }),
            nullptr);
    }
    if (m_url.db != 0) {
        commands.append({ QByteArrayLiteral("SELECT"), QByteArray::number(m_url.db) });
        replies.emplace_back(step([this](const RedisReply &reply) {
            if (reply.isError())
                fail(QStringLiteral("SELECT %1 failed: %2").arg(m_url.db).arg(reply.errorMessage()));
        }),
            nullptr);
    }
    if (!m_clientName.isEmpty()) {
        commands.append({ QByteArrayLiteral("CLIENT"), QByteArrayLiteral("SETNAME"), m_clientName.toUtf8() });
        // Not fatal: an ACL user may lack +client; the name is only a label.
        replies.emplace_back(step([this](const RedisReply &reply) {
            if (reply.isError())
                qCWarning(lcRedis, "CLIENT SETNAME failed on %s: %s", qPrintable(m_url.endpoint()),
                    qPrintable(redact(reply.errorMessage())));
        }),
            nullptr);
    }
    // The default INFO sections: "server" has the version, "persistence"
    // says whether the server is still loading its data set.
    commands.append({ QByteArrayLiteral("INFO") });
    replies.emplace_back(step([this](const RedisReply &reply) { onHandshakeInfo(reply); }), nullptr);
    send(commands, std::move(replies));
}

void RedisConnection::onHandshakeInfo(const RedisReply &reply)
{
    // A failed INFO is not fatal (an ACL user may lack +info); the version
    // then stays empty. A server that restarted with a large RDB/AOF accepts
    // connections while loading it but answers data commands with -LOADING,
    // so connected() waits until loading is over; the connect timeout still
    // bounds the wait.
    bool loading = reply.isError() && reply.bytes().startsWith("LOADING");
    if (reply.isString()) {
        const QList<QByteArray> lines = reply.bytes().split('\n');
        for (const QByteArray &raw : lines) {
            const QByteArray line = raw.trimmed();
            if (line.startsWith("redis_version:"))
                m_serverVersion = QString::fromUtf8(line.mid(14));
            else if (line == "loading:1")
                loading = true;
        }
    }
    m_serverLoading = loading;
    if (!loading) {
        finishHandshake();
        return;
    }
    const quint64 generation = m_generation;
    QTimer::singleShot(50, this, [this, generation] {
        if (generation != m_generation || m_state != State::Connecting || !m_io)
            return;
        std::vector<RedisPending> replies;
        replies.emplace_back(
            [this, generation](const RedisReply &r) {
                if (generation == m_generation && !r.isClientError())
                    onHandshakeInfo(r);
            },
            nullptr);
        send({ { QByteArrayLiteral("INFO"), QByteArrayLiteral("persistence") } }, std::move(replies));
    });
}

void RedisConnection::finishHandshake()
{
    m_connectTimer.stop();
    m_attempt = 0;
    m_lastError.clear();
    QPointer<RedisConnection> self(this);
    setState(State::Connected);
    if (!self || m_state != State::Connected)
        return;
    emit connected();
    if (self)
        armCommandTimeout();
}

bool RedisConnection::writeBytes(const QByteArray &bytes, bool flushNow)
{
    if (!m_io)
        return false;
    if (m_io->write(bytes) != bytes.size())
        return false;
    // When nothing else is in flight, hand the bytes to the kernel now
    // instead of on the next event-loop turn: a lone request/reply round
    // trip then costs one wake-up, not two. When commands are already
    // waiting, leave them in the socket's buffer so everything issued in
    // this turn goes out in one write (pipelining).
    if (!flushNow)
        return true;
    if (m_tcp)
        m_tcp->flush();
    else if (m_local)
        m_local->flush();
    return true;
}

void RedisConnection::send(const QList<RedisCommand> &commands, std::vector<RedisPending> replies)
{
    Q_ASSERT(commands.size() == qsizetype(replies.size()));
    QByteArray bytes;
    for (const RedisCommand &command : commands)
        bytes += encode(command);
    const qint64 queuedAt = now();
    for (RedisPending &p : replies) {
        p.queuedAtMs = queuedAt;
        m_pending.push_back(std::move(p));
    }
    m_commandsSent += quint64(commands.size());
    writeQueued(bytes, m_pending.size() == replies.size());
}

void RedisConnection::sendOne(const RedisCommand &command, RedisPending reply)
{
    reply.queuedAtMs = now();
    m_pending.push_back(std::move(reply));
    ++m_commandsSent;
    writeQueued(encode(command), m_pending.size() == 1);
}

void RedisConnection::writeQueued(const QByteArray &bytes, bool idleBefore)
{
    if (!writeBytes(bytes, idleBefore)) {
        // Deferred: the caller must not see its callbacks run inside send().
        const QString reason = m_io ? m_io->errorString() : QStringLiteral("no socket");
        const quint64 generation = m_generation;
        QTimer::singleShot(0, this, [this, generation, reason] {
            if (generation == m_generation)
                fail(QStringLiteral("write to %1 failed: %2").arg(m_url.endpoint(), reason));
        });
        return;
    }
    if (!m_commandTimer.isActive())
        armCommandTimeout();
}

void RedisConnection::sendUntracked(const QList<RedisCommand> &commands)
{
    QByteArray bytes;
    for (const RedisCommand &command : commands)
        bytes += encode(command);
    m_commandsSent += quint64(commands.size());
    writeBytes(bytes);
}

void RedisConnection::armCommandTimeout()
{
    // Only a connection that is up is judged by the command timeout; while
    // connecting, the connect timeout covers the handshake.
    if (m_pending.empty() || m_state != State::Connected || m_commandTimeoutMs <= 0) {
        m_commandTimer.stop();
        return;
    }
    const qint64 age = now() - m_pending.front().queuedAtMs;
    m_commandTimer.start(int(qMax<qint64>(0, m_commandTimeoutMs - age)) + 1);
}

void RedisConnection::onCommandTimeoutCheck()
{
    if (m_pending.empty() || m_state != State::Connected || m_commandTimeoutMs <= 0)
        return;
    if (now() - m_pending.front().queuedAtMs >= m_commandTimeoutMs) {
        fail(QStringLiteral("command timed out after %1 ms: no reply from %2")
                 .arg(m_commandTimeoutMs)
                 .arg(m_url.endpoint()));
        return;
    }
    armCommandTimeout();
}

void RedisConnection::onConnectTimeout()
{
    if (m_state != State::Connecting)
        return;
    fail(QStringLiteral("connecting to %1 timed out after %2 ms%3")
             .arg(m_url.endpoint())
             .arg(m_connectTimeoutMs)
             .arg(m_serverLoading ? QStringLiteral(" (the server was still loading its data set)") : QString()));
}

void RedisConnection::onReadyRead()
{
    if (!m_io || !m_reader)
        return;
    // Socket -> one reused buffer -> hiredis, in chunks, instead of a fresh
    // QByteArray per readyRead.
    bool fed = false;
    for (qint64 available = m_io->bytesAvailable(); available > 0; available = m_io->bytesAvailable()) {
        if (m_readBuffer.isEmpty())
            m_readBuffer.resize(kReadChunkBytes);
        const qint64 got = m_io->read(m_readBuffer.data(), qMin<qint64>(available, m_readBuffer.size()));
        if (got <= 0)
            break;
        if (redisReaderFeed(m_reader, m_readBuffer.constData(), size_t(got)) != REDIS_OK) {
            fail(QStringLiteral("protocol error: %1").arg(QString::fromUtf8(m_reader->errstr)));
            return;
        }
        fed = true;
    }
    if (!fed)
        return;

    QPointer<RedisConnection> self(this);
    const quint64 generation = m_generation;
    for (;;) {
        void *raw = nullptr;
        if (redisReaderGetReply(m_reader, &raw) != REDIS_OK) {
            const QString why = m_readerRefusal.isEmpty() ? QString::fromUtf8(m_reader->errstr) : m_readerRefusal;
            fail(QStringLiteral("protocol error: %1 (from %2)").arg(why, m_url.endpoint()));
            return;
        }
        if (!raw)
            break;
        // The reader built the RedisReply itself; we own it from here on.
        const std::unique_ptr<const RedisReply> reply(static_cast<const RedisReply *>(raw));

        if (!m_pending.empty()) {
            // Moved out first: a callback may fail() the connection, which
            // empties the queue while the callback is still running.
            const RedisPending pending = std::move(m_pending.front());
            m_pending.pop_front();
            // The timeout timer is left running when the queue empties: it
            // notices the empty queue when it fires, which is cheaper than
            // stopping and restarting a timer for every command.
            pending.deliver(*reply);
        } else if (m_pushHandler) {
            m_pushHandler(*reply);
        } else {
            fail(QStringLiteral("protocol error: unexpected reply from %1 with no command waiting for it")
                     .arg(m_url.endpoint()));
            return;
        }
        if (!self || generation != m_generation || !m_reader)
            return;
    }

    const QString why = checkIncompleteReply();
    if (!why.isEmpty())
        fail(QStringLiteral("protocol error: %1 (from %2)").arg(why, m_url.endpoint()));
}

QString RedisConnection::checkIncompleteReply() const
{
    const redisReader *r = m_reader;
    if (!r || r->ridx < 0)
        return QString();
    const size_t buffered = r->len - r->pos;
    if (buffered > size_t(kMaxBulkBytes) + 64 * 1024)
        return QStringLiteral("reply larger than %1 bytes").arg(kMaxBulkBytes);
    // Enclosing arrays: their element counts are known once their header was read.
    for (int i = 0; i < r->ridx; ++i) {
        if (r->rstack[i].elements > kMaxArrayElements)
            return QStringLiteral("array of %1 elements exceeds the limit of %2")
                .arg(r->rstack[i].elements)
                .arg(kMaxArrayElements);
    }
    // The current item: hiredis has consumed its type byte and waits for the
    // header line or the payload. hiredis 0.14 puts no limit on bulk length,
    // so read the length ourselves and refuse absurd ones now, rather than
    // buffering until memory runs out.
    const int type = r->rstack[r->ridx].type;
    if (type != REDIS_REPLY_STRING && type != REDIS_REPLY_ARRAY)
        return buffered > 64 * 1024 ? QStringLiteral("reply line longer than 64 KiB") : QString();
    const char *p = r->buf + r->pos;
    qint64 value = 0;
    size_t i = 0;
    const bool negative = buffered > 0 && p[0] == '-';
    if (negative)
        i = 1;
    for (; i < buffered && p[i] >= '0' && p[i] <= '9'; ++i) {
        if (value > (std::numeric_limits<qint64>::max() - 9) / 10)
            return QStringLiteral("length field out of range");
        value = value * 10 + (p[i] - '0');
    }
    if (i < buffered && p[i] != '\r')
        return QStringLiteral("bad length field in reply header");
    if (i > 24)
        return QStringLiteral("length field out of range");
    if (negative)
        return QString(); // -1 (nil) or hiredis' own range error
    if (type == REDIS_REPLY_STRING && value > kMaxBulkBytes)
        return QStringLiteral("bulk string of %1 bytes exceeds the limit of %2 bytes").arg(value).arg(kMaxBulkBytes);
    if (type == REDIS_REPLY_ARRAY && value > kMaxArrayElements)
        return QStringLiteral("array of %1 elements exceeds the limit of %2").arg(value).arg(kMaxArrayElements);
    return QString();
}

void RedisConnection::onTransportError(const QString &socketError)
{
    if (!m_io)
        return;
    // Deliver whatever arrived before the error (e.g. a final -ERR the
    // server sent before closing).
    const quint64 generation = m_generation;
    QPointer<RedisConnection> self(this);
    if (m_io->bytesAvailable() > 0) {
        onReadyRead();
        if (!self || generation != m_generation)
            return;
    }

    QString message;
    // hiredis leaves ridx at 0 with no type read after it found an empty
    // buffer, so "partial" means: bytes left, a type byte read, or nesting.
    const bool partialReply = m_reader
        && (m_reader->len > m_reader->pos || m_reader->ridx > 0
            || (m_reader->ridx == 0 && m_reader->rstack[0].type >= 0));
    if (m_state == State::Connecting && !m_sslErrors.isEmpty()) {
        message = QStringLiteral("TLS handshake with %1 failed: %2")
                      .arg(m_url.endpoint(), m_sslErrors.join(QStringLiteral("; ")));
    } else if (m_tcp && m_tcp->error() == QAbstractSocket::SslHandshakeFailedError) {
        message = QStringLiteral("TLS handshake with %1 failed: %2").arg(m_url.endpoint(), socketError);
    } else if (partialReply) {
        message = QStringLiteral("protocol error: truncated reply, connection to %1 closed in the middle of it (%2)")
                      .arg(m_url.endpoint(), socketError);
    } else if (m_state == State::Connecting) {
        message = QStringLiteral("cannot connect to %1: %2").arg(m_url.endpoint(), socketError);
    } else {
        message = QStringLiteral("connection to %1 lost: %2").arg(m_url.endpoint(), socketError);
    }
    fail(message);
}

void RedisConnection::onTransportClosed()
{
    if (!m_io)
        return;
    onTransportError(QStringLiteral("the server closed the connection"));
}

std::deque<RedisPending> RedisConnection::dropTransport()
{
    ++m_generation;
    m_connectTimer.stop();
    m_commandTimer.stop();
    if (m_io) {
        // No signal from the dying socket may reach us again; deleteLater
        // because we may be inside one of its signal handlers right now.
        m_io->disconnect(this);
        if (m_tcp)
            m_tcp->abort();
        if (m_local)
            m_local->abort();
        m_io->deleteLater();
    }
    m_io = nullptr;
    m_tcp = nullptr;
    m_local = nullptr;
    if (m_reader) {
        redisReaderFree(m_reader);
        m_reader = nullptr;
    }
    std::deque<RedisPending> pending;
    pending.swap(m_pending);
    return pending;
}

void RedisConnection::fail(const QString &rawMessage, bool emitError)
{
    const QString message = redact(rawMessage);
    const bool wasConnected = m_state == State::Connected;
    m_lastError = message;
    std::deque<RedisPending> pending = dropTransport();
    qCDebug(lcRedis, "%s", qPrintable(message));

    QPointer<RedisConnection> self(this);
    if (m_wanted && m_autoReconnect)
        scheduleReconnect();
    else
        setState(State::Disconnected);
    if (!self)
        return;
    if (emitError) {
        emit errorOccurred(message);
        if (!self)
            return;
    }
    if (wasConnected) {
        emit disconnected(message);
        if (!self)
            return;
    }
    // Callbacks run last, when the state already says "not connected", so a
    // callback that issues a new command gets the fast failure.
    const RedisReply failure = RedisReply::clientError(message);
    for (const RedisPending &p : pending) {
        p.deliver(failure);
        if (!self)
            return;
    }
}

void RedisConnection::scheduleReconnect()
{
    // Capped exponential backoff: min * 2^attempt, at most max, then +-jitter
    // so that many clients do not reconnect in lockstep after an outage.
    const double base = qMin<double>(m_maxBackoffMs, m_minBackoffMs * std::pow(2.0, qMin(m_attempt, 30)));
    const double factor = 1.0 + m_jitter * (QRandomGenerator::global()->generateDouble() * 2.0 - 1.0);
    const int delay = qMax(0, int(std::lround(base * factor)));
    ++m_attempt;
    setState(State::Reconnecting);
    m_reconnectTimer.start(delay);
}
