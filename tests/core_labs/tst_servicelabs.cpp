// The labs that run on CacheLab's own service (LabBackend): stampede,
// stale-set, avalanche-and-penetration and the strategy shoot-out, at small
// sizes, each against what its protection or pattern promises.
#include "avalanchelab.h"
#include "labserver.h"
#include "labtestsupport.h"
#include "shootoutlab.h"
#include "stalesetlab.h"
#include "stampedelab.h"

#include <QtTest>

#include <cmath>

using namespace LabTest;

class TestServiceLabs : public QObject
{
    Q_OBJECT

private slots:
    void cleanup()
    {
        LabServer::waitForStopped(TestTime::scaled(5000));
        QCOMPARE(LabServer::stopping(), 0);
    }

    void stampedeLoadsAsEachProtectionPromises()
    {
        // Ten readers at expiry, a 100 ms database: enough readers to pile
        // up behind one load, short enough for the suite.
        StampedeLab lab;
        QVERIFY(lab.setParam(QStringLiteral("clients"), 10));
        QVERIFY(lab.setParam(QStringLiteral("db-ms"), 100));
        QVERIFY(lab.setParam(QStringLiteral("ttl"), 1));
        QVERIFY(runToEnd(lab, 120000));
        const QJsonArray modes = lab.results().value(QStringLiteral("modes")).toArray();
        QCOMPARE(modes.size(), 8);
        for (const QJsonValue &v : modes) {
            const QJsonObject m = v.toObject();
            const QString mode = m.value(QStringLiteral("mode")).toString();
            const int instances = m.value(QStringLiteral("instances")).toInt();
            const int loads = m.value(QStringLiteral("db_loads")).toInt();
            const QString where = mode + QLatin1Char('/') + QString::number(instances) + QStringLiteral(": ")
                + QString::number(loads);
            QCOMPARE(m.value(QStringLiteral("errors")).toInt(), 0);
            QCOMPARE(m.value(QStringLiteral("clients")).toInt(), 10);
            for (const char *k : { "mode", "clients", "db_loads", "p99_ms" })
                QVERIFY(m.contains(QLatin1String(k)));
            if (mode == QLatin1String("off"))
                QVERIFY2(loads == 10, qPrintable(where)); // every reader loads
            else if (mode == QLatin1String("single-flight"))
                QVERIFY2(loads == instances, qPrintable(where)); // once per process
            else if (mode == QLatin1String("lock"))
                QVERIFY2(loads == 1, qPrintable(where)); // once in all
            else if (m.value(QStringLiteral("early_refreshes")).toInt() > 0) // xfetch refreshed before the expiry
                QVERIFY2(loads == 0, qPrintable(where));
            else // no reader happened to refresh early: nothing guards the miss
                QVERIFY2(loads == 10, qPrintable(where));
        }
        QVERIFY(lab.matches());
        // Without protection the readers wait for each other's loads.
        const QJsonObject off = modes.at(0).toObject();
        QVERIFY(off.value(QStringLiteral("p99_ms")).toDouble() >= 100);
    }

    void staleSetIsServedWithoutTheGuardOnly()
    {
        StaleSetLab lab;
        QSignalSpy stepped(&lab, &Lab::stepped);
        QVERIFY(runToEnd(lab));
        const QJsonObject results = lab.results();
        QCOMPARE(results.value(QStringLiteral("stale_without_guard")).toBool(), true);
        QCOMPARE(results.value(QStringLiteral("stale_with_guard")).toBool(), false);
        const QJsonArray races = results.value(QStringLiteral("races")).toArray();
        const QJsonObject off = races.at(0).toObject(), on = races.at(1).toObject();
        // Without the guard the last read got exactly the reader's old version, from the cache.
        QCOMPARE(off.value(QStringLiteral("served_version")).toInteger(), off.value(QStringLiteral("reader_version")).toInteger());
        QVERIFY(off.value(QStringLiteral("writer_version")).toInteger() > off.value(QStringLiteral("reader_version")).toInteger());
        QCOMPARE(off.value(QStringLiteral("served_from")).toString(), QStringLiteral("cache"));
        QVERIFY(off.value(QStringLiteral("stale_for_s")).toDouble() > 0);
        // With it the late fill was refused and the last read got the writer's version.
        QCOMPARE(on.value(QStringLiteral("late_fill")).toString(), QStringLiteral("refused"));
        QCOMPARE(on.value(QStringLiteral("served_version")).toInteger(), on.value(QStringLiteral("writer_version")).toInteger());
        QVERIFY(lab.matches());
        // The moves are in the trace, in the order of the race.
        QStringList lines;
        for (const QList<QVariant> &args : stepped)
            lines << args.first().toString();
        const auto at = [&lines](const char *prefix, int from) {
            for (int i = from; i < lines.size(); ++i)
                if (lines.at(i).startsWith(QLatin1String(prefix)))
                    return i;
            return -1;
        };
        const int reader = at("READER", 0), writer = at("WRITER", 0), resume = at("READER", reader + 1), anyone = at("ANYONE", 0);
        QVERIFY(reader >= 0 && reader < writer && writer < resume && resume < anyone);
        QVERIFY(lines.at(anyone).contains(QStringLiteral("STALE")));
        QVERIFY(lines.at(at("ANYONE", anyone + 1)).contains(QStringLiteral("the new version")));
    }

