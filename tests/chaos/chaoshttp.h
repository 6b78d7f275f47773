// ChaosHttp: a blocking HTTP/1.1 client for one loopback port, for the
// chaos test's worker threads (no event loop, no Qt network objects).
//
// One keep-alive connection, opened again whenever the last one failed or
// the server closed it. Every call is bounded by its timeout. The answer
// says how far the request got, because the chaos checks must tell a
// request the server never saw (Refused: the connection was never made)
// from one whose fate is unknown (Broken: it may have been applied).
#pragma once

#include <QByteArray>
#include <QString>

struct HttpAnswer
{
    enum class Transport {
        Ok, ///< a complete response arrived
        Refused, ///< no connection: the server certainly never saw the request
        Broken, ///< sent (or partly sent) but no complete response: outcome unknown
    };
    Transport transport = Transport::Broken;
    int status = 0; ///< HTTP status when transport is Ok
    QByteArray body;
    QString error; ///< what went wrong when transport is not Ok
};

class ChaosHttp final
{
public:
    ChaosHttp() = default;
    ~ChaosHttp();
    ChaosHttp(const ChaosHttp &) = delete;
    ChaosHttp &operator=(const ChaosHttp &) = delete;

    /// Sends one request to 127.0.0.1:port and waits at most timeoutMs for
    /// the whole response. A port other than the last one opens a new
    /// connection.
    HttpAnswer request(
        quint16 port, const QByteArray &method, const QByteArray &path, const QByteArray &body, int timeoutMs);
    void close();

private:
    bool connectTo(quint16 port, qint64 deadline, HttpAnswer *failure);
    bool stillOpen() const;

    int m_fd = -1;
    quint16 m_port = 0;
};
