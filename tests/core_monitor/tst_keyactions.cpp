// Tests for KeyActions (the key browser's TTL editing) against a real
// redis-server: EXPIRE and PERSIST land in Redis and, applied as the key
// browser applies them, in the KeyTableModel at once; bad input sends
// nothing; a missing key, a missing ACL permission and an unreachable
// server each give their own clear result; EXPIRE is refused on keys
// holding write-behind writes not yet in SQLite. DEL (the key browser's
// Delete Key) deletes, says so, and is refused on the same keys.
#include "keyactions.h"
#include "keytablemodel.h"
#include "redisclient.h"
#include "testredisserver.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

class TestKeyActions final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void parsesOnlyPositiveWholeSeconds_data();
    void parsesOnlyPositiveWholeSeconds();
    void expireSetsTtlAndTheModelShowsIt();
    void persistRemovesTtl();
    void invalidInputSendsNothing();
    void largestTtlIsAcceptedByRedis();
    void missingKeyIsNotFound();
    void missingPermissionIsExplained();
    void redisDownIsUnavailable();
    void expireRefusedOnUnflushedWrites();
    void expireRefusedOnQueueLists();
    void deleteRemovesTheKeyAndTheModelRow();
    void deleteOfAMissingKeyIsNotFound();
    void deleteRefusedOnUnflushedWritesAndQueueKeys();

private:
    KeyActionResult runAndWait(std::function<void(KeyActions::Callback)> call);
    static std::unique_ptr<RedisClient> connect(const RedisUrl &url);

    TestRedisServer m_server;
    std::unique_ptr<RedisClient> m_client;
    std::unique_ptr<KeyActions> m_actions;
};

std::unique_ptr<RedisClient> TestKeyActions::connect(const RedisUrl &url)
{
    auto client = std::make_unique<RedisClient>(url);
    QSignalSpy up(client.get(), &RedisClient::connected);
    client->connectToServer();
    if (!up.wait(5000))
        return nullptr;
    return client;
}

void TestKeyActions::initTestCase()
{
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
    m_client = connect(m_server.url());
    QVERIFY(m_client);
    m_actions = std::make_unique<KeyActions>(m_client.get(), nullptr);
}

void TestKeyActions::init()
{
    m_server.syncString({ "FLUSHALL" });
    m_server.syncInteger({ "HSET", "product:1", "name", "Mug", "price", "1290", "version", "1" });
    m_server.syncInteger({ "EXPIRE", "product:1", "60" });
    m_server.syncString({ "SET", "plain", "x" });
}

KeyActionResult TestKeyActions::runAndWait(std::function<void(KeyActions::Callback)> call)
{
    std::optional<KeyActionResult> out;
    call([&out](const KeyActionResult &r) { out = r; });
    if (!QTest::qWaitFor([&out] { return out.has_value(); }, 10000)) {
        KeyActionResult timeout;
        timeout.status = KeyActionResult::Status::Error;
        timeout.message = QStringLiteral("no callback within 10 s");
        return timeout;
    }
    return *out;
}

void TestKeyActions::parsesOnlyPositiveWholeSeconds_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("expected"); // -1: rejected
    QTest::newRow("plain") << "120" << qint64(120);
    QTest::newRow("spaces") << "  5 " << qint64(5);
    QTest::newRow("one") << "1" << qint64(1);
    QTest::newRow("max") << QString::number(KeyActions::MaxTtlSeconds) << KeyActions::MaxTtlSeconds;
    QTest::newRow("empty") << "" << qint64(-1);
    QTest::newRow("zero") << "0" << qint64(-1);
    QTest::newRow("negative") << "-5" << qint64(-1);
    QTest::newRow("fraction") << "1.5" << qint64(-1);
    QTest::newRow("unit") << "10m" << qint64(-1);
    QTest::newRow("plus") << "+10" << qint64(-1);
    QTest::newRow("over max") << QString::number(KeyActions::MaxTtlSeconds + 1) << qint64(-1);
    QTest::newRow("overflow") << "99999999999999999999999" << qint64(-1);
    QTest::newRow("arabic digits") << QStringLiteral("\u0661\u0662") << qint64(-1);
}

