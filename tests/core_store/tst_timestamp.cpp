// Timestamp: the hand-made ISO 8601 text of updated_at must be exactly what
// QDateTime writes and reads for that layout, since SQLite rows, cached
// hashes and the HTTP API all carry it.
#include "timestamp.h"

#include <QtTest>

class TestTimestamp final : public QObject
{
    Q_OBJECT

private slots:
    void formatsLikeQDateTime_data()
    {
        QTest::addColumn<QDateTime>("when");
        QTest::newRow("epoch") << QDateTime(QDate(1970, 1, 1), QTime(0, 0), Qt::UTC);
        QTest::newRow("leap day, last ms") << QDateTime(QDate(2024, 2, 29), QTime(23, 59, 59, 999), Qt::UTC);
        QTest::newRow("year 1") << QDateTime(QDate(1, 1, 1), QTime(1, 2, 3, 4), Qt::UTC);
        QTest::newRow("year 9999") << QDateTime(QDate(9999, 12, 31), QTime(12, 0, 0, 10), Qt::UTC);
        QTest::newRow("local offset") << QDateTime(
            QDate(2026, 11, 27), QTime(10, 20, 30, 500), Qt::OffsetFromUTC, 3600);
        QTest::newRow("now") << QDateTime::currentDateTimeUtc();
    }

    void formatsLikeQDateTime()
    {
        QFETCH(QDateTime, when);
        const QByteArray text = Timestamp::formatUtc(when);
        QCOMPARE(text, when.toUTC().toString(Qt::ISODateWithMs).toLatin1());
        QCOMPARE(Timestamp::parseUtc(text), when.toUTC());
        QCOMPARE(Timestamp::parseUtc(text).timeSpec(), Qt::UTC);
    }

    void invalidFormatsEmpty() { QVERIFY(Timestamp::formatUtc(QDateTime()).isEmpty()); }

    void parsesOtherLayoutsToUtc()
    {
        // Written from outside (the sqlite3 shell): an offset and no milliseconds.
        const QDateTime t = Timestamp::parseUtc("2024-03-01T10:20:30+01:00");
        QCOMPARE(t, QDateTime(QDate(2024, 3, 1), QTime(9, 20, 30), Qt::UTC));
        QCOMPARE(t.timeSpec(), Qt::UTC);
    }

    void rejectsNonsense_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("words") << QByteArray("yesterday");
        QTest::newRow("month 13") << QByteArray("2024-13-01T00:00:00.000Z");
        QTest::newRow("day 30 of February") << QByteArray("2024-02-30T00:00:00.000Z");
        QTest::newRow("letter in a field") << QByteArray("2024-0a-01T00:00:00.000Z");
    }

    void rejectsNonsense()
    {
        QFETCH(QByteArray, text);
        QVERIFY(!Timestamp::parseUtc(text).isValid());
    }
};

QTEST_GUILESS_MAIN(TestTimestamp)
#include "tst_timestamp.moc"
