// The simulators the labs hold Redis against: hand-worked traces, Belady's
// optimum as a floor for every policy, Che's formula for exact LRU.
#include "cachesim.h"

#include <QtTest>

#include <algorithm>

using namespace CacheSim;

class TestCacheSim : public QObject
{
    Q_OBJECT

private slots:
    void lruOnAHandWorkedTrace()
    {
        // capacity 2: 0 m, 1 m, 0 h, 2 m (evicts 1), 1 m (evicts 0), 2 h
        Lru lru(3, 2);
        const std::vector<int> trace { 0, 1, 0, 2, 1, 2 };
        std::vector<bool> hits;
        for (int k : trace)
            hits.push_back(lru.access(k));
        QCOMPARE(hits, (std::vector<bool> { false, false, true, false, false, true }));
        QVERIFY(lru.contains(1));
        QVERIFY(lru.contains(2));
        QVERIFY(!lru.contains(0));
        QCOMPARE(lru.size(), 2);
    }

    void lfuKeepsTheFrequentKey()
    {
        // capacity 2: 0m 0h 0h 1m 2m (evicts 1, count 1 against 0's 3)
        // 1m (evicts 2) 2m (evicts 1) 0h: the frequent key is never displaced.
        Lfu lfu(3, 2);
        const std::vector<int> trace { 0, 0, 0, 1, 2, 1, 2, 0 };
        lfu.feed(trace, 0, trace.size());
        QCOMPARE(lfu.count().hits, 3);
        QCOMPARE(lfu.count().counted, 8);
    }

    void optOnAHandWorkedTrace()
    {
        // capacity 2: 0m 1m 2m (evicts 1: next asked at 4, 0 at 3) 0h
        // 1m (evicts 0: never asked again) 2h
        const std::vector<int> trace { 0, 1, 2, 0, 1, 2 };
        const auto next = Opt::nextUses(trace, 3);
        Opt opt(trace, next, 3, 2);
        opt.feed(0, trace.size());
        QCOMPARE(opt.count().hits, 2);
        // LRU on the same trace gets none.
        Lru lru(3, 2);
        lru.feed(trace, 0, trace.size());
        QCOMPARE(lru.count().hits, 0);
    }

    void optIsAFloorForEveryPolicy_data()
    {
        QTest::addColumn<double>("alpha");
        QTest::addColumn<int>("capacity");
        QTest::addColumn<quint64>("seed");
        for (quint64 seed : { 1ull, 7ull, 99ull })
            for (int capacity : { 1, 5, 50, 200 }) {
                QTest::addRow("a0.6 c%d s%llu", capacity, seed) << 0.6 << capacity << seed;
                QTest::addRow("a1.1 c%d s%llu", capacity, seed) << 1.1 << capacity << seed;
            }
    }
    void optIsAFloorForEveryPolicy()
    {
        QFETCH(double, alpha);
        QFETCH(int, capacity);
        QFETCH(quint64, seed);
        const int keys = 500;
        const auto trace = zipfTrace(Zipf(keys, alpha), 20000, seed);
        const auto next = Opt::nextUses(trace, keys);
        Opt opt(trace, next, keys, capacity);
        Lru lru(keys, capacity);
        Lfu lfu(keys, capacity);
        RandomEviction random(keys, capacity, seed);
        opt.feed(0, trace.size());
        lru.feed(trace, 0, trace.size());
        lfu.feed(trace, 0, trace.size());
        for (int k : trace)
            random.access(k);
        QVERIFY2(opt.count().hits >= lru.count().hits, qPrintable(QString::number(opt.count().hits)));
        QVERIFY(opt.count().hits >= lfu.count().hits);
        QVERIFY(opt.count().hits >= random.count().hits);
        QVERIFY(lru.count().hits > 0);
    }

    void exactLruFollowsChe_data()
    {
        QTest::addColumn<double>("alpha");
        QTest::addColumn<int>("capacity");
        for (double alpha : { 0.6, 0.8, 1.0 })
            for (int capacity : { 10, 100, 500 })
                QTest::addRow("a%.1f c%d", alpha, capacity) << alpha << capacity;
    }
    void exactLruFollowsChe()
    {
        QFETCH(double, alpha);
        QFETCH(int, capacity);
        const int keys = 1000;
        const Zipf zipf(keys, alpha);
        const auto trace = zipfTrace(zipf, 200000, 42);
        Lru lru(keys, capacity, 40000);
        lru.feed(trace, 0, trace.size());
        const double che = cheHitRatio(zipf.probabilities(), capacity);
        QVERIFY2(std::abs(lru.count().ratio() - che) <= 0.02,
            qPrintable(QStringLiteral("LRU %1, Che %2").arg(lru.count().ratio()).arg(che)));
        QCOMPARE(lru.count().counted, 160000);
    }

    void cheAtTheEdges()
    {
        const Zipf zipf(100, 0.8);
        QCOMPARE(cheHitRatio(zipf.probabilities(), 0), 0.0);
        QCOMPARE(cheHitRatio(zipf.probabilities(), 100), 1.0);
        // Uniform popularity: Che's hit ratio is about the cached share.
        const Zipf flat(1000, 0.0);
        QVERIFY(std::abs(cheHitRatio(flat.probabilities(), 250) - 0.25) < 1e-6);
    }

    void zipfTraceIsSeededAndSkewed()
    {
        const Zipf zipf(100, 1.0);
        const auto a = zipfTrace(zipf, 50000, 5);
        QCOMPARE(zipfTrace(zipf, 50000, 5), a);
        QVERIFY(zipfTrace(zipf, 50000, 6) != a);
        // Key 0's share is close to its probability (1/H_100 = 0.1928).
        const double share = double(std::count(a.begin(), a.end(), 0)) / double(a.size());
        QVERIFY2(std::abs(share - zipf.probabilities()[0]) < 0.01, qPrintable(QString::number(share)));
        QVERIFY(*std::max_element(a.begin(), a.end()) <= 99);
        QVERIFY(*std::min_element(a.begin(), a.end()) >= 0);
    }

    void randomEvictionStaysConsistent()
    {
        // Every eviction case, including the victim in the last slot.
        RandomEviction random(50, 7, 3);
        std::uint64_t state = 11;
        std::vector<int> inside;
        for (int i = 0; i < 5000; ++i) {
            const int key = int(nextRandom(state) % 50);
            const bool before = random.contains(key);
            QCOMPARE(random.access(key), before);
            QVERIFY(random.contains(key));
            int count = 0;
            for (int k = 0; k < 50; ++k)
                count += random.contains(k);
            QVERIFY(count <= 7);
            if (i > 100)
                QCOMPARE(count, 7);
        }
    }

    void warmupIsNotCounted()
    {
        Lru lru(10, 5, 3);
        const std::vector<int> trace { 1, 1, 1, 1, 2 };
        lru.feed(trace, 0, trace.size());
        QCOMPARE(lru.count().counted, 2);
        QCOMPARE(lru.count().hits, 1);
    }
};

QTEST_APPLESS_MAIN(TestCacheSim)
#include "tst_cachesim.moc"
