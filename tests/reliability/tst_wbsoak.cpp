// Write-behind crash soak: wbdriver (a headless ProductService in
// write-behind mode) is SIGKILLed at random moments 50 times and restarted;
// twice the redis-server itself (AOF on) is SIGKILLed and restarted too,
// once under a running driver and once between runs. A final driver run
// drains the queue. Then every acknowledged write must be in SQLite at its
// latest version (or a newer one the driver wrote but had no time to
// acknowledge), each version applied exactly once, and the queue empty.
#include "awaitcallback.h"
#include "productrepository.h"
#include "testredisserver.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using TestSupport::await;

namespace {

struct Ack
{
    qint64 version = 0;
    QString name;
};

} // namespace

class TestWriteBehindSoak final : public QObject
{
    Q_OBJECT

private:
    QHash<qint64, Ack> m_latest;
    int m_acks = 0;

    // Reads complete "ACK id version name" lines from the driver.
    void consume(QProcess &p, QByteArray &buffer)
    {
        buffer += p.readAllStandardOutput();
        qsizetype nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
            const QByteArray line = buffer.left(nl);
            buffer.remove(0, nl + 1);
            const QList<QByteArray> parts = line.split(' ');
            if (parts.size() != 4 || parts.at(0) != "ACK")
                continue;
            const qint64 id = parts.at(1).toLongLong();
            const qint64 version = parts.at(2).toLongLong();
            ++m_acks;
            if (version > m_latest.value(id).version)
                m_latest.insert(id, Ack { version, QString::fromUtf8(parts.at(3)) });
        }
    }

    // Runs the driver until `until` has passed (collecting output), or for
    // drain runs until it exits.
    QStringList driverArgs(const TestRedisServer &redis, const QString &db, int run) const
    {
        return { QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:%1").arg(redis.port()),
            QStringLiteral("--db"), db, QStringLiteral("--ids"), QStringLiteral("20"), QStringLiteral("--tag"),
            QStringLiteral("r%1").arg(run) };
    }

