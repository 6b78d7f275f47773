// ChaosHttp: non-blocking socket, poll() against one deadline per request,
// Content-Length framing (what Qt HTTP Server sends).
#include "chaoshttp.h"

#include <QList>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

qint64 nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

/// Waits until fd is ready for `events` or the deadline passes.
bool waitFor(int fd, short events, qint64 deadline)
{
    for (;;) {
        const qint64 left = deadline - nowMs();
        if (left <= 0)
            return false;
        pollfd p { fd, events, 0 };
        const int n = ::poll(&p, 1, int(left));
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}

QString lastError(const char *what)
{
    return QStringLiteral("%1: %2").arg(QLatin1String(what), QString::fromLocal8Bit(std::strerror(errno)));
}

} // namespace

ChaosHttp::~ChaosHttp()
{
    close();
}

void ChaosHttp::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

bool ChaosHttp::stillOpen() const
{
    // A kept-alive connection the server closed (or a restarted server
    // reset) reads as EOF or an error at once: open a new one rather than
    // sending into it and calling the outcome unknown.
    pollfd p { m_fd, POLLIN, 0 };
    if (::poll(&p, 1, 0) == 0)
        return true;
    char byte;
    const ssize_t n = ::recv(m_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool ChaosHttp::connectTo(quint16 port, qint64 deadline, HttpAnswer *failure)
{
    close();
    m_port = port;
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        failure->transport = HttpAnswer::Transport::Refused;
        failure->error = lastError("socket");
        return false;
    }
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::connect(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof address);
    if (rc < 0 && errno == EINPROGRESS) {
        if (!waitFor(m_fd, POLLOUT, deadline)) {
            failure->transport = HttpAnswer::Transport::Refused;
            failure->error = QStringLiteral("connect: timed out");
            close();
            return false;
        }
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length);
        errno = error;
        rc = error == 0 ? 0 : -1;
    }
    if (rc < 0) {
        failure->transport = HttpAnswer::Transport::Refused;
        failure->error = lastError("connect");
        close();
        return false;
    }
    return true;
}

HttpAnswer ChaosHttp::request(
    quint16 port, const QByteArray &method, const QByteArray &path, const QByteArray &body, int timeoutMs)
{
    const qint64 deadline = nowMs() + timeoutMs;
    HttpAnswer answer;
    if (m_fd < 0 || m_port != port || !stillOpen()) {
        if (!connectTo(port, deadline, &answer))
            return answer;
    }

    QByteArray out = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
        + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n"
        + body;
    answer.transport = HttpAnswer::Transport::Broken;
    qsizetype sent = 0;
    while (sent < out.size()) {
        const ssize_t n = ::send(m_fd, out.constData() + sent, size_t(out.size() - sent), MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
            continue;
        }
        const bool wouldBlock = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        if (wouldBlock && waitFor(m_fd, POLLOUT, deadline))
            continue;
        answer.error = wouldBlock || n == 0 ? QStringLiteral("send: timed out") : lastError("send");
        close();
        return answer;
    }

    QByteArray in;
    qsizetype headerEnd = -1;
    qsizetype contentLength = -1;
    bool closeAfter = false;
    char buffer[16384];
    for (;;) {
        if (headerEnd < 0) {
            headerEnd = in.indexOf("\r\n\r\n");
            if (headerEnd >= 0) {
                const QList<QByteArray> lines = in.left(headerEnd).split('\n');
                const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
                answer.status = statusLine.value(1).toInt();
                for (qsizetype i = 1; i < lines.size(); ++i) {
                    const QByteArray line = lines.at(i).trimmed();
                    const qsizetype colon = line.indexOf(':');
                    const QByteArray name = line.left(colon).trimmed().toLower();
                    const QByteArray value = line.mid(colon + 1).trimmed();
                    if (name == "content-length")
                        contentLength = value.toLongLong();
                    else if (name == "connection" && value.toLower() == "close")
                        closeAfter = true;
                }
                headerEnd += 4;
            }
        }
        if (headerEnd >= 0 && contentLength >= 0 && in.size() - headerEnd >= contentLength) {
            answer.body = in.mid(headerEnd, contentLength);
            answer.transport = HttpAnswer::Transport::Ok;
            if (closeAfter)
                close();
            return answer;
        }
        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            in.append(buffer, n);
            continue;
        }
        if (n == 0) {
            if (headerEnd >= 0 && contentLength < 0) { // framed by the end of the connection
                answer.body = in.mid(headerEnd);
                answer.transport = HttpAnswer::Transport::Ok;
            } else {
                answer.error = QStringLiteral("connection closed after %1 bytes of the response").arg(in.size());
            }
            close();
            return answer;
        }
        const bool wouldBlock = errno == EAGAIN || errno == EWOULDBLOCK;
        if (wouldBlock && waitFor(m_fd, POLLIN, deadline))
            continue;
        answer.error
            = wouldBlock ? QStringLiteral("no complete response within %1 ms").arg(timeoutMs) : lastError("recv");
        close();
        return answer;
    }
}
