// EmbeddedRedis: starts a private, locked-down redis-server and stops it;
// survives a taken port and a server left behind by a crashed run.
#include "embeddedredis.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

// Sends raw RESP commands over a plain socket and returns what came back
// once `expect` was seen (or the deadline passed). Test-only, blocking.
QByteArray rawExchange(quint16 port, const QByteArray &request, const QByteArray &expect)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(3000))
        return {};
    socket.write(request);
    QByteArray answer;
    QDeadlineTimer deadline(5000);
    while (!answer.contains(expect) && !deadline.hasExpired()) {
        if (socket.waitForReadyRead(200))
            answer += socket.readAll();
    }
    return answer;
}

QByteArray configGet(const EmbeddedRedis &server, const QByteArray &name)
{
    const QByteArray request = "AUTH " + server.password().toLatin1() + "\r\nCONFIG GET " + name + "\r\n";
    return rawExchange(server.port(), request, name + "\r\n$");
}

bool processAlive(qint64 pid)
{
    return EmbeddedRedis::processAlive(pid);
}

} // namespace

class TestEmbeddedRedis final : public QObject
{
    Q_OBJECT

private slots:
    void startsLockedDown()
    {
        QTemporaryDir dir;
        EmbeddedRedis server(dir.path());
        QSignalSpy ready(&server, &EmbeddedRedis::ready);
        QSignalSpy failed(&server, &EmbeddedRedis::failed);
        server.start();
        QVERIFY2(ready.wait(10000), failed.isEmpty() ? "no signal" : qPrintable(failed.first().first().toString()));
        QVERIFY(server.isRunning());
        QVERIFY(server.port() > 0);
        QCOMPARE(server.password().size(), 64);

        // Without the password the server refuses commands.
        QVERIFY(rawExchange(server.port(), "PING\r\n", "\r\n").startsWith("-NOAUTH"));
        // With it, PING answers and the settings are the promised ones.
        const QByteArray auth = "AUTH " + server.password().toLatin1() + "\r\n";
        QVERIFY(rawExchange(server.port(), auth + "PING\r\n", "+PONG").contains("+PONG"));
        QVERIFY(configGet(server, "bind").contains("127.0.0.1"));
        QVERIFY(configGet(server, "protected-mode").contains("yes"));
        QVERIFY(configGet(server, "appendonly").contains("yes"));
        const QByteArray events = configGet(server, "notify-keyspace-events");
        QVERIFY2(events.contains('x') || events.contains('A'), events.constData());
        QVERIFY(configGet(server, "dir").contains(QFile::encodeName(dir.path())));

        // The secret is in a file only its owner can read, not on the command line.
        const QFile::Permissions perms = QFile::permissions(dir.filePath(QStringLiteral("redis.conf")));
        QVERIFY(!(perms & (QFile::ReadGroup | QFile::ReadOther)));
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(server.pid()));
        QVERIFY(cmdline.open(QIODevice::ReadOnly));
        QVERIFY(!cmdline.readAll().contains(server.password().toLatin1()));

        const RedisUrl url = server.url();
        QCOMPARE(url.port, server.port());
        QVERIFY(!url.redacted().contains(server.password()));

