// RedisUrl: parsing and printing of redis://, rediss:// and unix:// URLs.
//
// Parsed by hand rather than with QUrl so that every error message is ours:
// QUrl's own errors may quote the whole input, password included. The user
// info ends at the LAST '@' of the URL, so a generated password may contain
// ':', '/', '?', '#' or '@' without percent-encoding; a query value that
// contains '@' must then be written as %40.
#include "redisurl.h"

#include <QHostAddress>
#include <QStringList>
#include <QUrl>

namespace {

QString decode(const QString &text)
{
    return QString::fromUtf8(QByteArray::fromPercentEncoding(text.toUtf8()));
}

QString encode(const QString &text, const QByteArray &keep = QByteArray())
{
    return QString::fromLatin1(QUrl::toPercentEncoding(text, keep));
}

QString encodePath(const QString &text)
{
    return encode(text, QByteArrayLiteral("/:"));
}

bool parseBool(const QString &value, bool *out)
{
    const QString v = value.toLower();
    if (v == QLatin1String("1") || v == QLatin1String("true") || v == QLatin1String("yes")
        || v == QLatin1String("on")) {
        *out = true;
        return true;
    }
    if (v == QLatin1String("0") || v == QLatin1String("false") || v == QLatin1String("no")
        || v == QLatin1String("off")) {
        *out = false;
        return true;
    }
    return false;
}

bool parseDb(const QString &text, int *out)
{
    if (text.isEmpty())
        return false;
    for (const QChar c : text) {
        if (!c.isDigit() || c.unicode() > 127)
            return false;
    }
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < 0)
        return false;
    *out = value;
    return true;
}

// Every failure goes through here; as a last line of defence the message is
// scrubbed of anything that looks like the password the user typed.
std::optional<RedisUrl> fail(QString *error, QString message, const QString &rawPassword, const QString &password)
{
    for (const QString &secret : { rawPassword, password }) {
        if (!secret.isEmpty())
            message.replace(secret, QStringLiteral("***"));
    }
    if (error)
        *error = message;
    return std::nullopt;
}

} // namespace

