// tst_benchsmoke: runs every cachelab-bench scenario with a tiny N and
// checks that its JSON line carries the documented fields, all finite.
// Speed is not checked: on a shared machine it means nothing at this size.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>

namespace {
const QString Bench = QStringLiteral(CACHELAB_BENCH_BINARY);
}

class TestBenchSmoke final : public QObject
{
    Q_OBJECT

private slots:
    void listNamesEveryScenario();
    void scenario_data();
    void scenario();
    void rejectsBadUsage();
};

void TestBenchSmoke::listNamesEveryScenario()
{
    QProcess p;
    p.start(Bench, { QStringLiteral("--list") });
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
    const QByteArray out = p.readAllStandardOutput();
    for (const char *name : { "hit-seq", "hit-concurrent", "miss-fill", "keys-1m", "keys-10m", "expire-burst",
             "wb-accept", "wb-drain", "write-latency", "redis-benchmark", "startup" })
        QVERIFY2(out.contains(name), name);
}

void TestBenchSmoke::scenario_data()
{
    QTest::addColumn<QString>("name");
    QProcess p;
    p.start(Bench, { QStringLiteral("--list") });
    QVERIFY(p.waitForFinished(10000));
    for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
        const QByteArray name = line.trimmed().split(' ').value(0);
        if (!name.isEmpty())
            QTest::newRow(name.constData()) << QString::fromLatin1(name);
    }
}

void TestBenchSmoke::scenario()
{
    QFETCH(QString, name);
    QProcess p;
    p.start(Bench, { name, QStringLiteral("--n"), QStringLiteral("200"), QStringLiteral("--json") });
    QVERIFY2(p.waitForFinished(90000), "the scenario did not finish in 90 s");
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(p.exitStatus() == QProcess::NormalExit, err.constData());
    QVERIFY2(p.exitCode() == 0, err.constData());

    const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(lines.constFirst(), &parseError);
    QVERIFY2(doc.isObject(), qPrintable(parseError.errorString()));
    const QJsonObject o = doc.object();
    QCOMPARE(o.value(QStringLiteral("scenario")).toString(), name);
    if (o.value(QStringLiteral("skipped")).toBool())
        QSKIP(qPrintable(o.value(QStringLiteral("reason")).toString()));
    QVERIFY2(!o.contains(QStringLiteral("error")), qPrintable(o.value(QStringLiteral("error")).toString()));

    for (const char *field : { "baseline_ops_s", "cachelab_ops_s", "baseline_seconds", "cachelab_seconds", "ratio",
             "goal", "cores", "n", "rounds" }) {
        const QJsonValue v = o.value(QLatin1String(field));
        QVERIFY2(v.isDouble(), field);
        QVERIFY2(std::isfinite(v.toDouble()), field);
    }
    QVERIFY(o.value(QStringLiteral("met")).isBool());
    if (name.startsWith(QLatin1String("keys-"))) {
        // The key browser's figures beside the time: memory per key, stalls, a view's work while loading.
        for (const char *field :
            { "memory_mib", "bytes_per_key", "max_stall_ms", "longest_add_keys_ms", "longest_view_ms" }) {
            const QJsonValue v = o.value(QLatin1String(field));
            QVERIFY2(v.isDouble() && std::isfinite(v.toDouble()), field);
        }
    }
    QCOMPARE(o.value(QStringLiteral("n")).toInteger(), 200);
    QVERIFY(o.value(QStringLiteral("rounds")).toInteger() >= 3);
    QVERIFY(o.value(QStringLiteral("cores")).toInteger() >= 1);
    QVERIFY(o.value(QStringLiteral("baseline_seconds")).toDouble() > 0);
    QVERIFY(o.value(QStringLiteral("cachelab_seconds")).toDouble() > 0);
    // A/B alternation: one baseline and one CacheLab figure per round.
    QCOMPARE(
        o.value(QStringLiteral("baseline_rounds")).toArray().size(), o.value(QStringLiteral("rounds")).toInteger());
    QCOMPARE(
        o.value(QStringLiteral("cachelab_rounds")).toArray().size(), o.value(QStringLiteral("rounds")).toInteger());
}

void TestBenchSmoke::rejectsBadUsage()
{
    QProcess p;
    p.start(Bench, { QStringLiteral("no-such-scenario") });
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 2);
    p.start(Bench, { QStringLiteral("hit-seq"), QStringLiteral("--rounds"), QStringLiteral("2") });
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 2);
}

QTEST_GUILESS_MAIN(TestBenchSmoke)
#include "tst_benchsmoke.moc"