void TestKeyActions::parsesOnlyPositiveWholeSeconds()
{
    QFETCH(QString, text);
    QFETCH(qint64, expected);
    QString error;
    const auto parsed = KeyActions::parseTtlSeconds(text, &error);
    if (expected < 0) {
        QVERIFY(!parsed.has_value());
        QVERIFY(!error.isEmpty());
    } else {
        QCOMPARE(parsed.value_or(-1), expected);
        QVERIFY(error.isEmpty());
    }
}

void TestKeyActions::expireSetsTtlAndTheModelShowsIt()
{
    KeyTableModel model;
    qint64 clock = 1000;
    model.setClock([&clock] { return clock; });
    model.addKeys({ "product:1", "plain" });
    QCOMPARE(model.remainingMs(model.rowOfKey("plain")), qint64(-2)); // details not fetched yet
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy traced(m_actions.get(), &KeyActions::traceRecorded);

    const auto r = runAndWait([&](KeyActions::Callback cb) { m_actions->setTtl("plain", QStringLiteral("120"), cb); });
    QVERIFY2(r.ok(), qPrintable(r.message));
    QCOMPARE(r.action, QStringLiteral("expire"));
    QVERIFY2(r.pttlMs > 118000 && r.pttlMs <= 120000, qPrintable(QString::number(r.pttlMs)));
    QCOMPARE(r.type, QByteArray("string"));
    const qint64 ttl = m_server.syncInteger({ "TTL", "plain" });
    QVERIFY(ttl >= 119 && ttl <= 120);

    // What the key browser does with the result: the row shows it at once.
    QVERIFY(model.applyTtl(r.key, r.pttlMs));
    QVERIFY(changed.count() > 0);
    const int row = model.rowOfKey("plain");
    QCOMPARE(model.remainingMs(row), r.pttlMs);
    QVERIFY(model.index(row, KeyTableModel::TtlColumn).data().toString().contains(QStringLiteral("min")));

    // And it is traced.
    QVERIFY(traced.count() > 0 || traced.wait(2000));
    const auto trace = traced.last().at(0).value<OperationTrace>();
    QCOMPARE(trace.operation, QStringLiteral("key-expire"));
    QVERIFY(!trace.stepsOf(TraceSystem::Redis).isEmpty());
    QVERIFY(trace.stepsOf(TraceSystem::Redis).first().text.startsWith(QStringLiteral("EXPIRE plain 120")));
    QCOMPARE(trace.outcome, TraceOutcome::Ok);
}

void TestKeyActions::persistRemovesTtl()
{
    KeyTableModel model;
    model.addKeys({ "product:1" });
    model.applyDetails({ KeyDetails { "product:1", "hash", 60000, 100 } });
    QVERIFY(model.remainingMs(0) > 0);

    const auto r = runAndWait([&](KeyActions::Callback cb) { m_actions->persist("product:1", cb); });
    QVERIFY2(r.ok(), qPrintable(r.message));
    QCOMPARE(r.pttlMs, qint64(-1));
    QCOMPARE(m_server.syncInteger({ "TTL", "product:1" }), qint64(-1));
    QVERIFY(model.applyTtl(r.key, r.pttlMs));
    QCOMPARE(model.remainingMs(0), qint64(-1));
    QCOMPARE(model.index(0, KeyTableModel::TtlColumn).data().toString(), QStringLiteral("no TTL"));
    QCOMPARE(model.index(0, KeyTableModel::SizeColumn).data(KeyTableModel::SizeBytesRole).toLongLong(), qint64(100));

    // Persisting a key without TTL is fine and says so.
    const auto again = runAndWait([&](KeyActions::Callback cb) { m_actions->persist("product:1", cb); });
    QVERIFY2(again.ok(), qPrintable(again.message));
    QVERIFY(again.message.contains(QStringLiteral("had no TTL")));
}