std::optional<RedisUrl> RedisUrl::parse(const QString &input, QString *error)
{
    RedisUrl url;
    const QString text = input.trimmed();
    QString rawPassword;
    QString password;
    const auto bad = [&](const QString &message) { return fail(error, message, rawPassword, password); };

    const qsizetype schemeEnd = text.indexOf(QLatin1String("://"));
    if (text.isEmpty())
        return bad(QStringLiteral("empty Redis URL"));
    if (schemeEnd <= 0)
        return bad(QStringLiteral("not a Redis URL: expected redis://host:port, "
                                  "rediss://host:port or unix:///path/to/redis.sock"));
    const QString scheme = text.left(schemeEnd).toLower();
    if (scheme == QLatin1String("redis")) {
        url.transport = Transport::Tcp;
    } else if (scheme == QLatin1String("rediss")) {
        url.transport = Transport::Tls;
    } else if (scheme == QLatin1String("unix")) {
        url.transport = Transport::Unix;
        url.host.clear();
    } else {
        // Only the scheme is quoted: it cannot hold the password.
        return bad(QStringLiteral("unsupported URL scheme '%1' (expected redis://, rediss:// or "
                                  "unix://)")
                       .arg(scheme.left(20)));
    }

    QString rest = text.mid(schemeEnd + 3);

    // User info: everything before the last '@' (see the file comment).
    const bool unixWithoutUserInfo = url.transport == Transport::Unix && rest.startsWith(QLatin1Char('/'));
    const qsizetype at = unixWithoutUserInfo ? -1 : rest.lastIndexOf(QLatin1Char('@'));
    if (at >= 0) {
        const QString userInfo = rest.left(at);
        rest = rest.mid(at + 1);
        const qsizetype colon = userInfo.indexOf(QLatin1Char(':'));
        if (colon < 0) {
            // Treat the lone token as secret too: it may be a password
            // written without the leading ':'.
            rawPassword = userInfo;
            password = decode(userInfo);
            return bad(QStringLiteral("user name given without a password (use "
                                      "scheme://user:password@host or scheme://:password@host)"));
        }
        rawPassword = userInfo.mid(colon + 1);
        password = decode(rawPassword);
        url.user = decode(userInfo.left(colon));
        url.password = password;
    }

    QString query;
    const qsizetype question = rest.indexOf(QLatin1Char('?'));
    if (question >= 0) {
        query = rest.mid(question + 1);
        rest = rest.left(question);
    }
    if (rest.contains(QLatin1Char('#')))
        return bad(QStringLiteral("a Redis URL cannot have a '#' fragment"));

    if (url.transport == Transport::Unix) {
        if (!rest.startsWith(QLatin1Char('/')) || rest.size() < 2)
            return bad(QStringLiteral("unix:// URL needs an absolute socket path "
                                      "(unix:///path/to/redis.sock)"));
        url.socketPath = decode(rest);
        url.port = 0;
    } else {
        QString hostPort = rest;
        QString path;
        const qsizetype slash = rest.indexOf(QLatin1Char('/'));
        if (slash >= 0) {
            hostPort = rest.left(slash);
            path = rest.mid(slash + 1);
        }

        QString portText;
        if (hostPort.startsWith(QLatin1Char('['))) {
            const qsizetype close = hostPort.indexOf(QLatin1Char(']'));
            if (close < 0)
                return bad(QStringLiteral("missing ']' after IPv6 address"));
            url.host = hostPort.mid(1, close - 1);
            const QString after = hostPort.mid(close + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(QLatin1Char(':')))
                    return bad(QStringLiteral("unexpected text after IPv6 address"));
                portText = after.mid(1);
                if (portText.isEmpty())
                    return bad(QStringLiteral("empty port after ':'"));
            }
            QHostAddress address;
            if (url.host.isEmpty() || !address.setAddress(url.host)
                || address.protocol() != QAbstractSocket::IPv6Protocol)
                return bad(QStringLiteral("invalid IPv6 address '%1'").arg(url.host.left(60)));
        } else {
            const qsizetype colon = hostPort.indexOf(QLatin1Char(':'));
            if (colon >= 0 && hostPort.indexOf(QLatin1Char(':'), colon + 1) >= 0)
                return bad(QStringLiteral("an IPv6 address must be written in brackets, "
                                          "e.g. redis://[::1]:6379"));
            url.host = colon >= 0 ? hostPort.left(colon) : hostPort;
            if (colon >= 0) {
                portText = hostPort.mid(colon + 1);
                if (portText.isEmpty())
                    return bad(QStringLiteral("empty port after ':'"));
            }
            if (url.host.isEmpty())
                return bad(QStringLiteral("missing host name in Redis URL"));
            for (const QChar c : std::as_const(url.host)) {
                if (c.isSpace() || c == QLatin1Char('%') || c == QLatin1Char('\\'))
                    return bad(QStringLiteral("invalid host name '%1'").arg(url.host.left(60)));
            }
        }

        if (!portText.isEmpty()) {
            bool ok = true;
            for (const QChar c : std::as_const(portText))
                ok = ok && c.unicode() >= '0' && c.unicode() <= '9';
            const int port = ok && portText.size() <= 5 ? portText.toInt(&ok) : 0;
            if (!ok || port < 1 || port > 65535)
                return bad(QStringLiteral("invalid port '%1' (expected 1-65535)").arg(portText.left(20)));
            url.port = quint16(port);
        }

        if (!path.isEmpty() && !parseDb(path, &url.db))
            return bad(QStringLiteral("invalid database '%1' (expected a non-negative number, "
                                      "e.g. /0)")
                           .arg(path.left(20)));
    }

    const bool tls = url.transport == Transport::Tls;
    if (!query.isEmpty()) {
        const QStringList items = query.split(QLatin1Char('&'));
        for (const QString &item : items) {
            if (item.isEmpty())
                continue;
            const qsizetype eq = item.indexOf(QLatin1Char('='));
            const QString key = (eq >= 0 ? item.left(eq) : item).toLower();
            const QString value = eq >= 0 ? decode(item.mid(eq + 1)) : QString();
            const bool tlsOption = key == QLatin1String("ca") || key == QLatin1String("cert")
                || key == QLatin1String("key") || key == QLatin1String("verify") || key == QLatin1String("sni");
            if (tlsOption && !tls)
                return bad(QStringLiteral("option '%1' is only valid for rediss:// URLs").arg(key));

            if (key == QLatin1String("name")) {
                for (const QChar c : value) {
                    if (c.isSpace() || c.unicode() < 0x21 || c.unicode() > 0x7e)
                        return bad(QStringLiteral("invalid client name (printable ASCII "
                                                  "without spaces only)"));
                }
                url.clientName = value;
            } else if (key == QLatin1String("db")) {
                if (!parseDb(value, &url.db))
                    return bad(QStringLiteral("invalid database '%1' (expected a non-negative "
                                              "number)")
                                   .arg(value.left(20)));
            } else if (key == QLatin1String("ca")) {
                url.caFile = value;
            } else if (key == QLatin1String("cert")) {
                url.certFile = value;
            } else if (key == QLatin1String("key")) {
                url.keyFile = value;
            } else if (key == QLatin1String("sni")) {
                if (value.isEmpty())
                    return bad(QStringLiteral("option 'sni' needs a host name"));
                url.tlsServerName = value;
            } else if (key == QLatin1String("verify")) {
                if (!parseBool(value, &url.verifyPeer))
                    return bad(QStringLiteral("invalid value for 'verify' (expected 0 or 1)"));
            } else {
                return bad(QStringLiteral("unknown option '%1' (known: name, db, ca, cert, key, "
                                          "verify, sni)")
                               .arg(key.left(30)));
            }
        }
    }
    if (url.certFile.isEmpty() != url.keyFile.isEmpty())
        return bad(QStringLiteral("options 'cert' and 'key' must be given together"));

    if (error)
        error->clear();
    return url;
}

