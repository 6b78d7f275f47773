// Security: the embedded server is reachable on loopback only and locked
// with a fresh random password; a least-privilege ACL user can work without
// CONFIG, INFO or keyspace-notification rights, and what it may not do fails
// with a clear NOPERM error; a self-signed TLS server is refused; and no
// password ever shows up in a log line, signal, error string, callback
// error, URL error or operation trace, whatever goes wrong.
#include "awaitcallback.h"
#include "embeddedredis.h"
#include "keyspacewatcher.h"
#include "logcapture.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "redissubscriber.h"
#include "testredisserver.h"

#include <QLoggingCategory>
#include <QProcess>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

namespace {

// Local addresses a port is listening on, from /proc/net/tcp{,6}
// ("0100007F" is 127.0.0.1, "00000000" is 0.0.0.0).
QStringList listenAddresses(quint16 port)
{
    QStringList out;
    for (const QString &file : { QStringLiteral("/proc/net/tcp"), QStringLiteral("/proc/net/tcp6") }) {
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QList<QByteArray> lines = f.readAll().split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QList<QByteArray> cols = lines.at(i).simplified().split(' ');
            if (cols.size() < 4 || cols.at(3) != "0A") // 0A = LISTEN
                continue;
            const QList<QByteArray> local = cols.at(1).split(':');
            if (local.size() == 2 && local.at(1).toUShort(nullptr, 16) == port)
                out << QString::fromLatin1(local.at(0));
        }
    }
    return out;
}

const QString Secret = QStringLiteral("Zq9-s3cr3t@pa55/w:rd%x"); // decoded
const QString WrongSecret = QStringLiteral("Wr0ng-S3cr3t-9f8e7d"); // also secret: users mistype real ones
QString encoded(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}

} // namespace

class TestSecurity final : public QObject
{
    Q_OBJECT

private:
    QStringList m_collected; ///< every string CacheLab showed us

    void watch(RedisClient &client)
    {
        connect(&client, &RedisClient::errorOccurred, this, [this](const QString &m) { m_collected << m; });
        connect(&client, &RedisClient::disconnected, this, [this](const QString &m) { m_collected << m; });
    }
    void collectReply(const RedisReply &r) { m_collected << r.errorMessage() << r.toDisplayString(-1); }

    void verifyNoSecret(const QStringList &texts, const QString &what)
    {
        for (const QString &text : texts) {
            for (const QString &secret : { Secret, encoded(Secret), WrongSecret }) {
                QVERIFY2(!text.contains(secret),
                    qPrintable(QStringLiteral("%1 leaks a password: %2")
                                   .arg(what, QString(text).replace(secret, QStringLiteral("<SECRET>")))));
            }
        }
    }

private slots:
    void embeddedListensOnLoopbackOnly()
    {
        QTemporaryDir dir;
        EmbeddedRedis a(dir.filePath(QStringLiteral("a")));
        QSignalSpy ready(&a, &EmbeddedRedis::ready);
        a.start();
        QVERIFY(ready.wait(10000));
        const QStringList addresses = listenAddresses(a.port());
        QVERIFY2(!addresses.isEmpty(), "port not found in /proc/net/tcp");
        for (const QString &address : addresses)
            QVERIFY2(address == QLatin1String("0100007F"), qPrintable(QStringLiteral("listens on %1").arg(address)));

        // A second instance gets a different, strong password.
        EmbeddedRedis b(dir.filePath(QStringLiteral("b")));
        QSignalSpy readyB(&b, &EmbeddedRedis::ready);
        b.start();
        QVERIFY(readyB.wait(10000));
        QVERIFY(a.password() != b.password());
        QVERIFY(a.password().size() >= 32);

        // Unauthenticated clients get nothing; the password is in no log file.
        RedisUrl anonymous = a.url();
        anonymous.password.clear();
        RedisClient client(anonymous);
        client.setAutoReconnect(false);
        watch(client);
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        const bool connectedAnon = up.wait(3000);
        if (connectedAnon) { // the handshake tolerates INFO refusals; commands must still fail
            const auto r = TestSupport::await<RedisReply>([&](QObject *c, RedisCallback cb) {
                client.command({ "GET", "x" }, c, cb);
            });
            QVERIFY(r && r->isError());
            QVERIFY2(r->errorMessage().startsWith(QLatin1String("NOAUTH")), qPrintable(r->errorMessage()));
        }
        const QStringList files = QDir(a.dataDir()).entryList(QDir::Files);
        for (const QString &name : files) {
            if (name.endsWith(QLatin1String(".conf")))
                continue;
            QFile f(QDir(a.dataDir()).filePath(name));
            if (f.open(QIODevice::ReadOnly))
                QVERIFY2(!f.readAll().contains(a.password().toLatin1()), qPrintable(name));
        }
    }

