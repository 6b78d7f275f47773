// Tests for ChangeStream against a real redis-server and a real SQLite file
// shared by two services ("instances") with different key prefixes: the
// entry a write appends, MAXLEN trimming, invalidation through the consumer
// group (pub/sub off and the store's change polling off in B, so only the
// stream can drop B's copy), changes missed while B was down, pending
// entries re-read after a crash, own entries acknowledged without action,
// and the loop surviving FLUSHALL and a Redis restart; an entry whose apply
// keeps failing given up on without blocking the later ones, and entries of
// another database skipped.
#include "cachefixture.h"
#include "changestream.h"

#include <QDateTime>
#include <QtTest>

using namespace CacheTest;

namespace {
const QByteArray Stream = "cachelab:changes";
const QString GroupA = QStringLiteral("cachelab:test:a");
const QString GroupB = QStringLiteral("cachelab:test:b");

QHash<QByteArray, QByteArray> fieldsOf(const QList<QByteArray> &flat)
{
    QHash<QByteArray, QByteArray> out;
    for (qsizetype i = 0; i + 1 < flat.size(); i += 2)
        out.insert(flat.at(i), flat.at(i + 1));
    return out;
}

/// makeEnv() with the service's connection on `url` (an ACL user).
std::unique_ptr<Env> makeEnvAt(
    const RedisUrl &url, QString *error, const QString &dbPath, const CacheSettings &settings)
{
    auto env = std::make_unique<Env>();
    env->repo = std::make_unique<ProductRepository>(dbPath);
    env->repo->setChangePollInterval(0);
    const auto opened = awaitStore([&](QObject *ctx, StoreCallback cb) { env->repo->open(ctx, cb); });
    if (!opened || !opened->ok()) {
        *error = QStringLiteral("open failed");
        return nullptr;
    }
    env->client = std::make_unique<RedisClient>(url);
    QSignalSpy up(env->client.get(), &RedisClient::connected);
    env->client->connectToServer();
    if (!env->client->isConnected() && !up.wait(WaitMs)) {
        *error = QStringLiteral("redis connect failed: %1").arg(env->client->lastError());
        return nullptr;
    }
    env->service = std::make_unique<ProductService>(env->client.get(), env->repo.get());
    env->service->setSettings(settings);
    return env;
}
} // namespace

class TestChangeStream final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestRedisServer> m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Env> m_a;
    std::unique_ptr<Env> m_b;

    const TestRedisServer &redis() const { return *m_server; }
    ProductService &a() { return *m_a->service; }
    ProductService &b() { return *m_b->service; }
    qint64 exists(const QByteArray &key) const { return redis().syncInteger({ "EXISTS", key }); }
    qint64 xlen() const { return redis().syncInteger({ "XLEN", Stream }); }

    std::optional<ServiceResult> get(ProductService &s, qint64 id)
    {
        return await([&](QObject *c, ServiceCallback cb) { s.get(id, c, cb); });
    }
    std::optional<ServiceResult> update(ProductService &s, qint64 id, const QString &name, qint64 price)
    {
        return await([&](QObject *c, ServiceCallback cb) { s.update(id, name, price, 0, c, cb); });
    }

    static bool waitReading(ChangeStream &cs)
    {
        return QTest::qWaitFor([&cs] { return cs.isReading(); }, WaitMs);
    }

    /// The last entry of the stream as field -> value.
    QHash<QByteArray, QByteArray> lastEntry(QByteArray *id = nullptr) const
    {
        // XREVRANGE gives [[id, [f, v, ...]]], deeper than the sync helpers
        // read: a script hands out the id and the fields separately.
        const QByteArray last = redis().syncString(
            { "EVAL", "local e = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1] return e[1]", "1", Stream });
        if (id)
            *id = last;
        return fieldsOf(redis().syncList({ "EVAL",
            "local e = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1] return e[2]", "1", Stream }));
    }

