// EventExport: keyspace events as CSV rows, keys with awkward bytes intact.
#include "csvreader.h"
#include "eventexport.h"

#include <QTest>

class TestEventExport final : public QObject
{
    Q_OBJECT

private slots:
    void oneRowPerEventInOrder()
    {
        const QDateTime t0(QDate(2026, 12, 2), QTime(17, 0, 0, 5), Qt::UTC);
        QList<KeyspaceEvent> events;
        events.append({ t0, 0, QStringLiteral("set"), QByteArrayLiteral("product:1") });
        events.append({ t0.addMSecs(1500), 0, QStringLiteral("expired"), QByteArrayLiteral("product:2") });
        events.append({ t0.addSecs(2), 3, QStringLiteral("evicted"), QByteArrayLiteral("odd,key \"with\"\nnewline") });
        events.append({ t0.addSecs(3), 0, QStringLiteral("del"), QByteArrayLiteral("tag:caf\xc3\xa9") });

        const QString csv = EventExport::toCsv(events);
        const auto rows = CsvTest::parse(csv);
        QVERIFY2(rows, qPrintable(csv));
        QCOMPARE(rows->size(), 5);
        QCOMPARE(rows->at(0),
            QStringList(
                { QStringLiteral("time"), QStringLiteral("db"), QStringLiteral("event"), QStringLiteral("key") }));
        QCOMPARE(rows->at(1),
            QStringList({ QStringLiteral("2026-12-02T17:00:00.005Z"), QStringLiteral("0"), QStringLiteral("set"),
                QStringLiteral("product:1") }));
        QCOMPARE(rows->at(2).at(0), QStringLiteral("2026-12-02T17:00:01.505Z"));
        QCOMPARE(rows->at(2).at(2), QStringLiteral("expired"));
        QCOMPARE(rows->at(3).at(1), QStringLiteral("3"));
        QCOMPARE(rows->at(3).at(3), QStringLiteral("odd,key \"with\"\nnewline"));
        QCOMPARE(rows->at(4).at(3), QStringLiteral("tag:café"));
    }

    void localTimesAreWrittenInUtc()
    {
        const QDateTime utc(QDate(2026, 6, 1), QTime(12, 0), Qt::UTC);
        const QString csv = EventExport::toCsv({ { utc.toOffsetFromUtc(7200), 0, QStringLiteral("set"), "k" } });
        QVERIFY2(csv.contains(QLatin1String("2026-06-01T12:00:00.000Z")), qPrintable(csv));
    }

    void noEventsIsJustTheHeader() { QCOMPARE(EventExport::toCsv({}), QStringLiteral("time,db,event,key\r\n")); }
};

QTEST_GUILESS_MAIN(TestEventExport)
#include "tst_eventexport.moc"
