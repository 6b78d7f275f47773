// RedisUrl: connection settings parsed from a redis:// rediss:// or unix:// URL.
//
//   redis://[[user]:password@]host[:port][/db][?name=client-name]
//   rediss://[[user]:password@]host[:port][/db][?ca=FILE&cert=FILE&key=FILE&verify=0&sni=HOST]
//   unix://[[user]:password@]/path/to/redis.sock[?db=N]
//
// Percent-escapes in user and password are decoded. The password is kept
// only here and in the connection; redacted() and every error message replace
// it with "***".
#pragma once

#include <QString>
#include <optional>

struct RedisUrl final
{
    enum class Transport { Tcp, Tls, Unix };

    Transport transport = Transport::Tcp;
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    QString socketPath; ///< Unix transport only
    QString user;       ///< ACL user; empty means "default" / password-only AUTH
    QString password;   ///< empty means no AUTH
    int db = 0;
    QString clientName = QStringLiteral("cachelab");

    // TLS (rediss://) settings.
    QString caFile;
    QString certFile;
    QString keyFile;
    bool verifyPeer = true; ///< certificate chain and host name checks
    QString tlsServerName;  ///< SNI / name to verify; defaults to host

    /// Parses a URL. On failure returns std::nullopt and sets *error to a
    /// message that names the problem (never containing the password).
    static std::optional<RedisUrl> parse(const QString &url, QString *error = nullptr);

    /// The URL with the password replaced by "***" (safe for logs and UI).
    QString redacted() const;
    /// "host:port" or the socket path, for status bars.
    QString endpoint() const;
};
