// TraceExport: the text, JSON and CSV files of a list of traces, read back.
#include "csvreader.h"
#include "traceexport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

namespace {

OperationTrace getTrace()
{
    OperationTrace t;
    t.id = 11;
    t.operation = QStringLiteral("get");
    t.strategy = StrategyKind::CacheAside;
    t.started = QDateTime(QDate(2026, 12, 2), QTime(17, 5, 1, 250), Qt::UTC);
    t.productId = 7;
    t.outcome = TraceOutcome::Miss;
    t.totalMicros = 1830;
    t.steps = {
        { TraceSystem::Redis, QStringLiteral("HGETALL product:7"), TraceOutcome::Miss, 210, QStringLiteral("(empty)") },
        { TraceSystem::Sql, QStringLiteral("SELECT id, name, price FROM products WHERE id = ?"), TraceOutcome::Ok, 1200,
            QStringLiteral("1 row") },
        // A step whose text has every character CSV must quote.
        { TraceSystem::Redis, QStringLiteral("HSET product:7 name \"Desk, oak\"\nprice 1999"), TraceOutcome::Fill, 420,
            {} },
    };
    return t;
}

OperationTrace failedTrace()
{
    OperationTrace t;
    t.id = 12;
    t.operation = QStringLiteral("update");
    t.strategy = StrategyKind::WriteBehind;
    t.started = QDateTime(QDate(2026, 12, 2), QTime(17, 5, 2), Qt::UTC);
    t.outcome = TraceOutcome::Unavailable;
    t.error = QStringLiteral("Redis is down, \"write-behind\" refuses");
    return t; // no steps
}

} // namespace

class TestTraceExport final : public QObject
{
    Q_OBJECT

private slots:
    void formatForPath()
    {
        QCOMPARE(TraceExport::formatForPath(QStringLiteral("/tmp/a.txt")), TraceExport::Format::Text);
        QCOMPARE(TraceExport::formatForPath(QStringLiteral("a.JSON")), TraceExport::Format::Json);
        QCOMPARE(TraceExport::formatForPath(QStringLiteral("dir.v2/a.csv")), TraceExport::Format::Csv);
        QVERIFY(!TraceExport::formatForPath(QStringLiteral("a.png")));
        QVERIFY(!TraceExport::formatForPath(QStringLiteral("noext")));
    }

    void textIsTheClipboardTextPerTrace()
    {
        const QList<OperationTrace> traces { getTrace(), failedTrace() };
        const QString text = TraceExport::toText(traces);
        QCOMPARE(text, getTrace().toText() + QStringLiteral("\n\n") + failedTrace().toText() + QStringLiteral("\n"));
        QVERIFY(text.startsWith(QLatin1String("#11 get [cache-aside] miss 1830 us")));
        QVERIFY(
            text.contains(QLatin1String("sql   SELECT id, name, price FROM products WHERE id = ? -> ok (1200 us)")));
        QVERIFY(text.contains(QLatin1String("#12 update [write-behind] unavailable 0 us - Redis is down")));
        QCOMPARE(TraceExport::toText({}), QString());
        QCOMPARE(TraceExport::render(traces, TraceExport::Format::Text), text.toUtf8());
    }

    void jsonShape()
    {
        const QList<OperationTrace> traces { getTrace(), failedTrace() };
        const QByteArray bytes = TraceExport::render(traces, TraceExport::Format::Json);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        const QJsonObject root = doc.object();
        QCOMPARE(root.value(QLatin1String("format")).toString(), QStringLiteral("cachelab-traces"));
        QCOMPARE(root.value(QLatin1String("version")).toInt(), 1);
        QCOMPARE(root.value(QLatin1String("count")).toInt(), 2);
        const QJsonArray list = root.value(QLatin1String("traces")).toArray();
        QCOMPARE(list.size(), 2);
        // Each entry is the trace's own JSON (the HTTP API's shape), in order.
        QCOMPARE(list.at(0).toObject(), getTrace().toJson());
        QCOMPARE(list.at(1).toObject(), failedTrace().toJson());
        const QJsonObject first = list.at(0).toObject();
        QCOMPARE(first.value(QLatin1String("id")).toInt(), 11);
        QCOMPARE(first.value(QLatin1String("operation")).toString(), QStringLiteral("get"));
        QCOMPARE(first.value(QLatin1String("strategy")).toString(), QStringLiteral("cache-aside"));
        QCOMPARE(first.value(QLatin1String("productId")).toInt(), 7);
        const QJsonArray steps = first.value(QLatin1String("steps")).toArray();
        QCOMPARE(steps.size(), 3);
        QCOMPARE(steps.at(2).toObject().value(QLatin1String("text")).toString(), getTrace().steps.at(2).text);
        QCOMPARE(steps.at(2).toObject().value(QLatin1String("outcome")).toString(), QStringLiteral("fill"));

        const QJsonObject empty = QJsonDocument::fromJson(TraceExport::toJson({})).object();
        QCOMPARE(empty.value(QLatin1String("count")).toInt(), 0);
        QVERIFY(empty.value(QLatin1String("traces")).isArray());
    }