    void aclUserWithoutAdminRights()
    {
        TestRedisServer server;
        server.setPassword(Secret);
        server.setExtraConfig(
            { QStringLiteral("user limited on >limited-pass ~* resetchannels &cachelab:* +@all -@dangerous") });
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));

        RedisUrl url = server.url();
        url.user = QStringLiteral("limited");
        url.password = QStringLiteral("limited-pass");
        RedisClient client(url);
        watch(client);
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY2(up.wait(5000), qPrintable(client.lastError()));
        // INFO is @dangerous: the handshake tolerates it; the version is just unknown.
        QVERIFY(client.serverVersion().isEmpty());

        // Ordinary commands work.
        auto r = TestSupport::await<RedisReply>([&](QObject *c, RedisCallback cb) {
            client.command({ "SET", "product:1", "x" }, c, cb);
        });
        QVERIFY(r && r->isStatus());
        r = TestSupport::await<RedisReply>([&](QObject *c, RedisCallback cb) {
            client.transaction({ { "HSET", "h", "a", "1" }, { "EXPIRE", "h", "60" } }, c, cb);
        });
        QVERIFY(r && r->isArray());

        // CONFIG fails with a clear error, and the connection stays usable.
        for (const RedisCommand &cmd : { RedisCommand { "CONFIG", "GET", "maxmemory" },
                 RedisCommand { "CONFIG", "SET", "notify-keyspace-events", "KEA" } }) {
            r = TestSupport::await<RedisReply>([&](QObject *c, RedisCallback cb) { client.command(cmd, c, cb); });
            QVERIFY(r && r->isError() && !r->isClientError());
            QVERIFY2(r->errorMessage().startsWith(QLatin1String("NOPERM")), qPrintable(r->errorMessage()));
            QVERIFY2(r->errorMessage().contains(QLatin1String("config"), Qt::CaseInsensitive),
                qPrintable(r->errorMessage()));
        }
        QVERIFY(client.isConnected());

        // Keyspace notifications: the channel is refused with a NOPERM error
        // on the subscriber; its own channels still work.
        RedisSubscriber subscriber(url);
        QSignalSpy subErrors(&subscriber, &RedisSubscriber::errorOccurred);
        QSignalSpy subscribed(&subscriber, &RedisSubscriber::subscribed);
        QSignalSpy messages(&subscriber, &RedisSubscriber::message);
        QSignalSpy subUp(&subscriber, &RedisSubscriber::connected);
        subscriber.connectToServer();
        QVERIFY(subUp.wait(5000));
        subscriber.psubscribe("__keyspace@0__:*");
        QVERIFY(subErrors.wait(5000));
        QVERIFY2(subErrors.first().first().toString().contains(QLatin1String("NOPERM")),
            qPrintable(subErrors.first().first().toString()));
        subscriber.subscribe("cachelab:invalidate");
        QTRY_VERIFY_WITH_TIMEOUT(subscribed.size() >= 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(
            server.syncInteger({ "PUBLISH", "cachelab:invalidate", "1" }) == 1 || messages.size() > 0, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(messages.size() >= 1, 5000);
    }

    // The service-level view of the same user: products keep working,
    // eviction settings and keyspace events fail with the server's reason.
    void aclUserDegradesFeatures()
    {
        TestRedisServer server;
        server.setExtraConfig(
            { QStringLiteral("user limited on >limited-pass ~* resetchannels &cachelab:* +@all -@dangerous") });
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        RedisUrl url = server.url();
        url.user = QStringLiteral("limited");
        url.password = QStringLiteral("limited-pass");

        QTemporaryDir dir;
        ProductRepository repo(dir.filePath(QStringLiteral("acl.db")));
        repo.setChangePollInterval(0);
        const auto opened = TestSupport::await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
        QVERIFY(opened && opened->ok());
        RedisClient client(url);
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(5000));
        ProductService service(&client, &repo);
        QTRY_VERIFY_WITH_TIMEOUT(service.isCacheAvailable(), 3000);

        auto r = TestSupport::await<ServiceResult>(
            [&](QObject *c, ServiceCallback cb) { service.create(QStringLiteral("acl"), 3, c, cb); });
        QVERIFY2(r && r->ok(), r ? qPrintable(r->error) : "no callback");
        const qint64 id = r->product->id;
        r = TestSupport::await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(id, c, cb); });
        QVERIFY(r && r->ok());
        r = TestSupport::await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(id, c, cb); });
        QVERIFY(r && r->ok() && r->fromCache);

        std::optional<ServiceResult> eviction;
        QObject ctx;
        service.readEvictionSettings(&ctx, [&](const EvictionSettings &, const ServiceResult &res) { eviction = res; });
        QTRY_VERIFY_WITH_TIMEOUT(eviction.has_value(), 5000);
        // Degraded with an explanation, not a generic failure: the status says
        // "unavailable" and the text says what is missing and how to grant it.
        QCOMPARE(eviction->status, ServiceStatus::Unavailable);
        QVERIFY2(eviction->error.contains(QLatin1String("may not run CONFIG GET"))
                && eviction->error.contains(QLatin1String("ACL SETUSER")),
            qPrintable(eviction->error));
        qInfo("eviction settings as a limited ACL user: %s", qPrintable(eviction->error));

        std::optional<QString> notify;
        KeyspaceWatcher::enableNotifications(
            &client, &ctx, [&](bool ok, const QString &message) { notify = ok ? QString() : message; });
        QTRY_VERIFY_WITH_TIMEOUT(notify.has_value(), 5000);
        // Explained like the eviction settings: what is refused, what that
        // means for the user, how to grant it, and Redis's own words.
        QVERIFY2(notify->startsWith(QLatin1String("This Redis user may not run CONFIG SET notify-keyspace-events"))
                && notify->contains(QLatin1String("ACL SETUSER <user> +config|set"))
                && notify->contains(QLatin1String("(Redis said: NOPERM")),
            qPrintable(*notify));
        qInfo("enabling notifications as a limited ACL user: %s", qPrintable(*notify));

        KeyspaceWatcher watcher(url);
        QSignalSpy watchErrors(&watcher, &KeyspaceWatcher::errorOccurred);
        watcher.start();
        QVERIFY2(watchErrors.wait(5000), "keyspace watcher said nothing about the refused subscription");
        const QString refused = watchErrors.first().first().toString();
        qInfo("keyspace watcher as a limited ACL user: %s", qPrintable(refused));
        QVERIFY2(refused.startsWith(QLatin1String("This Redis user may not subscribe to keyspace events"))
                && refused.contains(QLatin1String("ACL SETUSER <user> &__keyspace@0__:*"))
                && refused.contains(QLatin1String("live events are off"))
                && refused.contains(QLatin1String("(Redis said: NOPERM")),
            qPrintable(refused));
        QVERIFY(client.isConnected());
        // Everything else still works as this user.
        r = TestSupport::await<ServiceResult>([&](QObject *c, ServiceCallback cb) { service.get(id, c, cb); });
        QVERIFY(r && r->ok() && r->fromCache);
    }

    void selfSignedTlsRefused()
    {
        if (!QSslSocket::supportsSsl() || QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty())
            QSKIP("no TLS backend or openssl tool");
        QTemporaryDir certs;
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
            { QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
                QStringLiteral("-nodes"), QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-keyout"), certs.filePath(QStringLiteral("s.key")),
                QStringLiteral("-out"), certs.filePath(QStringLiteral("s.crt")) });
        QVERIFY(openssl.waitForFinished(30000) && openssl.exitCode() == 0);
        TestRedisServer server;
        server.setPassword(Secret);
        server.setTls(certs.filePath(QStringLiteral("s.crt")), certs.filePath(QStringLiteral("s.key")),
            certs.filePath(QStringLiteral("s.crt")), false);
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));

        // No CA given: the system store does not know this certificate.
        RedisUrl url = server.url();
        url.caFile.clear();
        url.certFile.clear();
        url.keyFile.clear();
        url.verifyPeer = true;
        RedisClient client(url);
        client.setAutoReconnect(false);
        watch(client);
        QSignalSpy errors(&client, &RedisClient::errorOccurred);
        client.connectToServer();
        QVERIFY(errors.wait(10000));
        const QString message = errors.first().first().toString();
        QVERIFY2(message.startsWith(QLatin1String("TLS handshake with 127.0.0.1")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("certificate"), Qt::CaseInsensitive), qPrintable(message));
        QVERIFY(!client.isConnected());
        m_collected << client.lastError();
    }

    // Runs every failure we can provoke with a password in play, capturing
    // all log output (debug included), and checks none of it holds a secret.
    void passwordNeverLeaks()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("*.debug=true"));
        TestSupport::LogCapture capture;

        TestRedisServer server;
        server.setPassword(Secret);
        server.setExtraConfig({ QStringLiteral("user acluser on >%1 ~* &* +@all").arg(Secret) });
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));

        // 1. Wrong password, default user and ACL user; client and subscriber.
        for (const QString &user : { QString(), QStringLiteral("acluser") }) {
            RedisUrl url = server.url();
            url.user = user;
            url.password = WrongSecret;
            RedisClient client(url);
            client.setReconnectPolicy(10, 50, 0);
            watch(client);
            QSignalSpy errors(&client, &RedisClient::errorOccurred);
            client.connectToServer();
            QTRY_VERIFY_WITH_TIMEOUT(errors.size() >= 3, 5000); // a few reconnect attempts
            QVERIFY2(errors.first().first().toString().contains(QLatin1String("authentication failed")),
                qPrintable(errors.first().first().toString()));
            client.command({ "GET", "k" }, [this](const RedisReply &r) { collectReply(r); });
            QTest::qWait(0);
            m_collected << client.lastError();

            RedisSubscriber subscriber(url);
            subscriber.setReconnectPolicy(10, 50, 0);
            QSignalSpy subErrors(&subscriber, &RedisSubscriber::errorOccurred);
            connect(&subscriber, &RedisSubscriber::errorOccurred, this, [this](const QString &m) { m_collected << m; });
            subscriber.subscribe("c");
            subscriber.connectToServer();
            QTRY_VERIFY_WITH_TIMEOUT(subErrors.size() >= 2, 5000);
        }

        // 2. Right password: commands, then the server dies and returns.
        RedisUrl url = server.url();
        QCOMPARE(url.password, Secret);
        RedisClient client(url);
        client.setReconnectPolicy(20, 100, 0.2);
        client.setCommandTimeout(500);
        watch(client);
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(5000));
        auto r = TestSupport::await<RedisReply>([&](QObject *c, RedisCallback cb) {
            client.command({ "AUTH", Secret.toUtf8() }, c, cb);
        });
        QVERIFY(r && r->isStatus());
        r = TestSupport::await<RedisReply>([&](QObject *c, RedisCallback cb) {
            client.command({ "AUTH", "nobody", WrongSecret.toUtf8() }, c, cb);
        });
        QVERIFY(r && r->isError());
        collectReply(*r);
        RedisSubscriber subscriber(url);
        subscriber.setReconnectPolicy(20, 100, 0.2);
        connect(&subscriber, &RedisSubscriber::errorOccurred, this, [this](const QString &m) { m_collected << m; });
        connect(&subscriber, &RedisSubscriber::disconnected, this, [this](const QString &m) { m_collected << m; });
        QSignalSpy resubscribed(&subscriber, &RedisSubscriber::resubscribed);
        QSignalSpy subUp(&subscriber, &RedisSubscriber::connected);
        subscriber.subscribe("c");
        subscriber.connectToServer();
        QVERIFY(subUp.wait(5000));

        for (int i = 0; i < 20; ++i)
            client.command(
                { "SET", "k" + QByteArray::number(i), "v" }, [this](const RedisReply &rr) { collectReply(rr); });
        server.kill();
        QTRY_VERIFY_WITH_TIMEOUT(!client.isConnected(), 3000);
        client.command({ "GET", "k" }, [this](const RedisReply &rr) { collectReply(rr); });
        QVERIFY2(server.restart(&error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(resubscribed.size() >= 1, 5000);
        // A hang: command timeout while paused.
        server.pause();
        client.command({ "PING" }, [this](const RedisReply &rr) { collectReply(rr); });
        QTRY_VERIFY_WITH_TIMEOUT(!client.isConnected(), 3000);
        server.resume();
        QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), 5000);

        // 3. Nobody listening; malformed URLs holding the password.
        {
            RedisUrl dead = url;
            dead.port = 1; // nothing listens on port 1 on loopback
            RedisClient deadClient(dead);
            deadClient.setAutoReconnect(false);
            watch(deadClient);
            QSignalSpy errors(&deadClient, &RedisClient::errorOccurred);
            deadClient.connectToServer();
            QVERIFY(errors.wait(5000));
        }
        const QString e = encoded(Secret);
        for (const QString &text : { QStringLiteral("redis://:%1@127.0.0.1:notaport").arg(e),
                 QStringLiteral("redis://user:%1@[::zz]:6379").arg(e), QStringLiteral("redis://:%1@host/xyz").arg(e),
                 QStringLiteral("redis://:%1@host:6379?ca=x").arg(e),
                 QStringLiteral("rediss://:%1@host:6379?bogus=1").arg(e), QStringLiteral("ftp://:%1@host").arg(e),
                 QStringLiteral("redis://:%1@").arg(e), QStringLiteral("redis://:%1@ho st").arg(Secret),
                 QStringLiteral("redis://u:%1").arg(e) }) {
            QString parseError;
            const auto parsed = RedisUrl::parse(text, &parseError);
            m_collected << parseError;
            if (parsed)
                m_collected << parsed->redacted() << parsed->endpoint();
        }
        m_collected << url.redacted() << url.endpoint();

        verifyNoSecret(m_collected, QStringLiteral("a signal, error or reply"));
        verifyNoSecret(capture.lines(), QStringLiteral("a log line"));
        QVERIFY(m_collected.size() > 20);
        qInfo("checked %lld strings and %lld log lines for the password", qlonglong(m_collected.size()),
            qlonglong(capture.lines().size()));
        QLoggingCategory::setFilterRules(QString());
    }
};

QTEST_GUILESS_MAIN(TestSecurity)
#include "tst_security.moc"