    void jitterLowersThePeakAndEachDefenceStopsItsReads()
    {
        AvalancheLab lab;
        QVERIFY(lab.setParam(QStringLiteral("keys"), 300));
        QVERIFY(lab.setParam(QStringLiteral("ttl"), 2));
        QVERIFY(lab.setParam(QStringLiteral("jitter"), 25));
        QVERIFY(lab.setParam(QStringLiteral("missing"), 400));
        QVERIFY(lab.setParam(QStringLiteral("repeats"), 3));
        QVERIFY(runToEnd(lab, 120000));
        const QJsonObject results = lab.results();
        // Avalanche: every product is read again after it expired, once per
        // run (and a few twice, when jitter gave them a short first TTL).
        const QJsonObject peak = results.value(QStringLiteral("peak_db_loads_per_s")).toObject();
        const double none = peak.value(QStringLiteral("no_jitter")).toDouble();
        const double jitter = peak.value(QStringLiteral("jitter")).toDouble();
        QVERIFY2(jitter < 0.75 * none, qPrintable(QStringLiteral("peak %1 with jitter, %2 without").arg(jitter).arg(none)));
        const QJsonArray runs = results.value(QStringLiteral("avalanche")).toArray();
        QVERIFY(runs.at(0).toObject().value(QStringLiteral("db_loads")).toInt() >= 300);
        QVERIFY(runs.at(1).toObject().value(QStringLiteral("db_loads")).toInt() >= 300);
        // Penetration: exact counts without and with negative caching.
        const QJsonArray pen = results.value(QStringLiteral("penetration")).toArray();
        QCOMPARE(pen.at(0).toObject().value(QStringLiteral("db_reads")).toInt(), 1200);
        QCOMPARE(pen.at(1).toObject().value(QStringLiteral("db_reads")).toInt(), 400);
        // The Bloom filter: its measured false positives near its own formula
        // (three standard deviations of a binomial count, as the lab allows).
        const QJsonObject fp = results.value(QStringLiteral("bloom_false_positive_rate")).toObject();
        const double formula = fp.value(QStringLiteral("formula")).toDouble();
        const double measured = fp.value(QStringLiteral("measured")).toDouble();
        QVERIFY(formula > 0.01 && formula < 0.2);
        QVERIFY(fp.value(QStringLiteral("bits")).toInteger() > 0 && fp.value(QStringLiteral("hashes")).toInt() > 0);
        QVERIFY2(std::abs(measured - formula) <= 3 * std::sqrt(formula * (1 - formula) / 400) + 1.0 / 400,
            qPrintable(QStringLiteral("measured %1, formula %2").arg(measured).arg(formula)));
        QVERIFY(pen.at(2).toObject().value(QStringLiteral("db_reads")).toInt() < 400 / 2);
        QVERIFY(lab.matches());
        QCOMPARE(lab.charts().size(), 2);
    }

    void shootOutFillsTheTextbookTable()
    {
        ShootOutLab lab;
        QVERIFY(lab.setParam(QStringLiteral("seconds"), 2));
        QVERIFY(lab.setParam(QStringLiteral("products"), 50));
        QVERIFY(lab.setParam(QStringLiteral("in-flight"), 4));
        QVERIFY(runToEnd(lab, 120000));
        const QJsonArray rows = lab.results().value(QStringLiteral("strategies")).toArray();
        QCOMPARE(rows.size(), 5);
        for (const QJsonValue &v : rows) {
            const QJsonObject r = v.toObject();
            const QString s = r.value(QStringLiteral("strategy")).toString();
            const double hit = r.value(QStringLiteral("hit_ratio")).toDouble();
            QCOMPARE(r.value(QStringLiteral("errors")).toInt(), 0);
            QVERIFY2(r.value(QStringLiteral("writes_per_s")).toDouble() > 0, qPrintable(s));
            if (s == QLatin1String("none")) {
                QCOMPARE(hit, 0.0); // nothing to hit
                // every read is an SQLite read: at least the reads' share of calls
                QVERIFY(r.value(QStringLiteral("sql_reads_per_s")).toDouble() > 0);
            } else {
                QVERIFY2(hit > 0.3, qPrintable(s + QLatin1Char(' ') + QString::number(hit)));
            }
            const int atRisk = r.value(QStringLiteral("writes_at_risk_max")).toInt();
            if (s == QLatin1String("write-behind")) {
                QVERIFY(atRisk > 0);
                // coalesced and batched: fewer SQLite write calls than writes
                QVERIFY(r.value(QStringLiteral("sql_writes_per_s")).toDouble() < r.value(QStringLiteral("writes_per_s")).toDouble());
            } else {
                QVERIFY2(atRisk == 0, qPrintable(s));
            }
        }
        QVERIFY(lab.matches());
        QCOMPARE(lab.charts().size(), 7);
        for (const LabChart &c : lab.charts())
            QVERIFY2(!c.caption.isEmpty(), qPrintable(c.id));
    }

};

QTEST_GUILESS_MAIN(TestServiceLabs)
#include "tst_servicelabs.moc"
