// A redis-server that restarts with a large dataset accepts connections
// while it is still loading it and answers data commands with -LOADING.
// RedisClient must not report connected() (and so let the service replay
// invalidations or queue write-behind items) until loading has finished.
// The server is restarted by hand here, because TestRedisServer::restart()
// itself waits until the data is loaded.
#include "redisclient.h"
#include "redisserverbinary.h"
#include "testredisserver.h"

#include <QProcess>
#include <QtTest>

#include <csignal>
#include <sys/prctl.h>

class TestRedisLoading final : public QObject
{
    Q_OBJECT

private slots:
    void connectedOnlyAfterLoading()
    {
        TestRedisServer server;
        server.setExtraConfig({ QStringLiteral("enable-debug-command local") });
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        // About a second of loading on this machine. In chunks, because each
        // sync helper call gives up after 5 s on a busy machine.
        for (int chunk = 0; chunk < 6; ++chunk) {
            const QByteArray prefix = "k" + QByteArray::number(chunk);
            QCOMPARE(server.syncString({ "DEBUG", "POPULATE", "250000", prefix, "64" }), QByteArray("OK"));
        }
        server.syncString({ "BGSAVE" });
        QTRY_VERIFY_WITH_TIMEOUT(server.syncString({ "INFO", "persistence" }).contains("rdb_bgsave_in_progress:0")
                && server.syncString({ "INFO", "persistence" }).contains("rdb_last_bgsave_status:ok"),
            60000);

        RedisClient client(server.url());
        client.setReconnectPolicy(10, 50, 0);
        client.setConnectTimeout(20000);
        QSignalSpy up(&client, &RedisClient::connected);
        client.connectToServer();
        QVERIFY(up.wait(5000));

        server.kill();
        QTRY_VERIFY_WITH_TIMEOUT(!client.isConnected(), 3000);
        QProcess again;
        again.setProgram(redisServerBinary());
        again.setArguments({ server.dir() + QStringLiteral("/redis.conf") });
        again.setStandardOutputFile(QProcess::nullDevice());
        again.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        std::optional<RedisReply> first;
        connect(&client, &RedisClient::connected, this, [&] {
            // The very first command after connected() must be served.
            client.command({ "GET", "k0:1" }, [&first](const RedisReply &r) { first = r; });
        });
        again.start();
        QVERIFY(again.waitForStarted(5000));
        QVERIFY(up.wait(20000));
        QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), 5000);
        QVERIFY2(!first->isError(), qPrintable(first->errorMessage()));
        QVERIFY(first->isString());
        again.kill();
        again.waitForFinished(5000);
    }
};

QTEST_GUILESS_MAIN(TestRedisLoading)
#include "tst_redisloading.moc"