QString RedisUrl::redacted() const
{
    QString out;
    switch (transport) {
    case Transport::Tcp:
        out = QStringLiteral("redis://");
        break;
    case Transport::Tls:
        out = QStringLiteral("rediss://");
        break;
    case Transport::Unix:
        out = QStringLiteral("unix://");
        break;
    }
    if (!user.isEmpty() || !password.isEmpty()) {
        out += encode(user);
        if (!password.isEmpty())
            out += QStringLiteral(":***");
        out += QLatin1Char('@');
    }

    QStringList options;
    if (transport == Transport::Unix) {
        out += socketPath;
        if (db != 0)
            options << QStringLiteral("db=%1").arg(db);
    } else {
        out += endpoint();
        if (db != 0)
            out += QStringLiteral("/%1").arg(db);
    }
    if (clientName != QLatin1String("cachelab"))
        options << QStringLiteral("name=") + encode(clientName);
    if (transport == Transport::Tls) {
        if (!caFile.isEmpty())
            options << QStringLiteral("ca=") + encodePath(caFile);
        if (!certFile.isEmpty())
            options << QStringLiteral("cert=") + encodePath(certFile);
        if (!keyFile.isEmpty())
            options << QStringLiteral("key=") + encodePath(keyFile);
        if (!verifyPeer)
            options << QStringLiteral("verify=0");
        if (!tlsServerName.isEmpty())
            options << QStringLiteral("sni=") + encode(tlsServerName);
    }
    if (!options.isEmpty())
        out += QLatin1Char('?') + options.join(QLatin1Char('&'));
    return out;
}

QString RedisUrl::endpoint() const
{
    if (transport == Transport::Unix)
        return socketPath;
    const QString h = host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host;
    return h + QLatin1Char(':') + QString::number(port);
}
