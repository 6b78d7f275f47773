// `cachelab lab`: what a teacher runs to prepare slides, and what scripts
// read. A real cachelab process; the lab starts its own redis-server.
#include "testtime.h"

#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

struct Run
{
    int status = -1;
    QByteArray out;
    QByteArray err;
};

Run cachelab(const QStringList &args, int boundMs = 60000)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CACHELAB_BINARY), QStringList { QStringLiteral("lab") } + args);
    Run r;
    if (!p.waitForFinished(TestTime::scaled(boundMs))) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.status = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace

class TestLabCommand final : public QObject
{
    Q_OBJECT

private slots:
    void listsTheLabs()
    {
        const Run r = cachelab({ QStringLiteral("--list"), QStringLiteral("--json") });
        QCOMPARE(r.status, 0);
        const QJsonArray labs = QJsonDocument::fromJson(r.out).array();
        QStringList names;
        for (const QJsonValue &v : labs)
            names << v.toObject().value(QStringLiteral("lab")).toString();
        QVERIFY2(names.contains(QStringLiteral("lfu-counter")) && names.contains(QStringLiteral("miss-ratio-curve"))
                && names.contains(QStringLiteral("approx-lru")),
            r.out.constData());
        QVERIFY(labs.first().toObject().value(QStringLiteral("params")).toObject().size() > 0);
    }