private slots:
    void initTestCase()
    {
        const QString error = startServer(m_server);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void init()
    {
        m_server->syncString({ "FLUSHALL" });
        m_dir = std::make_unique<QTemporaryDir>();
        const QString db = m_dir->filePath(QStringLiteral("shared.db"));
        CacheSettings sa;
        sa.keyPrefix = QStringLiteral("a:");
        sa.publishInvalidations = false;
        CacheSettings sb = sa;
        sb.keyPrefix = QStringLiteral("b:");
        QString error;
        m_a = makeEnv(*m_server, &error, db, sa);
        QVERIFY2(m_a, qPrintable(error));
        m_b = makeEnv(*m_server, &error, db, sb);
        QVERIFY2(m_b, qPrintable(error));
        // B must learn of A's writes from the stream alone: no pub/sub (off
        // above) and no polling of the shared file's change table.
        m_b->repo->setChangePollInterval(0);
    }

    void cleanup()
    {
        m_b.reset();
        m_a.reset();
        m_dir.reset();
    }
    void cleanupTestCase() { m_server.reset(); }

    // A write through the service appends exactly one entry with every field.
    void writeAppendsEntry()
    {
        ChangeStream cs(&a(), GroupA);
        QVERIFY(waitReading(cs));
        QSignalSpy appended(&cs, &ChangeStream::entryAppended);
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        const auto created
            = await([&](QObject *c, ServiceCallback cb) { a().create(QStringLiteral("Lamp"), 1200, c, cb); });
        EXPECT_OK(created);
        const qint64 id = created->product->id;
        QTRY_COMPARE_WITH_TIMEOUT(appended.size(), 1, WaitMs);
        const qint64 after = QDateTime::currentMSecsSinceEpoch();
        QCOMPARE(xlen(), 1);
        QByteArray streamId;
        auto e = lastEntry(&streamId);
        QCOMPARE(e.value("op"), QByteArray("created"));
        QCOMPARE(e.value("id"), QByteArray::number(id));
        QCOMPARE(e.value("version"), QByteArray("1"));
        QCOMPARE(e.value("origin"), a().instanceId().toUtf8());
        QCOMPARE(e.value("prefix"), QByteArray("a:"));
        QCOMPARE(e.value("strategy"), QByteArray("cache-aside"));
        QCOMPARE(e.value("queued"), QByteArray("0"));
        // The database identity, the same hash the group names use.
        const QString dbId = ChangeStream::databaseIdFor(m_dir->filePath(QStringLiteral("shared.db")));
        QCOMPARE(dbId.size(), 12);
        QCOMPARE(e.value("db"), dbId.toUtf8());
        QCOMPARE(cs.databaseId(), dbId);
        QVERIFY(ChangeStream::groupNameFor(m_dir->filePath(QStringLiteral("shared.db")), QStringLiteral("a:"))
                    .contains(dbId));
        QVERIFY(e.value("ts").toLongLong() >= before && e.value("ts").toLongLong() <= after);
        // The signal carries the same entry, with the id Redis gave it.
        const auto signalled = appended.at(0).at(0).value<ChangeEntry>();
        QCOMPARE(signalled.streamId, streamId);
        QCOMPARE(signalled.id, id);
        QCOMPARE(signalled.op, QStringLiteral("created"));

        EXPECT_OK(update(a(), id, QStringLiteral("Lamp 2"), 1300));
        QTRY_COMPARE_WITH_TIMEOUT(appended.size(), 2, WaitMs);
        e = lastEntry();
        QCOMPARE(e.value("op"), QByteArray("updated"));
        QCOMPARE(e.value("version"), QByteArray("2"));

        a().setStrategy(StrategyKind::WriteBehind);
        EXPECT_OK(update(a(), id, QStringLiteral("Lamp 3"), 1400));
        QTRY_COMPARE_WITH_TIMEOUT(appended.size(), 3, WaitMs);
        e = lastEntry();
        QCOMPARE(e.value("strategy"), QByteArray("write-behind"));
        QCOMPARE(e.value("queued"), QByteArray("1"));
        QCOMPARE(e.value("version"), QByteArray("3"));

        a().setStrategy(StrategyKind::CacheAside);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { a().remove(id, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(appended.size(), 4, WaitMs);
        e = lastEntry();
        QCOMPARE(e.value("op"), QByteArray("deleted"));
        QCOMPARE(e.value("id"), QByteArray::number(id));
        QCOMPARE(xlen(), 4);
        QCOMPARE(cs.stats().appended, quint64(4));

        // A rejected write and a read log nothing: the next entry is the
        // create that follows them.
        EXPECT_STATUS(update(a(), id, QString(), 1), ServiceStatus::Invalid);
        EXPECT_STATUS(get(a(), id), ServiceStatus::NotFound);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { a().create(QStringLiteral("Desk"), 5000, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(appended.size(), 5, WaitMs);
        QCOMPARE(xlen(), 5);
        QCOMPARE(lastEntry().value("op"), QByteArray("created"));
    }

    // MAXLEN ~ keeps the stream bounded. Redis trims whole nodes only, so
    // the node size is made small and the bound checked with one node of slack.
    void maxLenTrims()
    {
        m_server->syncString({ "CONFIG", "SET", "stream-node-max-entries", "10" });
        ChangeStream cs(&a(), GroupA);
        cs.setMaxLength(10);
        QCOMPARE(cs.maxLength(), 10);
        const QList<Product> rows = seed(*m_a->repo, 1);
        QCOMPARE(rows.size(), 1);
        const int writes = 60;
        for (int i = 0; i < writes; ++i)
            EXPECT_OK(update(a(), rows.at(0).id, QStringLiteral("Item v%1").arg(i), i));
        QTRY_COMPARE_WITH_TIMEOUT(cs.stats().appended, quint64(writes), WaitMs);
        const qint64 length = xlen();
        m_server->syncString({ "CONFIG", "SET", "stream-node-max-entries", "100" });
        QVERIFY2(length >= 10 && length <= 20, QByteArray::number(length).constData());
        // The newest entry survives trimming.
        QCOMPARE(lastEntry().value("version"), QByteArray::number(writes + 1));
    }

    // A write in A drops B's cached copy via B's consumer group.
    void otherInstanceInvalidates()
    {
        ChangeStream csA(&a(), GroupA);
        ChangeStream csB(&b(), GroupB);
        QVERIFY(waitReading(csA));
        QVERIFY(waitReading(csB));
        QSignalSpy received(&csB, &ChangeStream::entriesReceived);
        const QList<Product> rows = seed(*m_a->repo, 2);
        QCOMPARE(rows.size(), 2);
        EXPECT_OK(get(b(), rows.at(0).id));
        EXPECT_OK(get(b(), rows.at(1).id));
        QCOMPARE(exists("b:product:1"), 1);
        QCOMPARE(exists("b:product:2"), 1);

        EXPECT_OK(update(a(), 1, QStringLiteral("Changed in A"), 777));
        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:1"), 0, WaitMs);
        QCOMPARE(exists("b:product:2"), 1); // only the changed product
        // The guard holds the new version, so a slow reader of the old row
        // in B cannot put it back.
        QCOMPARE(redis().syncString({ "GET", "b:cachelab:guard:1" }), QByteArray("2"));
        QTRY_COMPARE_WITH_TIMEOUT(csB.stats().acked, quint64(1), WaitMs);
        QCOMPARE(csB.stats().applied, quint64(1));
        QVERIFY(!received.isEmpty());
        const auto entries = received.last().at(0).value<QList<ChangeEntry>>();
        QCOMPARE(entries.size(), 1);
        QVERIFY(entries.at(0).appliedHere);
        QCOMPARE(entries.at(0).origin, a().instanceId());

        // B's next get is a miss that reads the new row.
        const auto fresh = get(b(), 1);
        EXPECT_OK(fresh);
        QVERIFY(!fresh->fromCache);
        QCOMPARE(fresh->product->name, QStringLiteral("Changed in A"));
        QCOMPARE(fresh->product->version, 2);

        // A read its own entry and acknowledged it without doing anything.
        QTRY_COMPARE_WITH_TIMEOUT(csA.stats().acked, quint64(1), WaitMs);
        QCOMPARE(csA.stats().applied, quint64(0));
        QCOMPARE(csA.stats().skipped, quint64(1));

        // A delete drops the copy and leaves the "deleted" guard.
        EXPECT_OK(get(b(), 2));
        QCOMPARE(exists("b:product:2"), 1);
        EXPECT_OK(await([&](QObject *c, ServiceCallback cb) { a().remove(2, c, cb); }));
        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:2"), 0, WaitMs);
        QVERIFY(redis().syncString({ "GET", "b:cachelab:guard:2" }).toLongLong() > 1000000);

        // The timeline shows both entries, newest first, marked as applied here.
        std::optional<QList<ChangeEntry>> recent;
        csB.recentEntries(10, this, [&recent](const QList<ChangeEntry> &e, const QString &) { recent = e; });
        QTRY_VERIFY_WITH_TIMEOUT(recent.has_value(), WaitMs);
        QCOMPARE(recent->size(), 2);
        QCOMPARE(recent->at(0).op, QStringLiteral("deleted"));
        QCOMPARE(recent->at(1).op, QStringLiteral("updated"));
        QVERIFY(recent->at(0).appliedHere && recent->at(1).appliedHere);

        // Stats from the server: everything read and acknowledged.
        QSignalSpy stats(&csB, &ChangeStream::statsChanged);
        QTRY_COMPARE_WITH_TIMEOUT(csB.stats().acked, quint64(2), WaitMs);
        csB.refreshInfo();
        QTRY_VERIFY_WITH_TIMEOUT(csB.stats().length == 2, WaitMs);
        QCOMPARE(csB.stats().pending, 0);
        QCOMPARE(csB.stats().lag, 0);
    }

    // B was not running while A wrote; the group remembers, so B applies the
    // change when it comes back (pub/sub would have lost it).
    void missedChangeAppliedOnReturn()
    {
        ChangeStream csA(&a(), GroupA);
        QVERIFY(waitReading(csA));
        auto csB = std::make_unique<ChangeStream>(&b(), GroupB);
        QVERIFY(waitReading(*csB));
        csB.reset(); // B goes away

        seed(*m_a->repo, 1);
        EXPECT_OK(get(b(), 1));
        QCOMPARE(exists("b:product:1"), 1);
        QSignalSpy appended(&csA, &ChangeStream::entryAppended);
        EXPECT_OK(update(a(), 1, QStringLiteral("While B was away"), 5));
        QTRY_COMPARE_WITH_TIMEOUT(appended.size(), 1, WaitMs);
        QCOMPARE(exists("b:product:1"), 1); // nobody applied it yet

        csB = std::make_unique<ChangeStream>(&b(), GroupB);
        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:1"), 0, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(csB->stats().acked, quint64(1), WaitMs);
        QCOMPARE(csB->stats().applied, quint64(1));
        const auto fresh = get(b(), 1);
        EXPECT_OK(fresh);
        QCOMPARE(fresh->product->name, QStringLiteral("While B was away"));
    }

    // An entry delivered to B's consumer but never acknowledged (a crash
    // between read and XACK) is read again with ID 0 and applied.
    void pendingEntryRedelivered()
    {
        ChangeStream csA(&a(), GroupA);
        QVERIFY(waitReading(csA));
        redis().syncString({ "XGROUP", "CREATE", Stream, GroupB.toUtf8(), "$", "MKSTREAM" });
        seed(*m_a->repo, 1);
        EXPECT_OK(get(b(), 1));
        QSignalSpy appended(&csA, &ChangeStream::entryAppended);
        EXPECT_OK(update(a(), 1, QStringLiteral("Delivered, not acked"), 5));
        QTRY_COMPARE_WITH_TIMEOUT(appended.size(), 1, WaitMs);
        // "B" reads it and dies before XACK.
        redis().syncList({ "XREADGROUP", "GROUP", GroupB.toUtf8(), "main", "COUNT", "10", "STREAMS", Stream, ">" });
        QCOMPARE(redis().syncList({ "XPENDING", Stream, GroupB.toUtf8() }).value(0), QByteArray("1"));
        QCOMPARE(exists("b:product:1"), 1);

        ChangeStream csB(&b(), GroupB);
        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:1"), 0, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(csB.stats().acked, quint64(1), WaitMs);
        QCOMPARE(redis().syncList({ "XPENDING", Stream, GroupB.toUtf8() }).value(0), QByteArray("0"));
    }

    // Entries written by this instance, or about this instance's key prefix,
    // are acknowledged and nothing is invalidated; a foreign one is applied.
    void ownEntriesAckedOnly()
    {
        ChangeStream cs(&a(), GroupA);
        QVERIFY(waitReading(cs));
        seed(*m_a->repo, 1);
        EXPECT_OK(get(a(), 1));
        QCOMPARE(exists("a:product:1"), 1);
        const auto xadd = [this](const QByteArray &origin, const QByteArray &prefix) {
            redis().syncString({ "XADD", Stream, "*", "op", "updated", "id", "1", "version", "9", "origin", origin,
                "prefix", prefix, "strategy", "cache-aside", "queued", "0", "ts", "1" });
        };
        xadd(a().instanceId().toUtf8(), "a:"); // ours
        xadd("another-instance", "a:"); // another window on our keys: it already dropped them
        QTRY_COMPARE_WITH_TIMEOUT(cs.stats().acked, quint64(2), WaitMs);
        QCOMPARE(cs.stats().skipped, quint64(2));
        QCOMPARE(cs.stats().applied, quint64(0));
        QCOMPARE(exists("a:product:1"), 1);
        QCOMPARE(redis().syncList({ "XPENDING", Stream, GroupA.toUtf8() }).value(0), QByteArray("0"));

        xadd("another-instance", "z:"); // someone else's keys: ours must go
        QTRY_COMPARE_WITH_TIMEOUT(exists("a:product:1"), 0, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(cs.stats().acked, quint64(3), WaitMs);
        QCOMPARE(cs.stats().applied, quint64(1));
        QCOMPARE(redis().syncString({ "GET", "a:cachelab:guard:1" }), QByteArray("9"));
    }

    // The guarded invalidation of one entry keeps failing (B's ACL user may
    // not touch b:cachelab:guard:2, so the script gets NOPERM): the entries
    // after it are still applied and acknowledged, and after MaxApplyAttempts
    // the bad one gets a plain DEL of B's copy, is acknowledged and counted.
    void failingEntryDoesNotBlock()
    {
        redis().syncString({ "ACL", "SETUSER", "narrow", "reset", "on", ">secret", "~cachelab:*", "~b:product:*",
            "~b:cachelab:guard:1", "~b:cachelab:guard:3", "~b:cachelab:lock:*", "~b:recent_products", "&*", "+@all" });
        RedisUrl url = redis().url();
        url.user = QStringLiteral("narrow");
        url.password = QStringLiteral("secret");
        CacheSettings sb = b().settings();
        m_b.reset();
        QString error;
        m_b = makeEnvAt(url, &error, m_dir->filePath(QStringLiteral("shared.db")), sb);
        QVERIFY2(m_b, qPrintable(error));

        ChangeStream csA(&a(), GroupA);
        ChangeStream csB(&b(), GroupB);
        QVERIFY(waitReading(csA));
        QVERIFY(waitReading(csB));
        QSignalSpy errors(&csB, &ChangeStream::errorOccurred);
        seed(*m_a->repo, 3);
        // B's copies, written as admin (B could not fill product 2 itself).
        for (const QByteArray &key : { QByteArray("b:product:2"), QByteArray("b:product:3") })
            redis().syncInteger({ "HSET", key, "name", "cached in B" });

        EXPECT_OK(update(a(), 2, QStringLiteral("Poison"), 5));
        // Delivered to B and failing: it is pending in B's group.
        QTRY_VERIFY_WITH_TIMEOUT(csB.stats().applyFailures >= 1, WaitMs);
        QCOMPARE(exists("b:product:2"), 1);
        // A later change must not wait behind it for ever.
        EXPECT_OK(update(a(), 3, QStringLiteral("After the poison"), 6));
        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:3"), 0, WaitMs);
        QCOMPARE(redis().syncString({ "GET", "b:cachelab:guard:3" }), QByteArray("2"));

        // Given up on: B's copy dropped by the fallback DEL, acknowledged,
        // and visible in the stats and as an error.
        QTRY_COMPARE_WITH_TIMEOUT(csB.stats().givenUp, quint64(1), 3 * WaitMs);
        QCOMPARE(csB.stats().applyFailures, quint64(ChangeStream::MaxApplyAttempts));
        QCOMPARE(exists("b:product:2"), 0);
        QVERIFY(csB.stats().lastGivenUp.contains(QStringLiteral("product 2")));
        QVERIFY(csB.stats().lastGivenUp.contains(QStringLiteral("plain DEL")));
        QVERIFY(!errors.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(csB.stats().acked, quint64(2), WaitMs);
        QCOMPARE(redis().syncList({ "XPENDING", Stream, GroupB.toUtf8() }).value(0), QByteArray("0"));
        QCOMPARE(csB.stats().applied, quint64(1));

        // The loop goes on reading new entries.
        redis().syncInteger({ "HSET", "b:product:1", "name", "cached in B" });
        EXPECT_OK(update(a(), 1, QStringLiteral("Later"), 7));
        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:1"), 0, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(csB.stats().applied, quint64(2), WaitMs);
        QCOMPARE(csB.stats().givenUp, quint64(1));
        redis().syncInteger({ "ACL", "DELUSER", "narrow" });
    }

    // Another app on another SQLite file with another prefix shares the
    // stream: its entries are acknowledged without touching our keys (no
    // DEL, no guard with a foreign version); our database's entries still apply.
    void otherDatabaseSkipped()
    {
        QTemporaryDir otherDir;
        CacheSettings sc;
        sc.keyPrefix = QStringLiteral("c:");
        sc.publishInvalidations = false;
        QString error;
        auto c = makeEnv(*m_server, &error, otherDir.filePath(QStringLiteral("other.db")), sc);
        QVERIFY2(c, qPrintable(error));
        ChangeStream csA(&a(), GroupA);
        ChangeStream csC(c->service.get(), QStringLiteral("cachelab:test:c"));
        QVERIFY(waitReading(csA));
        QVERIFY(waitReading(csC));
        QVERIFY(csC.databaseId() != csA.databaseId());
        seed(*c->repo, 1);
        EXPECT_OK(get(*c->service, 1));
        QCOMPARE(exists("c:product:1"), 1);

        seed(*m_a->repo, 1);
        EXPECT_OK(update(a(), 1, QStringLiteral("Other database"), 5));
        QTRY_COMPARE_WITH_TIMEOUT(csC.stats().acked, quint64(1), WaitMs);
        QCOMPARE(csC.stats().otherDatabase, quint64(1));
        QCOMPARE(csC.stats().applied, quint64(0));
        QCOMPARE(exists("c:product:1"), 1);
        QCOMPARE(exists("c:cachelab:guard:1"), 0);

        // An entry of C's own database from another prefix is applied.
        redis().syncString({ "XADD", Stream, "*", "op", "updated", "id", "1", "version", "9", "origin", "someone",
            "prefix", "z:", "db", csC.databaseId().toUtf8(), "strategy", "cache-aside", "queued", "0", "ts", "1" });
        QTRY_COMPARE_WITH_TIMEOUT(exists("c:product:1"), 0, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(csC.stats().applied, quint64(1), WaitMs);
        QCOMPARE(redis().syncString({ "GET", "c:cachelab:guard:1" }), QByteArray("9"));
    }

    // FLUSHALL removes the stream and the groups: the loop gets NOGROUP,
    // creates its group again and goes on.
    void groupRecreatedAfterFlush()
    {
        ChangeStream csA(&a(), GroupA);
        ChangeStream csB(&b(), GroupB);
        QVERIFY(waitReading(csA));
        QVERIFY(waitReading(csB));
        m_server->syncString({ "FLUSHALL" });
        // Back once B's group exists again.
        QTRY_VERIFY_WITH_TIMEOUT(
            redis().syncString({ "EVAL",
                "local ok, g = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1]) if not ok then return '' end "
                "for _, x in ipairs(g) do if x[2] == ARGV[1] then return 'yes' end end return ''",
                "1", Stream, GroupB.toUtf8() })
                == "yes",
            WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(csB.isReading(), WaitMs);
        seed(*m_a->repo, 1);
        EXPECT_OK(get(b(), 1));
        QCOMPARE(exists("b:product:1"), 1);
        EXPECT_OK(update(a(), 1, QStringLiteral("After the flush"), 5));
        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:1"), 0, WaitMs);
    }

    // Redis restarts (empty: no persistence here) under a running loop: the
    // read fails, the loop stops, and resumes once the reader reconnects.
    void redisRestartResumes()
    {
        ChangeStream csA(&a(), GroupA);
        ChangeStream csB(&b(), GroupB);
        QVERIFY(waitReading(csA));
        QVERIFY(waitReading(csB));
        csA.readerClient()->setReconnectPolicy(20, 200, 0.1);
        csB.readerClient()->setReconnectPolicy(20, 200, 0.1);
        QSignalSpy reading(&csB, &ChangeStream::readingChanged);
        QString error;
        QVERIFY2(m_server->restart(&error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!reading.isEmpty(), WaitMs);
        QCOMPARE(reading.first().at(0).toBool(), false);
        QTRY_VERIFY_WITH_TIMEOUT(csB.isReading() && csA.isReading(), 3 * WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(a().isCacheAvailable() && b().isCacheAvailable(), WaitMs);

        seed(*m_a->repo, 1);
        EXPECT_OK(get(b(), 1));
        QCOMPARE(exists("b:product:1"), 1);
        EXPECT_OK(update(a(), 1, QStringLiteral("After the restart"), 5));
        QTRY_COMPARE_WITH_TIMEOUT(exists("b:product:1"), 0, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(csB.stats().applied, quint64(1), WaitMs);
    }
};

QTEST_GUILESS_MAIN(TestChangeStream)
#include "tst_changestream.moc"
