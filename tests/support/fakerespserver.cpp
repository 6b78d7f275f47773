// FakeRespServer: see the header. Each connection has its own hiredis reader
// (commands are RESP arrays, which the reply reader parses just as well).
#include "fakerespserver.h"

#include <QTcpSocket>

#include <hiredis/hiredis.h>

#include <memory>

FakeRespServer::FakeRespServer(QObject *parent)
    : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &FakeRespServer::onNewConnection);
}

FakeRespServer::~FakeRespServer() = default;

bool FakeRespServer::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

RedisUrl FakeRespServer::url() const
{
    RedisUrl url;
    url.host = QStringLiteral("127.0.0.1");
    url.port = port();
    url.clientName = QStringLiteral("fake-test");
    return url;
}

QByteArray FakeRespServer::defaultReply(const Command &command)
{
    const QByteArray name = command.isEmpty() ? QByteArray() : command.first().toUpper();
    if (name == "INFO") {
        const QByteArray info = "# Server\r\nredis_version:0.0.0-fake\r\n";
        return '$' + QByteArray::number(info.size()) + "\r\n" + info + "\r\n";
    }
    if (name == "PING")
        return QByteArrayLiteral("+PONG\r\n");
    return QByteArrayLiteral("+OK\r\n");
}

void FakeRespServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        ++m_connections;
        socket->setParent(this);
        // The reader lives as long as the socket.
        auto reader = std::shared_ptr<redisReader>(redisReaderCreate(), redisReaderFree);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, reader] {
            const QByteArray data = socket->readAll();
            redisReaderFeed(reader.get(), data.constData(), size_t(data.size()));
            for (;;) {
                void *raw = nullptr;
                if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK || !raw)
                    return;
                Command command;
                const auto *r = static_cast<const redisReply *>(raw);
                for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; ++i)
                    command.append(QByteArray(r->element[i]->str, qsizetype(r->element[i]->len)));
                freeReplyObject(raw);
                m_received.append(command);
                emit commandReceived(command);

                const std::optional<QByteArray> scripted = m_handler ? m_handler(command) : std::nullopt;
                socket->write(scripted ? *scripted : defaultReply(command));
                if (scripted && m_closeAfterReply) {
                    socket->flush();
                    socket->disconnectFromHost();
                    return;
                }
            }
        });
    }
}