    void badCommandLinesExit2_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("says");
        QTest::newRow("no lab") << QStringList {} << QStringLiteral("name a lab");
        QTest::newRow("unknown lab") << QStringList { QStringLiteral("nope") } << QStringLiteral("no lab called nope");
        QTest::newRow("unknown option") << QStringList { QStringLiteral("lfu-counter"), QStringLiteral("--fast") }
                                        << QStringLiteral("unknown option --fast");
        QTest::newRow("param out of range")
            << QStringList { QStringLiteral("lfu-counter"), QStringLiteral("--param"), QStringLiteral("max-hits=5") }
            << QStringLiteral("max-hits must be");
        QTest::newRow("unknown param")
            << QStringList { QStringLiteral("lfu-counter"), QStringLiteral("--param"), QStringLiteral("speed=5") }
            << QStringLiteral("no setting \"speed\"");
        QTest::newRow("bad seed") << QStringList { QStringLiteral("lfu-counter"), QStringLiteral("--seed"), QStringLiteral("x") }
                                  << QStringLiteral("--seed");
    }
    void badCommandLinesExit2()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, says);
        const Run r = cachelab(args);
        QCOMPARE(r.status, 2);
        QVERIFY2(QString::fromUtf8(r.err).contains(says), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }

    void runsALabAndExportsIt()
    {
        QTemporaryDir dir;
        const Run r = cachelab({ QStringLiteral("lfu-counter"), QStringLiteral("--seed"), QStringLiteral("7"),
            QStringLiteral("--param"), QStringLiteral("max-hits=1000"), QStringLiteral("--json"), QStringLiteral("--out"),
            dir.path() });
        // 0 matches, 1 does not: Redis's counter is random (its rand() is not
        // the lab's seed), so a correct server misses the band now and then.
        QVERIFY2(r.status == 0 || r.status == 1, r.err.constData());
        // One JSON object on stdout, with the fields the issue names.
        const QJsonObject json = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(json.value(QStringLiteral("lab")).toString(), QStringLiteral("lfu-counter"));
        QCOMPARE(json.value(QStringLiteral("seed")).toInt(), 7);
        QCOMPARE(json.value(QStringLiteral("matches")).toBool(), r.status == 0);
        QVERIFY(json.value(QStringLiteral("reference")).toObject().contains(QStringLiteral("table")));
        const QJsonArray table = json.value(QStringLiteral("results")).toObject().value(QStringLiteral("table")).toArray();
        QCOMPARE(table.size(), 8); // 4 factors x {100, 1000}
        bool allWithin = true;
        for (const QJsonValue &v : table) {
            for (const char *k : { "factor", "hits", "freq", "docs" })
                QVERIFY2(v.toObject().contains(QLatin1String(k)), k);
            allWithin &= v.toObject().value(QStringLiteral("within_model")).toBool();
        }
        // The verdict is the table's: every reading inside the model's band.
        QCOMPARE(json.value(QStringLiteral("matches")).toBool(), allWithin);
        // The files: the same JSON, the chart as PNG and SVG, the table as CSV.
        QFile saved(dir.filePath(QStringLiteral("lfu-counter.json")));
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(saved.readAll()).object().value(QStringLiteral("results")),
            json.value(QStringLiteral("results")));
        const QImage png(dir.filePath(QStringLiteral("lfu-counter-counter.png")));
        QVERIFY(!png.isNull());
        QVERIFY(png.width() >= 1280 && png.height() >= 720);
        QFile svg(dir.filePath(QStringLiteral("lfu-counter-counter.svg")));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray svgText = svg.readAll();
        QVERIFY(svgText.contains("<svg"));
        QVERIFY(svgText.contains("OBJECT FREQ"));
        QFile csv(dir.filePath(QStringLiteral("lfu-counter-table.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().split('\n');
        QVERIFY(lines.first().startsWith("factor,hits,freq,docs"));
        QCOMPARE(lines.size(), 1 + 8 + 1); // header, rows, the empty piece after the last CRLF
    }

    void killedWritersLoseOnlyWhatTheirDesignLoses()
    {
        // Real child processes (cachelab lab-writer) killed with SIGKILL, a
        // second redis-server killed too; two kills per design.
        const Run r = cachelab({ QStringLiteral("write-paths-under-crash"), QStringLiteral("--param"),
                                   QStringLiteral("rounds=2"), QStringLiteral("--param"), QStringLiteral("products=12"),
                                   QStringLiteral("--param"), QStringLiteral("max-ms=400"), QStringLiteral("--json") },
            120000);
        QVERIFY2(r.status == 0, QByteArray(QByteArray::number(r.status) + " " + r.out + r.err).constData());
        const QJsonObject json = QJsonDocument::fromJson(r.out).object();
        const QJsonArray designs = json.value(QStringLiteral("results")).toObject().value(QStringLiteral("designs")).toArray();
        QCOMPARE(designs.size(), 5);
        for (const QJsonValue &v : designs) {
            const QJsonObject d = v.toObject();
            const QString name = d.value(QStringLiteral("design")).toString();
            const int lost = d.value(QStringLiteral("lost")).toInt();
            QCOMPARE(d.value(QStringLiteral("kills")).toInt(), 2);
            QVERIFY2(d.value(QStringLiteral("acknowledged")).toInt() > 0, qPrintable(name));
            if (name == QLatin1String("article")) {
                // Whatever it lost, the worker's own lines had named first
                // (the lab checks this round by round for its verdict).
                const QStringList lostIds = d.value(QStringLiteral("lost_ids")).toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
                const QStringList predicted = d.value(QStringLiteral("predicted_ids")).toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
                for (const QString &id : lostIds)
                    QVERIFY2(predicted.contains(id), qPrintable(id));
            } else if (name.contains(QLatin1String("no persistence"))) {
                QVERIFY2(lost > 0, "a killed redis-server without persistence lost nothing?");
            } else {
                QVERIFY2(lost == 0, qPrintable(name + QStringLiteral(" lost ") + QString::number(lost)));
            }
        }
        QVERIFY(json.value(QStringLiteral("matches")).toBool());
    }

    void summaryWithoutJson()
    {
        const Run r = cachelab({ QStringLiteral("approx-lru"), QStringLiteral("--param"), QStringLiteral("keys=200") });
        QVERIFY2(r.status == 0 || r.status == 1, r.err.constData());
        const QString text = QString::fromUtf8(r.out);
        QVERIFY(text.contains(QStringLiteral("Reference:")));
        QVERIFY(text.contains(QStringLiteral("samples")));
        // The verdict and the exit status agree.
        QCOMPARE(text.contains(QStringLiteral("matches the reference")), r.status == 0);
    }
};

QTEST_GUILESS_MAIN(TestLabCommand)
#include "tst_labcommand.moc"
