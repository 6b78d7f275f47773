// Issue 12 (7): SIGINT, SIGTERM and SIGHUP end cachelab the way closing the
// window does: exit code 0, the window's layout saved, and the
// write-behind worker given its bounded flush, so a write acknowledged just
// before the signal is in SQLite afterwards. A real cachelab process on a
// real redis-server and SQLite file.
#include "freeport.h"
#include "testredisserver.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

namespace {
constexpr int WaitMs = 15000;
} // namespace

class TestShutdown final : public QObject
{
    Q_OBJECT

private:
    TestRedisServer m_server;

private slots:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
    }

    void signalShutsDownCleanly_data()
    {
        QTest::addColumn<int>("signalNumber");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGINT") << int(SIGINT);
        QTest::newRow("SIGHUP") << int(SIGHUP);
    }
    void signalShutsDownCleanly()
    {
        QFETCH(int, signalNumber);
        m_server.syncString({ "FLUSHALL" });
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("products.sqlite"));
        const quint16 port = freeLoopbackPort();
        QProcess app;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("HOME"), dir.path());
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("data")));
        app.setProcessEnvironment(env);
        app.setProcessChannelMode(QProcess::MergedChannels);
        app.start(QStringLiteral(CACHELAB_BINARY),
            { QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:%1").arg(m_server.port()), QStringLiteral("--db"), db,
                QStringLiteral("--api-port"), QString::number(port), QStringLiteral("--strategy"),
                QStringLiteral("write-behind") });
        QVERIFY(app.waitForStarted(WaitMs));
        QByteArray output;
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         output += app.readAll();
                         return output.contains("HTTP API on");
                     },
                     WaitMs),
            output.constData());

        // A write-behind create: acknowledged once it is in Redis and the
        // queue; the worker flushes only once a second.
        QNetworkAccessManager nam;
        QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1/product").arg(port)));
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = nam.post(req, QByteArrayLiteral(R"({"name": "Queued at shutdown", "price": 7})"));
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(reply->isFinished() || finished.wait(WaitMs));
        const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
        reply->deleteLater();
        const qint64 id = answer.value(QStringLiteral("product")).toObject().value(QStringLiteral("id")).toInteger();
        QVERIFY2(id > 0, QJsonDocument(answer).toJson().constData());

        ::kill(pid_t(app.processId()), signalNumber);
        QVERIFY2(app.waitForFinished(WaitMs), "cachelab did not exit after the signal");
        output += app.readAll();
        QCOMPARE(app.exitStatus(), QProcess::NormalExit);
        QVERIFY2(app.exitCode() == 0, output.constData());
        QVERIFY2(output.contains("received, shutting down"), output.constData());

        // The queued write reached SQLite before the process ended.
        {
            QSqlDatabase check = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
            check.setDatabaseName(db);
            QVERIFY(check.open());
            QSqlQuery q(check);
            QVERIFY(q.exec(QStringLiteral("SELECT name FROM products WHERE id = %1").arg(id)));
            QVERIFY2(q.next(), "the acknowledged write-behind create is not in SQLite");
            QCOMPARE(q.value(0).toString(), QStringLiteral("Queued at shutdown"));
            q.finish();
            check.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("check"));
        QCOMPARE(m_server.syncInteger({ "LLEN", "cachelab:wb:queue" }), 0);

        // The window saved its layout, as on a close.
        QSettings saved(dir.filePath(QStringLiteral("config/CacheLab/CacheLab.conf")), QSettings::IniFormat);
        QVERIFY2(saved.contains(QStringLiteral("window/geometry")), qPrintable(saved.fileName()));
    }

    // A backend that fails as it starts ends the program with status 3 and
    // the reason, instead of a window waiting for a server that never comes.
    void failureAtStartExits_data()
    {
        QTest::addColumn<QString>("variable");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QByteArray>("says");
        QTest::newRow("no redis-server") << QStringLiteral("CACHELAB_REDIS_SERVER")
                                         << QStringLiteral("/nonexistent/redis-server") << QByteArray("redis-server");
        QTest::newRow("bad saved URL") << QStringLiteral("CACHELAB_REDIS_URL") << QStringLiteral("bogus://x")
                                       << QByteArray("unsupported URL scheme");
    }

    void failureAtStartExits()
    {
        QFETCH(QString, variable);
        QFETCH(QString, value);
        QFETCH(QByteArray, says);
        QTemporaryDir dir;
        QProcess app;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("HOME"), dir.path());
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("data")));
        env.insert(variable, value);
        app.setProcessEnvironment(env);
        app.setProcessChannelMode(QProcess::MergedChannels);
        app.start(QStringLiteral(CACHELAB_BINARY), { QStringLiteral("--db"), dir.filePath(QStringLiteral("p.db")) });
        QVERIFY2(app.waitForFinished(WaitMs), "cachelab kept running after its backend failed");
        const QByteArray output = app.readAll();
        QCOMPARE(app.exitStatus(), QProcess::NormalExit);
        QVERIFY2(app.exitCode() == 3, output.constData());
        QVERIFY2(output.contains(says), output.constData());
    }
};

QTEST_GUILESS_MAIN(TestShutdown)
#include "tst_shutdown.moc"