    void csvHasOneRowPerStep()
    {
        const QString csv = TraceExport::toCsv({ getTrace(), failedTrace() });
        const auto rows = CsvTest::parse(csv);
        QVERIFY2(rows, qPrintable(csv));
        QCOMPARE(rows->size(), 1 + 3 + 1); // header, three steps, one step-less trace
        const QStringList header = rows->at(0);
        QCOMPARE(header, TraceExport::csvColumns());
        QCOMPARE(header,
            QStringList({ QStringLiteral("trace_id"), QStringLiteral("started"), QStringLiteral("operation"),
                QStringLiteral("strategy"), QStringLiteral("product_id"), QStringLiteral("trace_outcome"),
                QStringLiteral("total_us"), QStringLiteral("error"), QStringLiteral("step"), QStringLiteral("system"),
                QStringLiteral("text"), QStringLiteral("outcome"), QStringLiteral("step_us"),
                QStringLiteral("detail") }));
        for (const QStringList &r : *rows)
            QCOMPARE(r.size(), header.size());
        const auto col = [&header](const char *name) { return int(header.indexOf(QLatin1String(name))); };

        const QStringList miss = rows->at(1);
        QCOMPARE(miss.at(col("trace_id")), QStringLiteral("11"));
        QCOMPARE(miss.at(col("started")), QStringLiteral("2026-12-02T17:05:01.250Z"));
        QCOMPARE(miss.at(col("operation")), QStringLiteral("get"));
        QCOMPARE(miss.at(col("strategy")), QStringLiteral("cache-aside"));
        QCOMPARE(miss.at(col("product_id")), QStringLiteral("7"));
        QCOMPARE(miss.at(col("trace_outcome")), QStringLiteral("miss"));
        QCOMPARE(miss.at(col("total_us")), QStringLiteral("1830"));
        QCOMPARE(miss.at(col("step")), QStringLiteral("1"));
        QCOMPARE(miss.at(col("system")), QStringLiteral("redis"));
        QCOMPARE(miss.at(col("text")), QStringLiteral("HGETALL product:7"));
        QCOMPARE(miss.at(col("outcome")), QStringLiteral("miss"));
        QCOMPARE(miss.at(col("step_us")), QStringLiteral("210"));
        QCOMPARE(miss.at(col("detail")), QStringLiteral("(empty)"));

        QCOMPARE(rows->at(2).at(col("system")), QStringLiteral("sql"));
        QCOMPARE(rows->at(2).at(col("text")), getTrace().steps.at(1).text); // commas inside, quoted
        QCOMPARE(rows->at(3).at(col("step")), QStringLiteral("3"));
        QCOMPARE(rows->at(3).at(col("text")), getTrace().steps.at(2).text); // quotes and a newline
        QCOMPARE(rows->at(3).at(col("outcome")), QStringLiteral("fill"));

        const QStringList failed = rows->at(4);
        QCOMPARE(failed.at(col("trace_id")), QStringLiteral("12"));
        QCOMPARE(failed.at(col("product_id")), QString());
        QCOMPARE(failed.at(col("trace_outcome")), QStringLiteral("unavailable"));
        QCOMPARE(failed.at(col("error")), failedTrace().error);
        QCOMPARE(failed.at(col("step")), QString());
        QCOMPARE(failed.at(col("text")), QString());

        QCOMPARE(
            TraceExport::render({ getTrace() }, TraceExport::Format::Csv), TraceExport::toCsv({ getTrace() }).toUtf8());
    }
};

QTEST_GUILESS_MAIN(TestTraceExport)
#include "tst_traceexport.moc"