void TestKeyActions::invalidInputSendsNothing()
{
    const quint64 sentBefore = m_client->commandsSent();
    for (const QString &text : { QStringLiteral("0"), QStringLiteral("-1"), QStringLiteral("abc") }) {
        const auto r = runAndWait([&](KeyActions::Callback cb) { m_actions->setTtl("product:1", text, cb); });
        QCOMPARE(r.status, KeyActionResult::Status::Invalid);
        QVERIFY(!r.message.isEmpty());
        QCOMPARE(r.trace.outcome, TraceOutcome::Invalid);
    }
    // The numeric overload checks the range too: EXPIRE 0 would delete the key.
    const auto zero = runAndWait([&](KeyActions::Callback cb) { m_actions->setTtl("product:1", qint64(0), cb); });
    QCOMPARE(zero.status, KeyActionResult::Status::Invalid);
    QCOMPARE(m_client->commandsSent(), sentBefore);
    const qint64 ttl = m_server.syncInteger({ "TTL", "product:1" });
    QVERIFY(ttl > 50 && ttl <= 60); // untouched
}

void TestKeyActions::largestTtlIsAcceptedByRedis()
{
    const auto r
        = runAndWait([&](KeyActions::Callback cb) { m_actions->setTtl("plain", KeyActions::MaxTtlSeconds, cb); });
    QVERIFY2(r.ok(), qPrintable(r.message));
    QVERIFY(m_server.syncInteger({ "TTL", "plain" }) > 1000000000000LL);
    // One past what Redis can store is refused by Redis itself (so the bound is real).
    const QByteArray beyond = QByteArray::number(std::numeric_limits<qint64>::max() / 1000);
    QVERIFY(m_server.syncString({ "EXPIRE", "plain", beyond }).contains("invalid expire"));
}

void TestKeyActions::missingKeyIsNotFound()
{
    KeyTableModel model;
    model.addKeys({ "gone" });
    const auto r = runAndWait([&](KeyActions::Callback cb) { m_actions->setTtl("gone", QStringLiteral("30"), cb); });
    QCOMPARE(r.status, KeyActionResult::Status::NotFound);
    QVERIFY(r.message.contains(QStringLiteral("no longer exists")));
    QCOMPARE(m_server.syncInteger({ "EXISTS", "gone" }), qint64(0)); // not created by the attempt
    model.applyTtl(r.key, r.pttlMs);
    QVERIFY(model.isFading(0));

    const auto p = runAndWait([&](KeyActions::Callback cb) { m_actions->persist("gone", cb); });
    QCOMPARE(p.status, KeyActionResult::Status::NotFound);
}

void TestKeyActions::missingPermissionIsExplained()
{
    m_server.syncString({ "ACL", "SETUSER", "viewer", "on", ">viewerpw", "~*", "+@all", "-expire", "-persist" });
    RedisUrl url = m_server.url();
    url.user = QStringLiteral("viewer");
    url.password = QStringLiteral("viewerpw");
    auto limited = connect(url);
    QVERIFY(limited);
    KeyActions actions(limited.get(), nullptr);
    const auto r = runAndWait([&](KeyActions::Callback cb) { actions.setTtl("plain", QStringLiteral("30"), cb); });
    QVERIFY2(r.status == KeyActionResult::Status::Denied, qPrintable(r.message));
    QVERIFY2(r.message.contains(QStringLiteral("permission")), qPrintable(r.message));
    QCOMPARE(m_server.syncInteger({ "TTL", "plain" }), qint64(-1));
    QCOMPARE(r.trace.outcome, TraceOutcome::Error);
    m_server.syncInteger({ "ACL", "DELUSER", "viewer" });
}

