// The labs, run at small sizes on their own real redis-servers: each must
// reproduce its reference result, stay repeatable by seed, and obey run,
// step, stop and reset.
#include "approxlrulab.h"
#include "lab.h"
#include "labregistry.h"
#include "labserver.h"
#include "labtestsupport.h"
#include "lfucounterlab.h"
#include "missratiolab.h"
#include "testtime.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>

#include <memory>

using namespace LabTest;

class TestLabs : public QObject
{
    Q_OBJECT

private slots:
    void cleanup()
    {
        // Every lab's redis-server is gone once its lab is.
        LabServer::waitForStopped(TestTime::scaled(5000));
        QCOMPARE(LabServer::stopping(), 0);
    }

    void registryKnowsEveryLab()
    {
        const QStringList names = LabRegistry::names();
        QVERIFY(names.contains(QStringLiteral("lfu-counter")));
        QVERIFY(names.contains(QStringLiteral("approx-lru")));
        QVERIFY(names.contains(QStringLiteral("miss-ratio-curve")));
        QVERIFY(names.contains(QStringLiteral("stampede")));
        QVERIFY(names.contains(QStringLiteral("stale-set")));
        QVERIFY(names.contains(QStringLiteral("avalanche-and-penetration")));
        QVERIFY(names.contains(QStringLiteral("strategy-shoot-out")));
        QVERIFY(names.contains(QStringLiteral("write-paths-under-crash")));
        for (const QString &n : names) {
            const auto lab = LabRegistry::create(n);
            QVERIFY(lab);
            QCOMPARE(lab->name(), n);
            QVERIFY(!lab->description().isEmpty());
            QVERIFY(!lab->referenceText().isEmpty());
        }
        QVERIFY(!LabRegistry::create(QStringLiteral("no-such-lab")));
    }

    void badParametersChangeNothing()
    {
        LfuCounterLab lab;
        QString error;
        const double before = lab.param(QStringLiteral("max-hits"));
        QVERIFY(!lab.setParam(QStringLiteral("max-hits"), 5, &error));
        QVERIFY2(error.contains(QStringLiteral("max-hits")), qPrintable(error));
        QVERIFY(!lab.setParam(QStringLiteral("max-hits"), 1500.5, &error));
        QVERIFY(!lab.setParam(QStringLiteral("nonsense"), 1, &error));
        QVERIFY2(error.contains(QStringLiteral("trials")), qPrintable(error)); // names what it has
        QCOMPARE(lab.param(QStringLiteral("max-hits")), before);
        QVERIFY(lab.setParam(QStringLiteral("max-hits"), 2000, &error));
        QCOMPARE(lab.param(QStringLiteral("max-hits")), 2000.0);
    }

