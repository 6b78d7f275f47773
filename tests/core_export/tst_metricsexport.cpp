// MetricsExport: counters, latency figures per operation and strategy, and
// Redis's INFO figures, as one long table.
#include "csvreader.h"
#include "metricsexport.h"

#include <QTest>

namespace {

MetricsSnapshot snapshot()
{
    MetricsSnapshot m;
    m.hits = 12;
    m.misses = 4;
    m.dbReads = 5;
    m.queueDepth = 2;
    LatencyStats get;
    get.operation = QStringLiteral("get");
    get.strategy = StrategyKind::CacheAside;
    get.count = 16;
    get.p50Micros = 210;
    get.p99Micros = 1830;
    LatencyStats save;
    save.operation = QStringLiteral("update");
    save.strategy = StrategyKind::WriteThrough;
    save.count = 3;
    save.errors = 1;
    save.p95Micros = 4200;
    m.latencies = { get, save };
    return m;
}

/// metric|operation|strategy -> value
QHash<QString, QString> index(const QList<QStringList> &rows)
{
    QHash<QString, QString> out;
    for (qsizetype i = 1; i < rows.size(); ++i) {
        const QStringList &r = rows.at(i);
        out.insert(r.at(0) + QLatin1Char('|') + r.at(1) + QLatin1Char('|') + r.at(2), r.at(3));
    }
    return out;
}

} // namespace

class TestMetricsExport final : public QObject
{
    Q_OBJECT

private slots:
    void countersAndLatencies()
    {
        const QString csv = MetricsExport::toCsv(snapshot());
        const auto rows = CsvTest::parse(csv);
        QVERIFY2(rows, qPrintable(csv));
        QCOMPARE(rows->at(0), MetricsExport::csvColumns());
        QCOMPARE(rows->at(0),
            QStringList({ QStringLiteral("metric"), QStringLiteral("operation"), QStringLiteral("strategy"),
                QStringLiteral("value") }));
        for (const QStringList &r : *rows)
            QCOMPARE(r.size(), 4);
        const auto v = index(*rows);
        QCOMPARE(v.value(QStringLiteral("hits||")), QStringLiteral("12"));
        QCOMPARE(v.value(QStringLiteral("misses||")), QStringLiteral("4"));
        QCOMPARE(v.value(QStringLiteral("dbReads||")), QStringLiteral("5"));
        QCOMPARE(v.value(QStringLiteral("queueDepth||")), QStringLiteral("2"));
        QCOMPARE(v.value(QStringLiteral("hitRatio||")), QStringLiteral("0.75"));
        QCOMPARE(v.value(QStringLiteral("count|get|cache-aside")), QStringLiteral("16"));
        QCOMPARE(v.value(QStringLiteral("p50Micros|get|cache-aside")), QStringLiteral("210"));
        QCOMPARE(v.value(QStringLiteral("p99Micros|get|cache-aside")), QStringLiteral("1830"));
        QCOMPARE(v.value(QStringLiteral("errors|update|write-through")), QStringLiteral("1"));
        QCOMPARE(v.value(QStringLiteral("p95Micros|update|write-through")), QStringLiteral("4200"));
        // Every counter of the snapshot's JSON is a row (the HTTP API's names).
        const QJsonObject json = snapshot().toJson();
        for (auto it = json.begin(); it != json.end(); ++it) {
            if (!it.value().isArray())
                QVERIFY2(v.contains(it.key() + QStringLiteral("||")), qPrintable(it.key()));
        }
        QVERIFY(!csv.contains(QLatin1String("redis.")));
    }

    void redisFiguresWhenSampled()
    {
        RedisServerInfo info;
        info.sampledAt = QDateTime(QDate(2026, 12, 2), QTime(18, 0), Qt::UTC);
        info.usedMemory = 2516582;
        info.maxmemory = 3 * 1024 * 1024;
        info.maxmemoryPolicy = QStringLiteral("allkeys-lru");
        info.evictedKeys = 43;
        info.expiredKeys = 7;
        info.redisVersion = QStringLiteral("7.0.15");
        const auto rows = CsvTest::parse(MetricsExport::toCsv(snapshot(), info));
        QVERIFY(rows);
        const auto v = index(*rows);
        QCOMPARE(v.value(QStringLiteral("redis.usedMemory||")), QStringLiteral("2516582"));
        QCOMPARE(v.value(QStringLiteral("redis.maxmemory||")), QStringLiteral("3145728"));
        QCOMPARE(v.value(QStringLiteral("redis.maxmemoryPolicy||")), QStringLiteral("allkeys-lru"));
        QCOMPARE(v.value(QStringLiteral("redis.evictedKeys||")), QStringLiteral("43"));
        QCOMPARE(v.value(QStringLiteral("redis.expiredKeys||")), QStringLiteral("7"));
        QCOMPARE(v.value(QStringLiteral("redis.version||")), QStringLiteral("7.0.15"));
        QCOMPARE(v.value(QStringLiteral("redis.sampledAt||")), QStringLiteral("2026-12-02T18:00:00.000Z"));
    }
};

QTEST_GUILESS_MAIN(TestMetricsExport)
#include "tst_metricsexport.moc"
