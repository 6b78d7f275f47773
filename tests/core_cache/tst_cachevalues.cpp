// Tests for the plain value types of core/cache: strategy and stampede
// names, CacheSettings ranges and JSON, EvictionSettings checks,
// CacheMetrics percentiles, OperationTrace JSON and password redaction.
#include "cachemetrics.h"
#include "cachesettings.h"
#include "evictionsettings.h"
#include "operationtrace.h"
#include "serviceresult.h"
#include "strategykind.h"

#include <QJsonArray>
#include <QtTest>

class TestCacheValues final : public QObject
{
    Q_OBJECT

private slots:
    void strategyRoundTrip_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<StrategyKind>("kind");
        QTest::newRow("none") << QStringLiteral("none") << StrategyKind::None;
        QTest::newRow("cache-aside") << QStringLiteral("cache-aside") << StrategyKind::CacheAside;
        QTest::newRow("read-through") << QStringLiteral("read-through") << StrategyKind::ReadThrough;
        QTest::newRow("write-through") << QStringLiteral("write-through") << StrategyKind::WriteThrough;
        QTest::newRow("write-behind") << QStringLiteral("write-behind") << StrategyKind::WriteBehind;
    }

    void strategyRoundTrip()
    {
        QFETCH(QString, name);
        QFETCH(StrategyKind, kind);
        QCOMPARE(strategyName(kind), name);
        QCOMPARE(strategyFromName(name), std::optional<StrategyKind>(kind));
        QCOMPARE(strategyFromName(QStringLiteral("  ") + name.toUpper() + QStringLiteral(" ")),
            std::optional<StrategyKind>(kind));
        QVERIFY(!strategyDescription(kind).isEmpty());
    }

    void strategyListsAndUnknownNames()
    {
        QCOMPARE(::strategyNames(),
            QStringList({ QStringLiteral("none"), QStringLiteral("cache-aside"), QStringLiteral("read-through"),
                QStringLiteral("write-through"), QStringLiteral("write-behind") }));
        QCOMPARE(allStrategies().size(), 5);
        for (const char *bad : { "", "cacheaside", "write_behind", "lru", "none " })
            QVERIFY2(!strategyFromName(QString::fromLatin1(bad)) || QByteArray(bad) == "none ", bad);
        QCOMPARE(stampedeModeNames(),
            QStringList({ QStringLiteral("off"), QStringLiteral("single-flight"), QStringLiteral("lock"),
                QStringLiteral("xfetch") }));
        for (const QString &n : stampedeModeNames())
            QCOMPARE(stampedeModeName(*stampedeModeFromName(n)), n);
        QVERIFY(!stampedeModeFromName(QStringLiteral("mutex")));
    }

    void settingsClampAndJson()
    {
        CacheSettings s;
        QCOMPARE(s.ttlSeconds, 60);
        QCOMPARE(s.keyPrefix, QString());
        s.ttlSeconds = 0;
        s.ttlJitterPercent = 99;
        s.writeBehindBatchSize = 0;
        s.recentLimit = 1000;
        s.xfetchBeta = 100;
        s.invalidationChannel = QStringLiteral(" ");
        const CacheSettings c = s.clamped();
        QCOMPARE(c.ttlSeconds, 1);
        QCOMPARE(c.ttlJitterPercent, 50);
        QCOMPARE(c.writeBehindBatchSize, 1);
        QCOMPARE(c.recentLimit, 100);
        QCOMPARE(c.xfetchBeta, 10.0);
        QCOMPARE(c.invalidationChannel, QStringLiteral("cachelab:invalidate"));

        CacheSettings custom;
        custom.keyPrefix = QStringLiteral("x:");
        custom.stampede = StampedeMode::RedisLock;
        custom.ttlJitterPercent = 10;
        custom.staleSetGuard = false;
        QCOMPARE(CacheSettings::fromJson(custom.toJson()), custom);
        const CacheSettings partial
            = CacheSettings::fromJson(QJsonObject { { QStringLiteral("ttlSeconds"), 5 } }, custom);
        QCOMPARE(partial.ttlSeconds, 5);
        QCOMPARE(partial.keyPrefix, QStringLiteral("x:"));
        QCOMPARE(
            CacheSettings::fromJson(QJsonObject { { QStringLiteral("stampede"), QStringLiteral("bogus") } }).stampede,
            StampedeMode::SingleFlight);
    }

    void eviction()
    {
        QCOMPARE(EvictionSettings::policies().size(), 8);
        for (const QString &p : EvictionSettings::policies())
            QVERIFY(EvictionSettings::isValidPolicy(p));
        QVERIFY(EvictionSettings::isAllKeysPolicy(QStringLiteral("allkeys-lfu")));
        QVERIFY(!EvictionSettings::isAllKeysPolicy(QStringLiteral("volatile-lru")));
        EvictionSettings e;
        QVERIFY(e.validate().isEmpty());
        e.policy = QStringLiteral("lru");
        QVERIFY(e.validate().contains(QStringLiteral("lru")));
        e.policy = QStringLiteral("volatile-ttl");
        e.samples = 0;
        QVERIFY(!e.validate().isEmpty());
        e.samples = 5;
        e.maxmemoryBytes = -1;
        QVERIFY(!e.validate().isEmpty());
    }

    void metricsPercentiles()
    {
        CacheMetrics m;
        for (int i = 1; i <= 100; ++i)
            m.recordOperation(QStringLiteral("get"), StrategyKind::CacheAside, i, i > 98);
        m.recordOperation(QStringLiteral("get"), StrategyKind::None, 7, false);
        m.hits = 3;
        m.misses = 1;
        const MetricsSnapshot s = m.snapshot();
        QCOMPARE(s.latencies.size(), 2);
        const LatencyStats &ca = s.latencies.at(1);
        QCOMPARE(ca.strategy, StrategyKind::CacheAside);
        QCOMPARE(ca.count, 100u);
        QCOMPARE(ca.errors, 2u);
        QCOMPARE(ca.p50Micros, 50);
        QCOMPARE(ca.p95Micros, 95);
        QCOMPARE(ca.p99Micros, 99);
        QCOMPARE(ca.maxMicros, 100);
        QCOMPARE(s.hitRatio(), 0.75);
        QCOMPARE(s.toJson().value(QStringLiteral("latencies")).toArray().size(), 2);
        // The window keeps the latest samples only.
        for (int i = 0; i < CacheMetrics::WindowSize; ++i)
            m.recordOperation(QStringLiteral("get"), StrategyKind::CacheAside, 1000, false);
        QCOMPARE(m.snapshot().latencies.at(1).p50Micros, 1000);
        QCOMPARE(m.snapshot().latencies.at(1).count, quint64(100 + CacheMetrics::WindowSize));
        m.reset();
        QCOMPARE(m.snapshot().latencies.size(), 0);
        QCOMPARE(MetricsSnapshot().hitRatio(), 0.0);
    }

    void traceJsonAndRedaction()
    {
        OperationTrace t;
        t.id = 7;
        t.operation = QStringLiteral("get");
        t.strategy = StrategyKind::WriteThrough;
        t.started = QDateTime::currentDateTimeUtc();
        t.steps << TraceStep { TraceSystem::Redis, QStringLiteral("HGETALL product:1"), TraceOutcome::Miss, 120, {} }
                << TraceStep { TraceSystem::Sql, QStringLiteral("SELECT ..."), TraceOutcome::Ok, 900, {} }
                << TraceStep { TraceSystem::Redis, QStringLiteral("EVALSHA"), TraceOutcome::Fill, 80, {} };
        t.outcome = TraceOutcome::Miss;
        const QJsonObject j = t.toJson();
        QCOMPARE(j.value(QStringLiteral("strategy")).toString(), QStringLiteral("write-through"));
        QCOMPARE(j.value(QStringLiteral("outcome")).toString(), QStringLiteral("miss"));
        const QJsonArray steps = j.value(QStringLiteral("steps")).toArray();
        QCOMPARE(steps.size(), 3);
        QCOMPARE(steps.at(1).toObject().value(QStringLiteral("system")).toString(), QStringLiteral("sql"));
        QCOMPARE(steps.at(2).toObject().value(QStringLiteral("outcome")).toString(), QStringLiteral("fill"));
        QVERIFY(t.hasStep(TraceOutcome::Fill));
        QVERIFY(t.hasStep(TraceSystem::Redis, TraceOutcome::Miss));
        QVERIFY(!t.hasStep(TraceSystem::Sql, TraceOutcome::Miss));
        QCOMPARE(t.count(TraceSystem::Redis), 2);
        QCOMPARE(t.stepsOf(TraceSystem::Sql).size(), 1);
        QVERIFY(t.toText().contains(QStringLiteral("HGETALL product:1")));

        QCOMPARE(redactedCommandText({ "AUTH", "user", "s3cret" }), QStringLiteral("AUTH *** ***"));
        QCOMPARE(redactedCommandText({ "CONFIG", "SET", "requirepass", "s3cret" }),
            QStringLiteral("CONFIG SET requirepass ***"));
        QCOMPARE(redactedCommandText({ "HELLO", "3", "AUTH", "u", "s3cret" }), QStringLiteral("HELLO 3 AUTH *** ***"));
        QCOMPARE(redactedCommandText({ "HSET", "product:1", "name", "two words" }),
            QStringLiteral("HSET product:1 name \"two words\""));
        QVERIFY(!redactedCommandText({ "AUTH", "s3cret" }).contains(QStringLiteral("s3cret")));
        QVERIFY(redactedCommandText({ "SET", "k", QByteArray(500, 'v') }).size() <= 160);
        for (TraceOutcome o : { TraceOutcome::StaleSkip, TraceOutcome::NotFound, TraceOutcome::NegativeHit })
            QVERIFY(traceOutcomeName(o).contains(QLatin1Char('-')));
        QCOMPARE(serviceStatusName(ServiceStatus::NotFound), QStringLiteral("not-found"));
    }
};

QTEST_MAIN(TestCacheValues)
#include "tst_cachevalues.moc"