void TestKeyActions::redisDownIsUnavailable()
{
    // A port nobody listens on (taken, then released).
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        port = probe.serverPort();
    }
    RedisUrl url = m_server.url();
    url.port = port;
    RedisClient down(url);
    down.setAutoReconnect(false);
    KeyActions actions(&down, nullptr);
    const auto r = runAndWait([&](KeyActions::Callback cb) { actions.setTtl("plain", QStringLiteral("30"), cb); });
    QCOMPARE(r.status, KeyActionResult::Status::Unavailable);
    QVERIFY2(r.message.contains(QStringLiteral("not reachable")), qPrintable(r.message));
    QCOMPARE(r.trace.outcome, TraceOutcome::Unavailable);
}

// A write-behind hash with a "dirty" field holds an acknowledged write that
// SQLite has not seen: expiring it would lose the write. Refused, nothing
// changed; once flushed (no dirty field) the same EXPIRE works.
void TestKeyActions::expireRefusedOnUnflushedWrites()
{
    m_server.syncInteger({ "HSET", "product:7", "name", "Unflushed", "version", "3", "dirty", "1" });
    QSignalSpy traced(m_actions.get(), &KeyActions::traceRecorded);
    const auto r
        = runAndWait([&](KeyActions::Callback cb) { m_actions->setTtl("product:7", QStringLiteral("30"), cb); });
    QCOMPARE(r.status, KeyActionResult::Status::Refused);
    QVERIFY2(r.message.contains(QStringLiteral("product:7 holds a write not yet in SQLite")), qPrintable(r.message));
    QVERIFY(r.message.contains(QStringLiteral("flush write-behind first")));
    QCOMPARE(m_server.syncInteger({ "TTL", "product:7" }), qint64(-1));
    QCOMPARE(r.trace.outcome, TraceOutcome::Error);
    QVERIFY(traced.count() > 0);

    // PERSIST stays allowed (it can only keep data).
    m_server.syncInteger({ "EXPIRE", "product:7", "500" });
    const auto p = runAndWait([&](KeyActions::Callback cb) { m_actions->persist("product:7", cb); });
    QVERIFY2(p.ok(), qPrintable(p.message));
    QCOMPARE(m_server.syncInteger({ "TTL", "product:7" }), qint64(-1));

    // Flushed: the same EXPIRE goes through.
    m_server.syncInteger({ "HDEL", "product:7", "dirty" });
    const auto ok
        = runAndWait([&](KeyActions::Callback cb) { m_actions->setTtl("product:7", QStringLiteral("30"), cb); });
    QVERIFY2(ok.ok(), qPrintable(ok.message));
    QVERIFY(m_server.syncInteger({ "TTL", "product:7" }) > 0);
    // A clean hash and other types are not affected by the check.
    const auto plain
        = runAndWait([&](KeyActions::Callback cb) { m_actions->setTtl("plain", QStringLiteral("30"), cb); });
    QVERIFY2(plain.ok(), qPrintable(plain.message));
}

// The queue keys track the unflushed writes: never given a TTL, with or
// without a key prefix; nothing is sent. PERSIST on them is fine.
void TestKeyActions::expireRefusedOnQueueLists()
{
    m_server.syncInteger({ "RPUSH", "cachelab:wb:queue", "{\"id\":1}" });
    m_server.syncInteger({ "RPUSH", "app2:cachelab:wb:processing", "{\"id\":2}" });
    m_server.syncInteger({ "SADD", "cachelab:wb:queued", "1" });
    m_server.syncString({ "SET", "app2:cachelab:wb:nextid", "12" });
    const quint64 sentBefore = m_client->commandsSent();
    for (const QByteArray &key : { QByteArray("cachelab:wb:queue"), QByteArray("app2:cachelab:wb:processing"),
             QByteArray("cachelab:wb:queued"), QByteArray("app2:cachelab:wb:nextid") }) {
        const auto r = runAndWait([&](KeyActions::Callback cb) { m_actions->setTtl(key, QStringLiteral("30"), cb); });
        QCOMPARE(r.status, KeyActionResult::Status::Refused);
        QVERIFY2(r.message.contains(QStringLiteral("not yet in SQLite")), qPrintable(r.message));
        QCOMPARE(m_server.syncInteger({ "TTL", key }), qint64(-1));
    }
    QCOMPARE(m_client->commandsSent(), sentBefore);
    const auto p = runAndWait([&](KeyActions::Callback cb) { m_actions->persist("cachelab:wb:queue", cb); });
    QVERIFY2(p.ok(), qPrintable(p.message));
}

