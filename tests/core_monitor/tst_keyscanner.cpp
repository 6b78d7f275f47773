// Tests for KeyScanner against a real redis-server: a background SCAN of
// 20,000 keys fills a KeyTableModel completely, a pattern limits it, and
// details and previews come back for the keys asked about.
#include "keyscanner.h"
#include "keytablemodel.h"
#include "testredisserver.h"
#include "testtime.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

class TestKeyScanner final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void scansEveryKeyIntoTheModel();
    void patternLimitsTheScan();
    void detailsArePipelined();
    void previewsEachType();

private:
    TestRedisServer m_server;
    std::unique_ptr<KeyScanner> m_scanner;
};

void TestKeyScanner::initTestCase()
{
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
    // 20,000 plain keys plus a few of each type, created server-side in one call.
    m_server.syncInteger(
        { "EVAL", "for i=1,tonumber(ARGV[1]) do redis.call('SET','bulk:'..i,i) end return 1", "0", "20000" });
    m_server.syncInteger({ "HSET", "product:1", "name", "Mug", "price", "1290", "version", "1" });
    m_server.syncInteger({ "PEXPIRE", "product:1", "60000" });
    m_server.syncInteger({ "RPUSH", "list:a", "x", "y", "z" });
    m_server.syncInteger({ "SADD", "set:a", "m", "n" });
    m_server.syncInteger({ "ZADD", "zset:a", "1", "one", "2", "two" });
    m_server.syncString({ "XADD", "stream:a", "*", "f", "v" });
    m_scanner = std::make_unique<KeyScanner>(m_server.url());
    QSignalSpy connected(m_scanner.get(), &KeyScanner::connected);
    m_scanner->connectToServer();
    QVERIFY(connected.wait(5000));
}

void TestKeyScanner::scansEveryKeyIntoTheModel()
{
    KeyTableModel model;
    QAbstractItemModelTester tester(&model);
    connect(m_scanner.get(), &KeyScanner::keysFound, &model, &KeyTableModel::addKeys);
    QSignalSpy finished(m_scanner.get(), &KeyScanner::scanFinished);
    QSignalSpy progress(m_scanner.get(), &KeyScanner::progress);
    m_scanner->scan("*");
    QVERIFY(finished.wait(TestTime::scaled(20000)));
    QCOMPARE(model.rowCount(), 20005);
    QVERIFY(progress.count() > 1); // incremental, not one giant reply
    QVERIFY(!m_scanner->isScanning());
    disconnect(m_scanner.get(), nullptr, &model, nullptr);
}

void TestKeyScanner::patternLimitsTheScan()
{
    KeyTableModel model;
    connect(m_scanner.get(), &KeyScanner::keysFound, &model, &KeyTableModel::addKeys);
    QSignalSpy finished(m_scanner.get(), &KeyScanner::scanFinished);
    m_scanner->scan("product:*");
    QVERIFY(finished.wait(TestTime::scaled(20000)));
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.keyAt(0), QByteArray("product:1"));
    disconnect(m_scanner.get(), nullptr, &model, nullptr);
}

void TestKeyScanner::detailsArePipelined()
{
    // The TTL is set again here: the 60 s set in initTestCase also had to
    // outlast the 20,000-key scans before this test, which took more than
    // 10 s in the sanitizer build and left less than the 50 s checked below.
    m_server.syncInteger({ "PEXPIRE", "product:1", "60000" });
    QSignalSpy ready(m_scanner.get(), &KeyScanner::detailsReady);
    m_scanner->fetchDetails({ "product:1", "list:a", "bulk:7", "missing" });
    QVERIFY(ready.wait(5000));
    const auto details = ready.at(0).at(0).value<QList<KeyDetails>>();
    QCOMPARE(details.size(), 4);
    QCOMPARE(details.at(0).type, QByteArray("hash"));
    QVERIFY(details.at(0).pttlMs > 50000 && details.at(0).pttlMs <= 60000);
    QVERIFY(details.at(0).sizeBytes > 0);
    QCOMPARE(details.at(1).type, QByteArray("list"));
    QCOMPARE(details.at(1).pttlMs, qint64(-1));
    QCOMPARE(details.at(3).pttlMs, qint64(-2));
}

void TestKeyScanner::previewsEachType()
{
    const QList<QPair<QByteArray, QByteArray>> cases { { "product:1", "hash" }, { "list:a", "list" },
        { "set:a", "set" }, { "zset:a", "zset" }, { "stream:a", "stream" }, { "bulk:1", "string" } };
    for (const auto &[key, type] : cases) {
        QSignalSpy ready(m_scanner.get(), &KeyScanner::previewReady);
        m_scanner->fetchPreview(key);
        QVERIFY(ready.wait(5000));
        const auto p = ready.at(0).at(0).value<KeyValuePreview>();
        QCOMPARE(p.type, type);
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        QVERIFY(!p.rows.isEmpty());
    }
    QSignalSpy ready(m_scanner.get(), &KeyScanner::previewReady);
    m_scanner->fetchPreview("product:1");
    QVERIFY(ready.wait(5000));
    const auto p = ready.at(0).at(0).value<KeyValuePreview>();
    QCOMPARE(p.totalItems, qint64(3));
    QVERIFY(p.rows.contains(qMakePair(QStringLiteral("name"), QStringLiteral("Mug"))));
}

QTEST_GUILESS_MAIN(TestKeyScanner)
#include "tst_keyscanner.moc"
