// Tests for RedisUrl::parse, redacted() and endpoint(): a table of good URLs
// with the settings they must produce, a table of bad ones with the words
// their error must contain, and checks that no password leaks into errors.
#include "redisurl.h"

#include <QtTest>

Q_DECLARE_METATYPE(RedisUrl::Transport)

class TestRedisUrl final : public QObject
{
    Q_OBJECT

private slots:
    void good_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<RedisUrl::Transport>("transport");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<int>("db");
        QTest::addColumn<QString>("socketPath");

        using T = RedisUrl::Transport;
        QTest::newRow("host only") << "redis://example.com" << T::Tcp << "example.com" << 6379 << ""
                                   << "" << 0 << "";
        QTest::newRow("host port db") << "redis://10.0.0.5:6380/3" << T::Tcp << "10.0.0.5" << 6380 << ""
                                      << "" << 3 << "";
        QTest::newRow("password only") << "redis://:s3cret@localhost:7000" << T::Tcp << "localhost" << 7000 << ""
                                       << "s3cret" << 0 << "";
        QTest::newRow("acl user") << "redis://alice:pw@127.0.0.1/0" << T::Tcp << "127.0.0.1" << 6379 << "alice"
                                  << "pw" << 0 << "";
        QTest::newRow("percent decoded") << "redis://al%20ice:p%40ss%3Aw%2Fd@h" << T::Tcp << "h" << 6379 << "al ice"
                                         << "p@ss:w/d" << 0 << "";
        QTest::newRow("raw specials in password") << "redis://:a/b?c#d@h:1/2" << T::Tcp << "h" << 1 << ""
                                                  << "a/b?c#d" << 2 << "";
        QTest::newRow("ipv6") << "redis://[::1]:6390" << T::Tcp << "::1" << 6390 << ""
                              << "" << 0 << "";
        QTest::newRow("ipv6 no port") << "redis://[fe80::1]/5" << T::Tcp << "fe80::1" << 6379 << ""
                                      << "" << 5 << "";
        QTest::newRow("big db") << "redis://h/1000" << T::Tcp << "h" << 6379 << ""
                                << "" << 1000 << "";
        QTest::newRow("trailing slash") << "redis://h:1/" << T::Tcp << "h" << 1 << ""
                                        << "" << 0 << "";
        QTest::newRow("max port") << "redis://h:65535" << T::Tcp << "h" << 65535 << ""
                                  << "" << 0 << "";
        QTest::newRow("upper scheme") << "REDIS://h" << T::Tcp << "h" << 6379 << ""
                                      << "" << 0 << "";
        QTest::newRow("tls") << "rediss://:pw@cache.example:6380/1" << T::Tls << "cache.example" << 6380 << ""
                             << "pw" << 1 << "";
        QTest::newRow("unix") << "unix:///run/redis.sock" << T::Unix << "" << 0 << ""
                              << "" << 0 << "/run/redis.sock";
        QTest::newRow("unix auth db") << "unix://bob:pw@/tmp/r.sock?db=4" << T::Unix << "" << 0 << "bob"
                                      << "pw" << 4 << "/tmp/r.sock";
    }

    void good()
    {
        QFETCH(QString, input);
        QFETCH(RedisUrl::Transport, transport);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(QString, user);
        QFETCH(QString, password);
        QFETCH(int, db);
        QFETCH(QString, socketPath);

        QString error = QStringLiteral("stale");
        const std::optional<RedisUrl> url = RedisUrl::parse(input, &error);
        QVERIFY2(url.has_value(), qPrintable(error));
        QVERIFY(error.isEmpty());
        QCOMPARE(url->transport, transport);
        if (transport != RedisUrl::Transport::Unix) {
            QCOMPARE(url->host, host);
            QCOMPARE(int(url->port), port);
        }
        QCOMPARE(url->user, user);
        QCOMPARE(url->password, password);
        QCOMPARE(url->db, db);
        QCOMPARE(url->socketPath, socketPath);
        if (!password.isEmpty())
            QVERIFY(!url->redacted().contains(password));
    }

    void options()
    {
        QString error;
        auto url = RedisUrl::parse(QStringLiteral("rediss://h:1/0?ca=/etc/ca.pem&cert=/c%20d.pem&key=/k.pem"
                                                  "&verify=0&sni=redis.internal&name=web-1"),
            &error);
        QVERIFY2(url, qPrintable(error));
        QCOMPARE(url->caFile, QStringLiteral("/etc/ca.pem"));
        QCOMPARE(url->certFile, QStringLiteral("/c d.pem"));
        QCOMPARE(url->keyFile, QStringLiteral("/k.pem"));
        QCOMPARE(url->verifyPeer, false);
        QCOMPARE(url->tlsServerName, QStringLiteral("redis.internal"));
        QCOMPARE(url->clientName, QStringLiteral("web-1"));

        url = RedisUrl::parse(QStringLiteral("rediss://h"));
        QVERIFY(url);
        QVERIFY(url->verifyPeer); // verification is on unless turned off
        QCOMPARE(url->clientName, QStringLiteral("cachelab"));
    }

    void bad_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected"); // words the error must contain

        QTest::newRow("empty") << ""
                               << "empty";
        QTest::newRow("no scheme") << "localhost:6379"
                                   << "not a Redis URL";
        QTest::newRow("wrong scheme") << "http://:hunter2@h"
                                      << "scheme 'http'";
        QTest::newRow("empty host") << "redis://:hunter2@:6379"
                                    << "missing host";
        QTest::newRow("empty host no port") << "redis://"
                                            << "missing host";
        QTest::newRow("port zero") << "redis://h:0"
                                   << "invalid port";
        QTest::newRow("port too big") << "redis://h:65536"
                                      << "invalid port";
        QTest::newRow("port text") << "redis://:hunter2@h:abc"
                                   << "invalid port";
        QTest::newRow("port negative") << "redis://h:-1"
                                       << "invalid port";
        QTest::newRow("port empty") << "redis://h:"
                                    << "empty port";
        QTest::newRow("db text") << "redis://:hunter2@h/abc"
                                 << "invalid database";
        QTest::newRow("db negative") << "redis://h/-1"
                                     << "invalid database";
        QTest::newRow("db huge") << "redis://h/99999999999"
                                 << "invalid database";
        QTest::newRow("db path") << "redis://h/1/2"
                                 << "invalid database";
        QTest::newRow("unknown option") << "redis://:hunter2@h?timeout=5"
                                        << "unknown option 'timeout'";
        QTest::newRow("tls option on plain") << "redis://h?ca=/x.pem"
                                             << "rediss://";
        QTest::newRow("bad verify") << "rediss://h?verify=maybe"
                                    << "verify";
        QTest::newRow("cert without key") << "rediss://h?cert=/c.pem"
                                          << "together";
        QTest::newRow("bad unix db") << "unix:///s.sock?db=x"
                                     << "invalid database";
        QTest::newRow("unix relative") << "unix://:hunter2@tmp/s.sock"
                                       << "absolute socket path";
        QTest::newRow("unix empty") << "unix://"
                                    << "absolute socket path";
        QTest::newRow("ipv6 unbracketed") << "redis://::1:6379"
                                          << "brackets";
        QTest::newRow("ipv6 unclosed") << "redis://[::1:6379"
                                       << "']'";
        QTest::newRow("ipv6 invalid") << "redis://[zz]:1"
                                      << "invalid IPv6";
        QTest::newRow("user without password") << "redis://hunter2@h"
                                               << "without a password";
        QTest::newRow("name with space") << "redis://h?name=a%20b"
                                         << "client name";
        QTest::newRow("fragment") << "redis://h/0#x"
                                  << "fragment";
    }

    void bad()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QString error;
        const std::optional<RedisUrl> url = RedisUrl::parse(input, &error);
        QVERIFY2(!url.has_value(), qPrintable(input));
        QVERIFY2(error.contains(expected, Qt::CaseInsensitive), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("hunter2")), qPrintable(error));
    }

    void passwordNeverInError_data()
    {
        QTest::addColumn<QString>("input");
        // Each URL is malformed somewhere and carries the password "Secr3tPw".
        QTest::newRow("bad port") << "redis://u:Secr3tPw@h:99999";
        QTest::newRow("bad db") << "redis://:Secr3tPw@h/x";
        QTest::newRow("bad option") << "rediss://:Secr3tPw@h?bogus=Secr3tPw";
        QTest::newRow("encoded") << "redis://:Secr3t%50w@h:0";
        QTest::newRow("scheme") << "ftp://:Secr3tPw@h";
        QTest::newRow("no colon") << "redis://Secr3tPw@h";
    }

    void passwordNeverInError()
    {
        QFETCH(QString, input);
        QString error;
        QVERIFY(!RedisUrl::parse(input, &error));
        QVERIFY(!error.isEmpty());
        QVERIFY2(!error.contains(QLatin1String("Secr3t")), qPrintable(error));
    }

    void redacted()
    {
        auto url = RedisUrl::parse(QStringLiteral("redis://alice:topsecret@h:7000/2?name=x"));
        QVERIFY(url);
        const QString text = url->redacted();
        QCOMPARE(text, QStringLiteral("redis://alice:***@h:7000/2?name=x"));
        QVERIFY(!text.contains(QLatin1String("topsecret")));
        // The redacted form parses back to the same settings (bar the password).
        auto again = RedisUrl::parse(text);
        QVERIFY(again);
        QCOMPARE(again->user, QStringLiteral("alice"));
        QCOMPARE(again->port, quint16(7000));
        QCOMPARE(again->db, 2);

        url = RedisUrl::parse(QStringLiteral("rediss://:p@[::1]:6380?verify=0&ca=/tmp/ca.pem"));
        QVERIFY(url);
        QCOMPARE(url->redacted(), QStringLiteral("rediss://:***@[::1]:6380?ca=/tmp/ca.pem&verify=0"));
        url = RedisUrl::parse(QStringLiteral("unix://:p@/tmp/r.sock?db=3"));
        QVERIFY(url);
        QCOMPARE(url->redacted(), QStringLiteral("unix://:***@/tmp/r.sock?db=3"));
        QCOMPARE(RedisUrl().redacted(), QStringLiteral("redis://127.0.0.1:6379"));
    }

    void endpoint()
    {
        QCOMPARE(RedisUrl::parse(QStringLiteral("redis://h:1"))->endpoint(), QStringLiteral("h:1"));
        QCOMPARE(RedisUrl::parse(QStringLiteral("redis://[::1]:2"))->endpoint(), QStringLiteral("[::1]:2"));
        QCOMPARE(RedisUrl::parse(QStringLiteral("unix:///a/b.sock"))->endpoint(), QStringLiteral("/a/b.sock"));
    }
};

QTEST_GUILESS_MAIN(TestRedisUrl)
#include "tst_redisurl.moc"