    void lfuCounterFollowsTheTable()
    {
        // Up to 100,000 hits: the table's first three columns.
        LfuCounterLab lab;
        QVERIFY(lab.setParam(QStringLiteral("max-hits"), 100000));
        QVERIFY(runToEnd(lab));
        const QJsonObject json = lab.toJson();
        QCOMPARE(json.value(QStringLiteral("lab")).toString(), QStringLiteral("lfu-counter"));
        const QJsonArray table = json.value(QStringLiteral("results")).toObject().value(QStringLiteral("table")).toArray();
        QCOMPARE(table.size(), 4 * 3);
        // Factor 0 is not random: the first INCR makes the key at 5, each
        // of the other 99 adds one. redis.conf says 104 too.
        QCOMPARE(rowWhere(table, QStringLiteral("factor"), 0, QStringLiteral("hits"), 100).value(QStringLiteral("freq")).toInt(), 104);
        QCOMPARE(rowWhere(table, QStringLiteral("factor"), 0, QStringLiteral("hits"), 1000).value(QStringLiteral("freq")).toInt(), 255);
        // The documented values for factors 10 and 100 are beside the readings.
        const int docs10[] = { 10, 18, 142 }, docs100[] = { 8, 11, 49 };
        const qint64 hits[] = { 100, 1000, 100000 };
        for (int i = 0; i < 3; ++i) {
            const QJsonObject r10 = rowWhere(table, QStringLiteral("factor"), 10, QStringLiteral("hits"), hits[i]);
            const QJsonObject r100 = rowWhere(table, QStringLiteral("factor"), 100, QStringLiteral("hits"), hits[i]);
            QCOMPARE(r10.value(QStringLiteral("docs")).toInt(), docs10[i]);
            QCOMPARE(r100.value(QStringLiteral("docs")).toInt(), docs100[i]);
        }
        // Every reading inside the model's 99% band: a reading outside it in
        // one row of twelve would happen by chance in about one run in ten,
        // so the band is widened by 15% of its width for this check.
        for (const QJsonValue &v : table) {
            const QJsonObject r = v.toObject();
            const int lo = r.value(QStringLiteral("model_low")).toInt(), hi = r.value(QStringLiteral("model_high")).toInt();
            const int slack = int(std::ceil((hi - lo) * 0.15));
            const int freq = r.value(QStringLiteral("freq")).toInt();
            QVERIFY2(freq >= lo - slack && freq <= hi + slack,
                qPrintable(QStringLiteral("factor %1 hits %2: %3 outside %4..%5")
                               .arg(r.value(QStringLiteral("factor")).toInt())
                               .arg(r.value(QStringLiteral("hits")).toInteger())
                               .arg(freq)
                               .arg(lo)
                               .arg(hi)));
            // The documented number is a run of the same process: inside the band too.
            const int docs = r.value(QStringLiteral("docs")).toInt();
            QVERIFY(docs >= lo - slack && docs <= hi + slack);
        }
        QVERIFY(lab.charts().size() == 1 && lab.charts().first().caption.contains(QStringLiteral("readings")));
    }

    void modelMatchesTheIncrementRule()
    {
        // Factor 0: every hit counts, so the model is exact.
        const auto f0 = LfuCounterLab::modelCounters(0, { 1, 100, 251, 1000 }, 50, 1);
        QCOMPARE(f0[0].front(), 5);
        QCOMPARE(f0[1].front(), 104);
        QCOMPARE(f0[1].back(), 104);
        QCOMPARE(f0[2].back(), 255);
        QCOMPARE(f0[3].front(), 255);
        // Factor 1 at 1,000 hits: the table's 49 near the middle.
        const auto f1 = LfuCounterLab::modelCounters(1, { 1000 }, 4000, 9);
        const int median = f1[0][f1[0].size() / 2];
        QVERIFY2(std::abs(median - 49) <= 3, qPrintable(QString::number(median)));
    }

    void approxLruGetsCloserWithMoreSamples()
    {
        ApproxLruLab lab;
        QVERIFY(lab.setParam(QStringLiteral("keys"), 400));
        QVERIFY(runToEnd(lab));
        const QJsonObject results = lab.results();
        const QJsonObject errors = results.value(QStringLiteral("error_by_samples")).toObject();
        const double e1 = errors.value(QStringLiteral("1")).toDouble();
        const double e10 = errors.value(QStringLiteral("10")).toDouble();
        const double random = results.value(QStringLiteral("random_error")).toDouble();
        QVERIFY2(e10 < e1, qPrintable(QStringLiteral("samples 10: %1, samples 1: %2").arg(e10).arg(e1)));
        QVERIFY2(e10 < random / 2, qPrintable(QStringLiteral("samples 10: %1, random: %2").arg(e10).arg(random)));
        QVERIFY(lab.matches());
        // The exact LRU row evicts no key exact LRU keeps, by definition,
        // and every run evicted about as many keys as were added.
        const QJsonArray runs = results.value(QStringLiteral("runs")).toArray();
        QCOMPARE(runs.first().toObject().value(QStringLiteral("error")).toDouble(), 0.0);
        for (const QJsonValue &v : runs) {
            const int evicted = v.toObject().value(QStringLiteral("evicted")).toInt();
            QVERIFY2(evicted >= 200 && evicted <= 220, qPrintable(QString::number(evicted)));
        }
        // With 10 samples Redis evicts no new key (each is the newest there is).
        QCOMPARE(runs.last().toObject().value(QStringLiteral("evicted_new")).toInt(), 0);
    }

