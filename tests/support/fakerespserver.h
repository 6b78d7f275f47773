// FakeRespServer: a scripted RESP server for malformed-protocol tests.
//
// A QTcpServer on 127.0.0.1 that parses each incoming command with the
// hiredis reader and answers with whatever bytes the test's handler returns,
// valid or not. Commands the handler does not answer (it returns
// std::nullopt) get a plausible default, so a RedisClient can finish its
// handshake (CLIENT SETNAME, INFO) before the test sends the bad bytes.
#pragma once

#include "redisurl.h"

#include <functional>
#include <optional>
#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTcpServer>

class QTcpSocket;

class FakeRespServer final : public QObject
{
    Q_OBJECT

public:
    using Command = QList<QByteArray>;
    /// Returns the raw bytes to send back for one command, or nullopt for the default.
    using Handler = std::function<std::optional<QByteArray>(const Command &)>;

    explicit FakeRespServer(QObject *parent = nullptr);
    ~FakeRespServer() override;

    bool listen();
    quint16 port() const { return m_server.serverPort(); }
    /// redis://127.0.0.1:<port> with a short client name.
    RedisUrl url() const;

    void setHandler(Handler handler) { m_handler = std::move(handler); }
    /// Close the client connection right after sending the next scripted reply.
    void setCloseAfterReply(bool close) { m_closeAfterReply = close; }
    /// Every command received, in order, across all connections.
    const QList<Command> &received() const { return m_received; }
    int connectionCount() const { return m_connections; }

    /// "+OK" for CLIENT, a minimal INFO, "+PONG" for PING, "+OK" otherwise.
    static QByteArray defaultReply(const Command &command);

signals:
    void commandReceived(const FakeRespServer::Command &command);

private:
    void onNewConnection();

    QTcpServer m_server;
    Handler m_handler;
    bool m_closeAfterReply = false;
    QList<Command> m_received;
    int m_connections = 0;
};
