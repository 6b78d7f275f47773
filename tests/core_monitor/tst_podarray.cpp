// Tests for PodArray, the key model's growable arrays: contents survive
// growth across the 1 MiB line where a block moves into its own mapping and
// further growth there; zeroed() arrays read as zeros and can be written;
// erase, truncate, release and moves keep size and contents consistent.
#include "podarray.h"

#include <QtTest>

class TestPodArray final : public QObject
{
    Q_OBJECT

private slots:
    void growthKeepsContents()
    {
        PodArray<quint32> a;
        // 4 MiB of values: grows from 16 elements through the heap, across
        // MappedBytes, and several times as a mapping.
        const quint32 n = quint32(4 * PodArray<quint32>::MappedBytes / sizeof(quint32));
        for (quint32 i = 0; i < n; ++i)
            a.push_back(i * 2654435761u);
        QCOMPARE(a.size(), size_t(n));
        QVERIFY(a.capacity() >= a.size());
        for (quint32 i = 0; i < n; i += 997)
            QCOMPARE(a[i], i * 2654435761u);
        QCOMPARE(a.back(), (n - 1) * 2654435761u);
    }

    void appendAcrossTheMappingLine()
    {
        PodArray<char> a;
        QByteArray chunk(100000, 'x');
        for (int i = 0; i < 30; ++i) { // 3 MB
            chunk[0] = char('a' + i % 26);
            a.append(chunk.constData(), size_t(chunk.size()));
        }
        QCOMPARE(a.size(), size_t(3000000));
        for (int i = 0; i < 30; ++i) {
            QCOMPARE(a[size_t(i) * 100000], char('a' + i % 26));
            QCOMPARE(a[size_t(i) * 100000 + 99999], 'x');
        }
    }

    void zeroedReadsZeroAndWrites()
    {
        for (size_t n : { size_t(100), size_t(2) << 20 }) { // under and over MappedBytes
            PodArray<quint32> z = PodArray<quint32>::zeroed(n);
            QCOMPARE(z.size(), n);
            for (size_t i = 0; i < n; i += 4093)
                QCOMPARE(z[i], 0u);
            z[n - 1] = 7;
            z.push_back(9); // grows a zeroed block too
            QCOMPARE(z[n - 1], 7u);
            QCOMPARE(z[n], 9u);
            QCOMPARE(z[0], 0u);
        }
    }

    void eraseTruncateReleaseAndMove()
    {
        PodArray<int> a;
        for (int i = 0; i < 10; ++i)
            a.push_back(i);
        a.erase(2, 5); // 0 1 5 6 7 8 9
        QCOMPARE(a.size(), size_t(7));
        QCOMPARE(a[2], 5);
        QCOMPARE(a.back(), 9);
        a.erase(5, 7); // 0 1 5 6 7
        QCOMPARE(a.size(), size_t(5));
        QCOMPARE(a.back(), 7);
        a.truncate(9); // never grows
        QCOMPARE(a.size(), size_t(5));
        a.truncate(3);
        QCOMPARE(a.back(), 5);
        a.pop_back();
        QCOMPARE(a.size(), size_t(2));

        PodArray<int> b = std::move(a);
        QVERIFY(a.empty());
        QCOMPARE(b.size(), size_t(2));
        QCOMPARE(b[1], 1);
        PodArray<int> c;
        c.push_back(42);
        c = std::move(b);
        QCOMPARE(c.size(), size_t(2));
        QCOMPARE(c[0], 0);
        c.release();
        QVERIFY(c.empty());
        QCOMPARE(c.capacity(), size_t(0));
        c.push_back(3); // usable after release
        QCOMPARE(c[0], 3);
    }
};

QTEST_GUILESS_MAIN(TestPodArray)
#include "tst_podarray.moc"