        const qint64 pid = server.pid();
        QSignalSpy stopped(&server, &EmbeddedRedis::stopped);
        server.stop();
        QVERIFY(stopped.wait(5000));
        QVERIFY(!server.isRunning());
        QVERIFY(!processAlive(pid));
    }

    void survivesTakenPort()
    {
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
        QTemporaryDir dir;
        EmbeddedRedis server(dir.path());
        server.setPreferredPort(squatter.serverPort());
        QSignalSpy ready(&server, &EmbeddedRedis::ready);
        server.start();
        QVERIFY(ready.wait(15000));
        QVERIFY(server.port() != squatter.serverPort());
        const QByteArray auth = "AUTH " + server.password().toLatin1() + "\r\n";
        QVERIFY(rawExchange(server.port(), auth + "PING\r\n", "+PONG").contains("+PONG"));
    }

    void replacesStaleServerAndKeepsData()
    {
        QTemporaryDir dir;
        // A redis-server that a crashed CacheLab left behind: started detached,
        // with its pid file in the data directory and some data in its AOF.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 stalePort = probe.serverPort();
        probe.close();
        qint64 firstPid = 0;
        const QStringList args{QStringLiteral("--port"), QString::number(stalePort),
                               QStringLiteral("--bind"), QStringLiteral("127.0.0.1"),
                               QStringLiteral("--dir"), dir.path(),
                               QStringLiteral("--pidfile"), dir.filePath(QStringLiteral("redis.pid")),
                               QStringLiteral("--appendonly"), QStringLiteral("yes"),
                               QStringLiteral("--save"), QString()};
        QVERIFY(QProcess::startDetached(EmbeddedRedis::findServerBinary(), args, QString(), &firstPid));
        QTRY_VERIFY_WITH_TIMEOUT(rawExchange(stalePort, "SET survivor 42\r\n", "+OK").contains("+OK"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(dir.filePath(QStringLiteral("redis.pid"))), 5000);
        QVERIFY(processAlive(firstPid));

        EmbeddedRedis second(dir.path());
        QSignalSpy ready(&second, &EmbeddedRedis::ready);
        second.start();
        QVERIFY(ready.wait(15000));
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(firstPid), 5000);
        QVERIFY(second.pid() != firstPid);
        // The AOF of the stale server was kept.
        const QByteArray auth = "AUTH " + second.password().toLatin1() + "\r\n";
        QVERIFY(rawExchange(second.port(), auth + "GET survivor\r\n", "42").contains("42"));
    }

    void sharesServerOfLiveOwner()
    {
        QTemporaryDir dir;
        EmbeddedRedis first(dir.path());
        QSignalSpy firstReady(&first, &EmbeddedRedis::ready);
        first.start();
        QVERIFY(firstReady.wait(10000));
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("owner.pid"))));

        // Pretend the server belongs to another CacheLab that is still
        // running (a live process other than this one).
        QProcess owner;
        owner.start(QStringLiteral("sleep"), {QStringLiteral("30")});
        QVERIFY(owner.waitForStarted(5000));
        QFile ownerFile(dir.filePath(QStringLiteral("owner.pid")));
        QVERIFY(ownerFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
        ownerFile.write(QByteArray::number(owner.processId()));
        ownerFile.close();

        EmbeddedRedis second(dir.path());
        QSignalSpy secondReady(&second, &EmbeddedRedis::ready);
        second.start();
        QVERIFY(secondReady.wait(10000));
        QCOMPARE(second.port(), first.port());
        QCOMPARE(second.password(), first.password());
        QCOMPARE(second.pid(), first.pid());

        // Stopping the sharer leaves the owner's server running.
        QSignalSpy secondStopped(&second, &EmbeddedRedis::stopped);
        second.stop();
        QVERIFY(secondStopped.wait(5000));
        QVERIFY(processAlive(first.pid()));
        const QByteArray auth = "AUTH " + first.password().toLatin1() + "\r\n";
        QVERIFY(rawExchange(first.port(), auth + "PING\r\n", "+PONG").contains("+PONG"));

        // With the owner gone, the same server counts as left over and is replaced.
        owner.kill();
        owner.waitForFinished(5000);
        const qint64 oldPid = first.pid();
        EmbeddedRedis third(dir.path());
        QSignalSpy thirdReady(&third, &EmbeddedRedis::ready);
        third.start();
        QVERIFY(thirdReady.wait(15000));
        QVERIFY(third.pid() != oldPid);
    }

    void missingBinaryGivesInstallHint()
    {
        QTemporaryDir dir;
        EmbeddedRedis server(dir.path());
        server.setServerBinary(QString());
        QSignalSpy failed(&server, &EmbeddedRedis::failed);
        server.start();
        QVERIFY(failed.wait(2000));
        const QString message = failed.first().first().toString();
        QVERIFY(message.contains(QLatin1String("apt-get install redis-server")));
    }
};

QTEST_GUILESS_MAIN(TestEmbeddedRedis)
#include "tst_embeddedredis.moc"