void TestKeyActions::deleteRemovesTheKeyAndTheModelRow()
{
    KeyTableModel model;
    model.addKeys({ QByteArrayLiteral("product:1"), QByteArrayLiteral("plain") });
    QSignalSpy traced(m_actions.get(), &KeyActions::traceRecorded);
    const auto r = runAndWait([&](KeyActions::Callback cb) { m_actions->remove("product:1", cb); });
    QVERIFY2(r.ok(), qPrintable(r.message));
    QCOMPARE(r.action, QStringLiteral("delete"));
    QCOMPARE(r.pttlMs, qint64(-2));
    QVERIFY2(r.message.contains(QStringLiteral("product:1 deleted")), qPrintable(r.message));
    QCOMPARE(m_server.syncInteger({ "EXISTS", "product:1" }), qint64(0));
    QCOMPARE(m_server.syncInteger({ "EXISTS", "plain" }), qint64(1));
    QCOMPARE(r.trace.operation, QStringLiteral("key-delete"));
    QCOMPARE(r.trace.outcome, TraceOutcome::Ok);
    QVERIFY(r.trace.steps.first().text.startsWith(QStringLiteral("DEL product:1")));
    QCOMPARE(traced.count(), 1);
    // Applied as the key browser applies it, the row fades out at once.
    QVERIFY(model.applyTtl(r.key, r.pttlMs));
    QVERIFY(model.isFading(model.rowOfKey(QByteArrayLiteral("product:1"))));
}

void TestKeyActions::deleteOfAMissingKeyIsNotFound()
{
    const auto r = runAndWait([&](KeyActions::Callback cb) { m_actions->remove("never-there", cb); });
    QCOMPARE(r.status, KeyActionResult::Status::NotFound);
    QVERIFY2(r.message.contains(QStringLiteral("no longer exists")), qPrintable(r.message));
}

void TestKeyActions::deleteRefusedOnUnflushedWritesAndQueueKeys()
{
    m_server.syncInteger({ "HSET", "product:7", "name", "Unflushed", "version", "3", "dirty", "1" });
    const auto dirty = runAndWait([&](KeyActions::Callback cb) { m_actions->remove("product:7", cb); });
    QCOMPARE(dirty.status, KeyActionResult::Status::Refused);
    QVERIFY2(dirty.message.contains(QStringLiteral("Nothing was deleted")), qPrintable(dirty.message));
    QCOMPARE(m_server.syncInteger({ "EXISTS", "product:7" }), qint64(1));

    m_server.syncInteger({ "RPUSH", "app2:cachelab:wb:queue", "{\"id\":1}" });
    const quint64 sentBefore = m_client->commandsSent();
    const auto queue = runAndWait([&](KeyActions::Callback cb) { m_actions->remove("app2:cachelab:wb:queue", cb); });
    QCOMPARE(queue.status, KeyActionResult::Status::Refused);
    QVERIFY2(queue.message.contains(QStringLiteral("write-behind queue")), qPrintable(queue.message));
    QCOMPARE(m_client->commandsSent(), sentBefore); // nothing sent
    QCOMPARE(m_server.syncInteger({ "EXISTS", "app2:cachelab:wb:queue" }), qint64(1));

    // Flushed: the same hash can go.
    m_server.syncInteger({ "HDEL", "product:7", "dirty" });
    const auto ok = runAndWait([&](KeyActions::Callback cb) { m_actions->remove("product:7", cb); });
    QVERIFY2(ok.ok(), qPrintable(ok.message));
    QCOMPARE(m_server.syncInteger({ "EXISTS", "product:7" }), qint64(0));
}

QTEST_GUILESS_MAIN(TestKeyActions)
#include "tst_keyactions.moc"
