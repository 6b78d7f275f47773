// Tests for rediss:// (QSslSocket) against a TLS-only redis-server: a CA,
// a server certificate for 127.0.0.1/localhost and a client certificate are
// made with the openssl tool at start. Checks: mutual TLS works; a wrong
// verify name, an untrusted CA and a missing client certificate are refused
// with a clear error; verify=0 turns peer verification off.
#include "redisclient.h"
#include "testredisserver.h"

#include <QProcess>
#include <QSslSocket>
#include <QStandardPaths>
#include <QtTest>

#include <memory>

class TestRedisTls final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_certs;
    std::unique_ptr<TestRedisServer> m_server;

    QString path(const char *name) const { return m_certs.filePath(QString::fromLatin1(name)); }

    bool openssl(const QStringList &args, QString *error)
    {
        QProcess p;
        p.setWorkingDirectory(m_certs.path());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("openssl"), args);
        if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            *error = QStringLiteral("openssl %1 failed: %2")
                         .arg(args.join(QLatin1Char(' ')), QString::fromLocal8Bit(p.readAll()));
            return false;
        }
        return true;
    }

    bool makeCa(const QString &name, const QString &cn, QString *error)
    {
        return openssl(
            { QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
                QStringLiteral("-nodes"), QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                QStringLiteral("/CN=") + cn, QStringLiteral("-keyout"), name + QStringLiteral(".key"),
                QStringLiteral("-out"), name + QStringLiteral(".crt") },
            error);
    }

    bool makeLeaf(const QString &name, const QString &cn, const QByteArray &extensions, QString *error)
    {
        QFile ext(m_certs.filePath(name + QStringLiteral(".ext")));
        if (!ext.open(QIODevice::WriteOnly) || ext.write(extensions) != extensions.size())
            return false;
        ext.close();
        return openssl({ QStringLiteral("req"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
                           QStringLiteral("-nodes"), QStringLiteral("-subj"), QStringLiteral("/CN=") + cn,
                           QStringLiteral("-keyout"), name + QStringLiteral(".key"), QStringLiteral("-out"),
                           name + QStringLiteral(".csr") },
                   error)
            && openssl({ QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"),
                           name + QStringLiteral(".csr"), QStringLiteral("-CA"), QStringLiteral("ca.crt"),
                           QStringLiteral("-CAkey"), QStringLiteral("ca.key"), QStringLiteral("-CAcreateserial"),
                           QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-extfile"),
                           name + QStringLiteral(".ext"), QStringLiteral("-out"), name + QStringLiteral(".crt") },
                error);
    }

    // rediss:// URL text for the test server with the given query.
    QString urlText(const QString &query) const
    {
        return QStringLiteral("rediss://127.0.0.1:%1/0?%2").arg(m_server->port()).arg(query);
    }

    QString trustedQuery() const
    {
        return QStringLiteral("ca=%1&cert=%2&key=%3").arg(path("ca.crt"), path("client.crt"), path("client.key"));
    }

    // Connects and returns "" on success (after a PING), else the first error.
    static QString tryConnect(const QString &text)
    {
        QString parseError;
        const std::optional<RedisUrl> url = RedisUrl::parse(text, &parseError);
        if (!url)
            return QStringLiteral("bad url: ") + parseError;
        RedisClient client(*url);
        client.setReconnectPolicy(2000, 2000, 0);
        QSignalSpy up(&client, &RedisClient::connected);
        QSignalSpy errors(&client, &RedisClient::errorOccurred);
        client.connectToServer();
        if (!QTest::qWaitFor([&] { return up.count() > 0 || errors.count() > 0; }, 10000))
            return QStringLiteral("no outcome within 10 s");
        if (errors.count() > 0)
            return errors.first().first().toString();
        std::optional<RedisReply> pong;
        QObject context;
        client.command({ "PING" }, &context, [&pong](const RedisReply &r) { pong = r; });
        if (!QTest::qWaitFor([&pong] { return pong.has_value(); }, 5000))
            return QStringLiteral("no PING reply");
        if (*pong != RedisReply::status("PONG"))
            return QStringLiteral("PING gave ") + pong->toDisplayString();
        if (!client.serverVersion().startsWith(QLatin1String("7.")))
            return QStringLiteral("no server version");
        return QString();
    }

private slots:
    void initTestCase()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("Qt has no TLS backend here");
        if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty())
            QSKIP("openssl tool not found");
        QVERIFY(m_certs.isValid());
        QString error;
        QVERIFY2(makeCa(QStringLiteral("ca"), QStringLiteral("CacheLab Test CA"), &error), qPrintable(error));
        QVERIFY2(makeCa(QStringLiteral("other-ca"), QStringLiteral("Somebody Else CA"), &error), qPrintable(error));
        QVERIFY2(makeLeaf(QStringLiteral("server"), QStringLiteral("127.0.0.1"),
                     "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                     "extendedKeyUsage=serverAuth\n",
                     &error),
            qPrintable(error));
        QVERIFY2(makeLeaf(QStringLiteral("client"), QStringLiteral("cachelab-client"),
                     "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n", &error),
            qPrintable(error));

        m_server = std::make_unique<TestRedisServer>();
        m_server->setTls(path("server.crt"), path("server.key"), path("ca.crt"));
        QVERIFY2(m_server->start(&error), qPrintable(error));
    }

    void cleanupTestCase() { m_server.reset(); }

    void mutualTlsWorks()
    {
        const QString outcome = tryConnect(urlText(trustedQuery()));
        QVERIFY2(outcome.isEmpty(), qPrintable(outcome));
    }

    void verifyNameFromSni()
    {
        // The certificate also names "localhost"; verifying against that works.
        const QString outcome = tryConnect(urlText(trustedQuery() + QStringLiteral("&sni=localhost")));
        QVERIFY2(outcome.isEmpty(), qPrintable(outcome));
    }

    void hostNameMismatchRefused()
    {
        const QString outcome = tryConnect(urlText(trustedQuery() + QStringLiteral("&sni=wrong.example")));
        QVERIFY2(outcome.startsWith(QLatin1String("TLS handshake with 127.0.0.1")), qPrintable(outcome));
        QVERIFY2(outcome.contains(QLatin1String("host name"), Qt::CaseInsensitive), qPrintable(outcome));
    }

    void untrustedCaRefused()
    {
        const QString query
            = QStringLiteral("ca=%1&cert=%2&key=%3").arg(path("other-ca.crt"), path("client.crt"), path("client.key"));
        const QString outcome = tryConnect(urlText(query));
        QVERIFY2(outcome.startsWith(QLatin1String("TLS handshake with")), qPrintable(outcome));
        QVERIFY2(outcome.contains(QLatin1String("certificate"), Qt::CaseInsensitive), qPrintable(outcome));
    }

    void verifyOffAcceptsAnyServer()
    {
        // Untrusted CA and a wrong name, but verification is off.
        const QString query = QStringLiteral("ca=%1&cert=%2&key=%3&verify=0&sni=wrong.example")
                                  .arg(path("other-ca.crt"), path("client.crt"), path("client.key"));
        const QString outcome = tryConnect(urlText(query));
        QVERIFY2(outcome.isEmpty(), qPrintable(outcome));
    }

    void missingClientCertRefused()
    {
        // tls-auth-clients yes: the server drops us during or right after
        // the handshake, so we never report connected.
        const QString outcome = tryConnect(urlText(QStringLiteral("ca=") + path("ca.crt")));
        QVERIFY2(!outcome.isEmpty(), "connected without a client certificate");
        QVERIFY2(!outcome.startsWith(QLatin1String("no outcome")), qPrintable(outcome));
    }

    void unreadableFilesReported()
    {
        const QString outcome = tryConnect(urlText(QStringLiteral("ca=/nonexistent/ca.pem")));
        QVERIFY2(outcome.contains(QLatin1String("cannot read a CA certificate")), qPrintable(outcome));
    }
};

QTEST_GUILESS_MAIN(TestRedisTls)
#include "tst_redistls.moc"
