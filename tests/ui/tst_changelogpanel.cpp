// ChangeLogPanel on two services ("windows") with their own key prefixes on
// one redis-server and one SQLite file: B's timeline shows A's and its own
// writes newest first, who wrote them, and which ones dropped B's copy; the
// header shows the stream length and the group's lag and pending count, and
// entries whose apply failed and were given up on.
#include "cachefixture.h"
#include "changelogpanel.h"
#include "changestream.h"

#include <QLabel>
#include <QTreeWidget>
#include <QtTest>

using namespace CacheTest;

class TestChangeLogPanel final : public QObject
{
    Q_OBJECT

private slots:
    void timelineShowsBothWindows()
    {
        TestRedisServer server;
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("shared.db"));
        CacheSettings sa;
        sa.keyPrefix = QStringLiteral("a:");
        sa.publishInvalidations = false;
        CacheSettings sb = sa;
        sb.keyPrefix = QStringLiteral("b:");
        auto a = makeEnv(server, &error, db, sa);
        QVERIFY2(a, qPrintable(error));
        auto b = makeEnv(server, &error, db, sb);
        QVERIFY2(b, qPrintable(error));
        b->repo->setChangePollInterval(0);

        ChangeStream csA(a->service.get(), QStringLiteral("cachelab:test:a"));
        ChangeStream csB(b->service.get(), QStringLiteral("cachelab:test:b"));
        QTRY_VERIFY_WITH_TIMEOUT(csA.isReading() && csB.isReading(), WaitMs);
        ChangeLogPanel panel(&csB, b->service.get());
        panel.resize(900, 300);
        panel.show();

        seed(*a->repo, 1);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { b->service->get(1, c, cb); }));
        EXPECT_OK(
            await([&](QObject *c, ServiceCallback cb) { a->service->update(1, QStringLiteral("A"), 1, 0, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(server.syncInteger({ "EXISTS", "b:product:1" }), 0, WaitMs);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { b->service->create(QStringLiteral("B"), 2, c, cb); }));

        QTreeWidget *list = panel.list();
        QTRY_COMPARE_WITH_TIMEOUT(list->topLevelItemCount(), 2, WaitMs);
        // Newest first: B's own create, then A's update that dropped B's copy.
        QTRY_VERIFY_WITH_TIMEOUT(
            list->topLevelItem(1)->text(ChangeLogPanel::AppliedColumn).contains(QStringLiteral("dropped")), WaitMs);
        const QTreeWidgetItem *mine = list->topLevelItem(0);
        QCOMPARE(mine->text(ChangeLogPanel::OpColumn), QStringLiteral("created"));
        QCOMPARE(mine->text(ChangeLogPanel::OriginColumn), QStringLiteral("this window"));
        QCOMPARE(mine->text(ChangeLogPanel::IdColumn), QStringLiteral("2"));
        QVERIFY(mine->text(ChangeLogPanel::AppliedColumn).isEmpty());
        const QTreeWidgetItem *theirs = list->topLevelItem(1);
        QCOMPARE(theirs->text(ChangeLogPanel::OpColumn), QStringLiteral("updated"));
        QCOMPARE(theirs->text(ChangeLogPanel::IdColumn), QStringLiteral("1"));
        QCOMPARE(theirs->text(ChangeLogPanel::VersionColumn), QStringLiteral("2"));
        QVERIFY(theirs->text(ChangeLogPanel::OriginColumn).startsWith(a->service->instanceId().left(8)));
        QVERIFY(theirs->text(ChangeLogPanel::OriginColumn).contains(QStringLiteral("a:")));
        QCOMPARE(theirs->text(ChangeLogPanel::StrategyColumn), QStringLiteral("cache-aside"));
        QVERIFY(
            theirs->foreground(ChangeLogPanel::OpColumn).color() != mine->foreground(ChangeLogPanel::OpColumn).color());

        QTRY_VERIFY_WITH_TIMEOUT(panel.header()->text().contains(QStringLiteral("2 entries")), WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(panel.header()->text().contains(QStringLiteral("lag 0, pending 0")), WaitMs);
        QVERIFY(panel.header()->text().contains(QStringLiteral("cachelab:test:b")));

        // Redis goes away: the header says the loop is paused.
        server.kill();
        QTRY_VERIFY_WITH_TIMEOUT(panel.header()->text().contains(QStringLiteral("Redis unavailable")), WaitMs);
    }

    // B's ACL user may not touch b:cachelab:guard:1, so applying A's change
    // fails until B gives up: the header counts it and says what was done,
    // and keeps saying it after the next successful refresh.
    void headerShowsGivenUpEntries()
    {
        TestRedisServer server;
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        server.syncString({ "ACL", "SETUSER", "narrow", "on", ">pw", "~cachelab:*", "~b:product:*", "&*", "+@all" });
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("shared.db"));
        CacheSettings sa;
        sa.keyPrefix = QStringLiteral("a:");
        sa.publishInvalidations = false;
        CacheSettings sb = sa;
        sb.keyPrefix = QStringLiteral("b:");
        auto a = makeEnv(server, &error, db, sa);
        QVERIFY2(a, qPrintable(error));
        ProductRepository repoB(db);
        repoB.setChangePollInterval(0);
        const auto opened = awaitStore([&](QObject *ctx, StoreCallback cb) { repoB.open(ctx, cb); });
        QVERIFY(opened && opened->ok());
        RedisUrl url = server.url();
        url.user = QStringLiteral("narrow");
        url.password = QStringLiteral("pw");
        RedisClient clientB(url);
        QSignalSpy up(&clientB, &RedisClient::connected);
        clientB.connectToServer();
        QVERIFY(clientB.isConnected() || up.wait(WaitMs));
        ProductService serviceB(&clientB, &repoB);
        serviceB.setSettings(sb);

        ChangeStream csA(a->service.get(), QStringLiteral("cachelab:test:a"));
        ChangeStream csB(&serviceB, QStringLiteral("cachelab:test:b"));
        QTRY_VERIFY_WITH_TIMEOUT(csA.isReading() && csB.isReading(), WaitMs);
        ChangeLogPanel panel(&csB, &serviceB);
        panel.show();

        seed(*a->repo, 1);
        server.syncInteger({ "HSET", "b:product:1", "name", "cached in B" });
        EXPECT_OK(
            await([&](QObject *c, ServiceCallback cb) { a->service->update(1, QStringLiteral("A"), 1, 0, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(csB.stats().givenUp, quint64(1), 3 * WaitMs);
        QCOMPARE(server.syncInteger({ "EXISTS", "b:product:1" }), 0); // the fallback DEL
        const QString failures = QStringLiteral("%1 failed applies, 1 given up").arg(ChangeStream::MaxApplyAttempts);
        QTRY_VERIFY_WITH_TIMEOUT(panel.header()->text().contains(failures), WaitMs);
        QVERIFY(panel.header()->text().contains(QStringLiteral("not applied after")));
        // A later refresh (a new entry, about B's own keys) does not hide it.
        server.syncString(
            { "XADD", "cachelab:changes", "*", "op", "updated", "id", "1", "version", "3", "origin", "another-b",
                "prefix", "b:", "db", csB.databaseId().toUtf8(), "strategy", "cache-aside", "queued", "0", "ts", "1" });
        QTRY_VERIFY_WITH_TIMEOUT(panel.header()->text().contains(QStringLiteral("2 entries")), WaitMs);
        QVERIFY(panel.header()->text().contains(failures));
        QVERIFY(panel.header()->text().contains(QStringLiteral("not applied after")));
    }
};

QTEST_MAIN(TestChangeLogPanel)
#include "tst_changelogpanel.moc"
