// CsvWriter: every field comes back unchanged through an independent RFC
// 4180 reader, quoting happens only where needed, rows keep the header's width,
// and a field a spreadsheet would run as a formula gets an apostrophe first.
#include "csvreader.h"
#include "csvwriter.h"

#include <QTest>

class TestCsvWriter final : public QObject
{
    Q_OBJECT

private slots:
    void field_data()
    {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("written");
        QTest::newRow("plain") << QStringLiteral("product:1") << QStringLiteral("product:1");
        QTest::newRow("empty") << QString() << QString();
        QTest::newRow("comma") << QStringLiteral("a,b") << QStringLiteral("\"a,b\"");
        QTest::newRow("quote") << QStringLiteral("say \"hi\"") << QStringLiteral("\"say \"\"hi\"\"\"");
        QTest::newRow("only a quote") << QStringLiteral("\"") << QStringLiteral("\"\"\"\"");
        QTest::newRow("newline") << QStringLiteral("line 1\nline 2") << QStringLiteral("\"line 1\nline 2\"");
        QTest::newRow("crlf") << QStringLiteral("a\r\nb") << QStringLiteral("\"a\r\nb\"");
        QTest::newRow("lone cr") << QStringLiteral("a\rb") << QStringLiteral("\"a\rb\"");
        QTest::newRow("leading space") << QStringLiteral(" x") << QStringLiteral("\" x\"");
        QTest::newRow("trailing tab") << QStringLiteral("x\t") << QStringLiteral("\"x\t\"");
        QTest::newRow("inner space") << QStringLiteral("HGETALL product:1") << QStringLiteral("HGETALL product:1");
        QTest::newRow("unicode") << QStringLiteral("Café ☕") << QStringLiteral("Café ☕");
        QTest::newRow("semicolon") << QStringLiteral("a;b") << QStringLiteral("a;b");
        QTest::newRow("formula") << QStringLiteral("=HYPERLINK(\"http://x\")")
                                 << QStringLiteral("\"'=HYPERLINK(\"\"http://x\"\")\"");
        QTest::newRow("plus formula") << QStringLiteral("+1+cmd") << QStringLiteral("'+1+cmd");
        QTest::newRow("minus formula") << QStringLiteral("-2+3") << QStringLiteral("'-2+3");
        QTest::newRow("at") << QStringLiteral("@SUM(A1)") << QStringLiteral("'@SUM(A1)");
        QTest::newRow("leading tab formula") << QStringLiteral("\t=1") << QStringLiteral("'\t=1");
        QTest::newRow("lone minus") << QStringLiteral("-") << QStringLiteral("'-");
        QTest::newRow("negative number") << QStringLiteral("-5") << QStringLiteral("-5");
        QTest::newRow("negative decimal") << QStringLiteral("-0.25") << QStringLiteral("-0.25");
        QTest::newRow("positive number") << QStringLiteral("+12") << QStringLiteral("+12");
        QTest::newRow("equals inside") << QStringLiteral("a=b") << QStringLiteral("a=b");
    }
    void field()
    {
        QFETCH(QString, value);
        QFETCH(QString, written);
        QCOMPARE(CsvWriter::field(value), written);
    }

    void roundTripsEveryField()
    {
        const QStringList header { QStringLiteral("id"), QStringLiteral("text"), QStringLiteral("note") };
        const QList<QStringList> rows {
            { QStringLiteral("1"), QStringLiteral("SELECT id, name FROM products WHERE id = ?"), QString() },
            { QStringLiteral("2"), QStringLiteral("He said \"stop\", twice"), QStringLiteral("a\nb\r\nc") },
            { QStringLiteral("3"), QStringLiteral(",,,"), QStringLiteral("\"\"") },
            { QStringLiteral("4"), QStringLiteral("  padded  "), QStringLiteral("é ü 日本") },
        };
        CsvWriter csv(header);
        for (const QStringList &r : rows)
            csv.addRow(r);
        QCOMPARE(csv.rows(), 4);
        QVERIFY(csv.text().endsWith(QLatin1String("\r\n")));
        const auto parsed = CsvTest::parse(csv.text());
        QVERIFY2(parsed, qPrintable(csv.text()));
        QCOMPARE(parsed->size(), 5);
        QCOMPARE(parsed->at(0), header);
        for (int i = 0; i < rows.size(); ++i)
            QCOMPARE(parsed->at(i + 1), rows.at(i));
        QCOMPARE(QString::fromUtf8(csv.toUtf8()), csv.text());
    }

    void headerRowAndCrlf()
    {
        CsvWriter csv({ QStringLiteral("a"), QStringLiteral("b") });
        csv.addRow({ QStringLiteral("1"), QStringLiteral("2") });
        QCOMPARE(csv.text(), QStringLiteral("a,b\r\n1,2\r\n"));
    }

    void shortRowsArePadded()
    {
        CsvWriter csv({ QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c") });
        csv.addRow({ QStringLiteral("1") });
        QCOMPARE(csv.text(), QStringLiteral("a,b,c\r\n1,,\r\n"));
    }

    void withoutHeaderRowsKeepTheirWidth()
    {
        CsvWriter csv;
        csv.addRow({ QStringLiteral("x") });
        csv.addRow({ QStringLiteral("y"), QStringLiteral("z") });
        QCOMPARE(csv.text(), QStringLiteral("x\r\ny,z\r\n"));
        QCOMPARE(csv.rows(), 2);
    }

    void emptyTable()
    {
        QCOMPARE(CsvWriter().text(), QString());
        QCOMPARE(CsvWriter({ QStringLiteral("only") }).text(), QStringLiteral("only\r\n"));
    }
};

QTEST_GUILESS_MAIN(TestCsvWriter)
#include "tst_csvwriter.moc"