private slots:
    void soak()
    {
        const quint32 seed = qEnvironmentVariableIsSet("CACHELAB_SEED")
            ? quint32(qEnvironmentVariableIntValue("CACHELAB_SEED"))
            : QRandomGenerator::global()->generate();
        qInfo("seed %u (set CACHELAB_SEED to repeat)", seed);
        QRandomGenerator rng(seed);

        TestRedisServer redis;
        redis.setExtraConfig({ QStringLiteral("appendonly yes"), QStringLiteral("appendfsync everysec") });
        QString error;
        QVERIFY2(redis.start(&error), qPrintable(error));

        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("soak.db"));
        {
            ProductRepository repo(db);
            repo.setChangePollInterval(0);
            auto r = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
            QVERIFY(r && r->ok());
            for (int i = 1; i <= 20; ++i) {
                r = await<StoreResult>(
                    [&](QObject *c, StoreCallback cb) { repo.create(QStringLiteral("seed-%1").arg(i), i, c, cb); });
                QVERIFY(r && r->ok());
            }
        }

        QElapsedTimer total;
        total.start();
        constexpr int Runs = 50;
        int kills = 0;
        int redisKills = 0;
        for (int run = 0; run < Runs; ++run) {
            QProcess driver;
            driver.setProgram(QStringLiteral(WBDRIVER_PATH));
            driver.setArguments(driverArgs(redis, db, run));
            driver.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            driver.start();
            QVERIFY2(driver.waitForStarted(5000), qPrintable(driver.errorString()));
            QByteArray buffer;
            // A random moment: sometimes during start-up and queue
            // recovery, mostly in the middle of writing.
            const int lifetime = 30 + int(rng.bounded(450));
            const bool killRedisUnderDriver = run == 17;
            QDeadlineTimer until(lifetime);
            QDeadlineTimer redisKillAt(lifetime / 2);
            bool redisKilled = false;
            while (!until.hasExpired() && driver.state() == QProcess::Running) {
                driver.waitForReadyRead(int(qMax<qint64>(1, qMin(until.remainingTime(), qint64(20)))));
                consume(driver, buffer);
                if (killRedisUnderDriver && !redisKilled && redisKillAt.hasExpired()) {
                    redis.kill();
                    ++redisKills;
                    redisKilled = true;
                    QVERIFY2(redis.restart(&error), qPrintable(error));
                }
            }
            QVERIFY2(driver.state() == QProcess::Running, "the driver died on its own");
            driver.kill(); // SIGKILL
            QVERIFY(driver.waitForFinished(5000));
            consume(driver, buffer);
            ++kills;
            if (run == 33) { // the server dies while nobody is connected
                redis.kill();
                ++redisKills;
                QVERIFY2(redis.restart(&error), qPrintable(error));
            }
        }

        QProcess drainer;
        drainer.setProgram(QStringLiteral(WBDRIVER_PATH));
        drainer.setArguments(driverArgs(redis, db, Runs) << QStringLiteral("--drain"));
        drainer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        drainer.start();
        QVERIFY(drainer.waitForFinished(35000));
        const QByteArray drained = drainer.readAllStandardOutput();
        QCOMPARE(drainer.exitCode(), 0);
        QVERIFY2(drained.contains("DRAINED"), drained.constData());

        QCOMPARE(redis.syncInteger({ "LLEN", "cachelab:wb:queue" }), qint64(0));
        QCOMPARE(redis.syncInteger({ "LLEN", "cachelab:wb:processing" }), qint64(0));

        // Every acknowledged write is in SQLite at its latest version.
        ProductRepository repo(db);
        repo.setChangePollInterval(0);
        auto opened = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
        QVERIFY(opened && opened->ok());
        auto listed = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.list(c, cb); });
        QVERIFY(listed && listed->ok());
        QCOMPARE(listed->products.size(), 20);
        QHash<qint64, Product> rows;
        for (const Product &p : listed->products)
            rows.insert(p.id, p);
        int exact = 0;
        for (auto it = m_latest.cbegin(); it != m_latest.cend(); ++it) {
            QVERIFY(rows.contains(it.key()));
            const Product &row = rows.value(it.key());
            QVERIFY2(row.version >= it->version,
                qPrintable(QStringLiteral("product %1: acknowledged version %2 (%3) lost; SQLite has %4 (%5)")
                               .arg(it.key())
                               .arg(it->version)
                               .arg(it->name)
                               .arg(row.version)
                               .arg(row.name)));
            if (row.version == it->version) {
                QCOMPARE(row.name, it->name);
                ++exact;
            }
        }

        // Exactly once: no version of a product was applied twice.
        {
            QSqlDatabase side = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("soak-side"));
            side.setDatabaseName(db);
            QVERIFY(side.open());
            QSqlQuery q(side);
            QVERIFY(
                q.exec(QStringLiteral("SELECT product_id, version, COUNT(*) FROM product_changes WHERE kind = 'update' "
                                      "GROUP BY product_id, version HAVING COUNT(*) > 1")));
            if (q.next())
                QFAIL(qPrintable(QStringLiteral("product %1 version %2 applied %3 times")
                                     .arg(q.value(0).toLongLong())
                                     .arg(q.value(1).toLongLong())
                                     .arg(q.value(2).toLongLong())));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("soak-side"));

        qInfo("soak: %d driver SIGKILLs, %d redis-server SIGKILLs, %d writes acknowledged, %lld products checked "
              "(%d at exactly the acknowledged version), 0 lost, in %lld ms",
            kills, redisKills, m_acks, qlonglong(m_latest.size()), exact, total.elapsed());
        QVERIFY2(m_acks > 100, "too few writes were acknowledged for the soak to mean anything");
        QVERIFY(total.elapsed() < 120000);
    }
};

QTEST_GUILESS_MAIN(TestWriteBehindSoak)
#include "tst_wbsoak.moc"