    void missRatioCurveMeetsItsReferences()
    {
        // The smallest lab allowed (1,000 keys: the 1% cache holds 10), and a
        // trace long enough that the counted part's hit ratios are within
        // about 0.005 of their expectation (16,000 counted requests).
        MissRatioLab lab;
        QVERIFY(lab.setParam(QStringLiteral("keys"), 1000));
        QVERIFY(lab.setParam(QStringLiteral("requests"), 20000));
        QVERIFY(runToEnd(lab, 120000));
        const QJsonObject results = lab.results();
        QCOMPARE(results.value(QStringLiteral("keys")).toInt(), 1000);
        QCOMPARE(results.value(QStringLiteral("redis_refused_fills")).toInt(), 0);
        const QJsonArray points = results.value(QStringLiteral("points")).toArray();
        QCOMPARE(points.size(), qsizetype(MissRatioLab::fractions().size()));
        double previousLru = -1;
        for (const QJsonValue &v : points) {
            const QJsonObject p = v.toObject();
            const auto f = [&p](const char *k) { return p.value(QLatin1String(k)).toDouble(); };
            for (const char *k : { "alpha", "cache_fraction", "lru_sim", "che", "lfu_sim", "opt", "redis_lru",
                     "redis_lfu", "redis_random" })
                QVERIFY2(p.contains(QLatin1String(k)), k);
            QVERIFY2(std::abs(f("lru_sim") - f("che")) <= 0.02,
                qPrintable(QStringLiteral("%1: LRU %2, Che %3").arg(f("cache_fraction")).arg(f("lru_sim")).arg(f("che"))));
            for (const char *k : { "lru_sim", "lfu_sim", "random_sim", "redis_lru", "redis_lfu", "redis_random" })
                QVERIFY2(f("opt") >= f(k), k);
            // A bigger cache never hits less (exact LRU is a stack algorithm).
            QVERIFY(f("lru_sim") >= previousLru);
            previousLru = f("lru_sim");
            // Redis held the number of keys the point is about (maxmemory was calibrated).
            const int target = p.value(QStringLiteral("cache_keys")).toInt();
            for (const char *k : { "redis_lru_keys", "redis_lfu_keys", "redis_random_keys" }) {
                const int held = p.value(QLatin1String(k)).toInt();
                QVERIFY2(std::abs(held - target) <= std::max(2, target / 10),
                    qPrintable(QStringLiteral("%1: held %2, target %3").arg(QLatin1String(k)).arg(held).arg(target)));
            }
            // Redis's random eviction is what random eviction is.
            QVERIFY2(std::abs(f("redis_random") - f("random_sim")) <= 0.05, qPrintable(QString::number(f("redis_random"))));
        }
        QVERIFY(lab.matches());
        // The trace exports as libCacheSim's csv.
        const LabTable &trace = lab.tables().at(1);
        QVERIFY(trace.bulk);
        const QStringList lines = trace.toCsv().split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 20001);
        QCOMPARE(lines.first(), QStringLiteral("time,obj_id,obj_size"));
    }

    void sameSeedSameRun()
    {
        // Only the simulated part is fully determined by the seed; run the
        // trace-and-simulate steps of two labs and compare.
        const auto curve = [](quint64 seed) {
            MissRatioLab lab;
            lab.setParam(QStringLiteral("keys"), 1000);
            lab.setParam(QStringLiteral("requests"), 5000);
            lab.setParam(QStringLiteral("redis"), 0); // the seeded part only
            lab.setSeed(seed);
            if (!runToEnd(lab, 120000))
                return QList<double>();
            QList<double> out;
            for (const QJsonValue &v : lab.results().value(QStringLiteral("points")).toArray())
                for (const char *k : { "lru_sim", "lfu_sim", "opt", "random_sim" })
                    out << v.toObject().value(QLatin1String(k)).toDouble();
            return out;
        };
        const QList<double> a = curve(3), b = curve(3), c = curve(4);
        QCOMPARE(a.size(), qsizetype(4 * MissRatioLab::fractions().size()));
        QCOMPARE(a, b);
        QVERIFY(a != c);
    }

    void resetDuringATimedWaitStopsItsTimers()
    {
        // approx-lru polls Redis's LRU clock on a timer between phases. A
        // reset while it waits must end that chain: its server is gone.
        ApproxLruLab lab;
        lab.setParam(QStringLiteral("keys"), 100);
        QSignalSpy stepped(&lab, &Lab::stepped);
        lab.run();
        QTRY_VERIFY_WITH_TIMEOUT(!stepped.isEmpty()
                && stepped.last().first().toString().contains(QStringLiteral("CONFIG SET maxmemory")),
            TestTime::scaled(15000));
        lab.reset(); // now it waits for a tick of the clock
        const int after = stepped.count();
        QTest::qWait(1500); // longer than a tick: a live timer would have fired
        QCOMPARE(stepped.count(), after);
        QCOMPARE(lab.state(), Lab::State::Idle);
        // And the lab runs again from the start.
        QVERIFY(runToEnd(lab));
    }

    void stopBetweenStepsRunsNoMore()
    {
        LfuCounterLab lab;
        lab.setParam(QStringLiteral("max-hits"), 100000);
        QSignalSpy stepped(&lab, &Lab::stepped);
        // Stop as the first step reports: the next step is queued, not started.
        connect(&lab, &Lab::stepped, &lab, [&lab] { lab.stop(); }, Qt::SingleShotConnection);
        lab.run();
        QTRY_COMPARE_WITH_TIMEOUT(lab.state(), Lab::State::Stopped, TestTime::scaled(15000));
        QCOMPARE(stepped.count(), 1);
        QVERIFY(lab.results().isEmpty());
    }

    void stepAfterTheEndStartsAgainAndPauses()
    {
        LfuCounterLab lab;
        lab.setParam(QStringLiteral("max-hits"), 1000);
        QVERIFY(runToEnd(lab));
        QVERIFY(!lab.results().isEmpty());
        lab.step();
        QTRY_COMPARE_WITH_TIMEOUT(lab.state(), Lab::State::Paused, TestTime::scaled(15000));
        QCOMPARE(lab.stepsDone(), 1);
        QCOMPARE(lab.trace().size(), 1); // the old run's trace is gone
        QVERIFY(lab.results().isEmpty());
        // And run() from a pause goes to the end.
        QVERIFY(runToEnd(lab));
        QCOMPARE(lab.stepsDone(), lab.stepsTotal());
    }

    void stepPausesStopEndsResetForgets()
    {
        LfuCounterLab lab;
        lab.setParam(QStringLiteral("max-hits"), 1000);
        QSignalSpy stepped(&lab, &Lab::stepped);
        lab.step();
        QTRY_COMPARE_WITH_TIMEOUT(lab.state(), Lab::State::Paused, TestTime::scaled(15000));
        QCOMPARE(stepped.count(), 1);
        QCOMPARE(lab.stepsDone(), 1);
        QVERIFY(stepped.first().first().toString().contains(QStringLiteral("CONFIG SET")));
        // Paused means paused: nothing more happens on its own.
        QTest::qWait(200);
        QCOMPARE(stepped.count(), 1);
        lab.step();
        QTRY_COMPARE_WITH_TIMEOUT(lab.stepsDone(), 2, TestTime::scaled(15000));
        QTRY_COMPARE_WITH_TIMEOUT(lab.state(), Lab::State::Paused, TestTime::scaled(15000));
        QVERIFY(stepped.last().first().toString().contains(QStringLiteral("lfu-log-factor")));
        // Settings are fixed while a run is open.
        QVERIFY(!lab.setParam(QStringLiteral("trials"), 2000));
        lab.stop();
        QCOMPARE(lab.state(), Lab::State::Stopped);
        QVERIFY(lab.results().isEmpty());
        lab.reset();
        QCOMPARE(lab.state(), Lab::State::Idle);
        QVERIFY(lab.trace().isEmpty());
        QVERIFY(lab.setParam(QStringLiteral("trials"), 2000));
        // A reset in the middle of a run drops it: no step reports afterwards.
        lab.run();
        QTRY_VERIFY_WITH_TIMEOUT(lab.stepsDone() >= 1, TestTime::scaled(15000));
        lab.reset();
        const int after = stepped.count();
        QTest::qWait(300);
        QCOMPARE(stepped.count(), after);
        QCOMPARE(lab.state(), Lab::State::Idle);
    }
};

QTEST_GUILESS_MAIN(TestLabs)
#include "tst_labs.moc"
