// Tests for ExistenceFilter (the Bloom filter against cache penetration)
// against a real redis-server and SQLite files. This server has no
// RedisBloom module, so the bitmap fallback is what runs; the module test
// skips unless MODULE LIST shows "bf".
#include "cachefixture.h"
#include "cachekeys.h"
#include "existencefilter.h"
#include "writebehindqueue.h"

#include <cmath>
#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QScopeGuard>

using namespace CacheTest;

namespace {

/// Service + filter, torn down filter first (it holds the service).
struct FilterEnv
{
    std::unique_ptr<Env> env;
    std::unique_ptr<ExistenceFilter> filter;
    ~FilterEnv() { filter.reset(); }
};

/// ids 1..count written in one transaction (fast; not reported as outside changes).
bool seedFast(ProductRepository &repo, int count)
{
    QList<Product> rows;
    rows.reserve(count);
    for (int i = 1; i <= count; ++i) {
        Product p;
        p.id = i;
        p.name = QStringLiteral("Item %1").arg(i);
        p.price = 100 + i;
        p.version = 1;
        rows << p;
    }
    const auto r = awaitStore([&](QObject *ctx, StoreCallback cb) { repo.applyVersioned(rows, {}, ctx, cb); });
    return r && r->ok();
}

/// Asks the filter about many ids at once (pipelined); answers in order.
QList<ExistenceFilter::Answer> askMany(ExistenceFilter &filter, const QList<qint64> &ids)
{
    QList<ExistenceFilter::Answer> answers(ids.size(), ExistenceFilter::Answer::Unsure);
    int pending = int(ids.size());
    QObject ctx;
    for (qsizetype i = 0; i < ids.size(); ++i)
        filter.mayContain(ids.at(i), &ctx, [&answers, &pending, i](ExistenceFilter::Answer a) {
            answers[i] = a;
            --pending;
        });
    (void)QTest::qWaitFor([&pending] { return pending == 0; }, 30000);
    return pending == 0 ? answers : QList<ExistenceFilter::Answer>();
}

ExistenceFilter::Answer ask(ExistenceFilter &filter, qint64 id)
{
    const auto answers = askMany(filter, { id });
    return answers.isEmpty() ? ExistenceFilter::Answer::Unsure : answers.first();
}

bool hasNote(const OperationTrace &trace, const QString &fragment)
{
    for (const TraceStep &s : trace.steps) {
        if (s.text.contains(fragment))
            return true;
    }
    return false;
}

} // namespace

class TestExistenceFilter final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void sizingFollowsTheFormulas();
    void everyExistingIdMayExist();
    void neverCreatedIdSkipsSqlite();
    void createdAfterBuildIsFound();
    void queuedCreateDuringBuildIsKept();
    void missingFilterIsUnsureAndRebuilt();
    void redisErrorMeansMayExist();
    void falsePositiveRateNearTarget();
    void rebuildKeepsIdsAnotherInstanceAdded();
    void addAdoptsAnotherInstancesSizes();
    void instancesOnOneDatabaseShareTheFilter();
    void refusedSwapCleansUpAndStopsRetrying();
    void moduleModeWhenAvailable();
    void redisDownGetsStillWork(); // last: stops the server

private:
    /// A service over `rows` seeded products, with a built filter.
    std::unique_ptr<FilterEnv> make(int rows, const ExistenceFilter::Settings &settings = {});
    /// A second instance (own service, connection and repository) on first's SQLite file.
    std::unique_ptr<FilterEnv> second(
        FilterEnv &first, const ExistenceFilter::Settings &settings = {}, const CacheSettings &cache = {});
    std::unique_ptr<FilterEnv> attach(std::unique_ptr<Env> env, const ExistenceFilter::Settings &settings);
    std::optional<ServiceResult> get(FilterEnv &f, qint64 id)
    {
        return await([&](QObject *ctx, ServiceCallback cb) { f.env->service->get(id, ctx, cb); });
    }

    TestRedisServer m_server;
    QString m_error;
};

void TestExistenceFilter::initTestCase()
{
    QVERIFY2(m_server.start(&m_error), qPrintable(m_error));
}

void TestExistenceFilter::init()
{
    if (m_server.isRunning())
        m_server.syncString({ "FLUSHALL" });
}

std::unique_ptr<FilterEnv> TestExistenceFilter::make(int rows, const ExistenceFilter::Settings &settings)
{
    auto f = std::make_unique<FilterEnv>();
    f->env = makeEnv(m_server, &m_error);
    if (!f->env)
        return nullptr;
    if (rows > 0 && !seedFast(*f->env->repo, rows)) {
        m_error = QStringLiteral("seeding failed");
        return nullptr;
    }
    return attach(std::move(f->env), settings);
}

std::unique_ptr<FilterEnv> TestExistenceFilter::second(
    FilterEnv &first, const ExistenceFilter::Settings &settings, const CacheSettings &cache)
{
    auto env = makeEnv(m_server, &m_error, first.env->repo->path(), cache);
    return env ? attach(std::move(env), settings) : nullptr;
}

std::unique_ptr<FilterEnv> TestExistenceFilter::attach(
    std::unique_ptr<Env> env, const ExistenceFilter::Settings &settings)
{
    auto f = std::make_unique<FilterEnv>();
    f->env = std::move(env);
    f->filter = std::make_unique<ExistenceFilter>(f->env->service.get());
    f->filter->setSettings(settings);
    f->filter->install();
    if (!QTest::qWaitFor([&] { return f->filter->isReady(); }, WaitMs)) {
        m_error = QStringLiteral("the filter was not built: %1").arg(f->filter->stats().lastError);
        return nullptr;
    }
    return f;
}

void TestExistenceFilter::sizingFollowsTheFormulas()
{
    // m = -n ln p / ln²2 and k = m/n ln 2: 10,000 ids at 1 % need 95,851 bits and 7 hashes.
    QCOMPARE(ExistenceFilter::optimalBits(10000, 0.01), qint64(95851));
    QCOMPARE(ExistenceFilter::optimalHashes(95851, 10000), 7);
    const double p = ExistenceFilter::estimatedRate(95851, 7, 10000);
    QVERIFY2(std::abs(p - 0.01) < 0.0005, qPrintable(QString::number(p)));
    QCOMPARE(ExistenceFilter::estimatedRate(95851, 7, 0), 0.0);
    // Positions stay inside the bitmap and differ per id.
    const auto a = ExistenceFilter::positions(42, 1000, 7);
    const auto b = ExistenceFilter::positions(43, 1000, 7);
    QCOMPARE(a.size(), 7);
    for (quint64 pos : a)
        QVERIFY(pos < 1000);
    QVERIFY(a != b);
    QCOMPARE(ExistenceFilter::positions(42, 1000, 7), a); // deterministic: every instance agrees
    // Out-of-range settings are clamped.
    ExistenceFilter::Settings s;
    s.falsePositiveRate = 0;
    s.expectedItems = -5;
    QCOMPARE(s.clamped().falsePositiveRate, 0.0001);
    QCOMPARE(s.clamped().expectedItems, qint64(0));
}

void TestExistenceFilter::everyExistingIdMayExist()
{
    auto f = make(5000);
    QVERIFY2(f, qPrintable(m_error));
    QCOMPARE(f->filter->mode(), ExistenceFilter::Mode::Bitmap);
    const auto stats = f->filter->stats();
    QCOMPARE(stats.capacity, qint64(10000)); // max(10000, 2 × 5000)
    QCOMPARE(stats.bits, ExistenceFilter::optimalBits(10000, 0.01));
    QCOMPARE(stats.hashes, 7);
    QVERIFY2(stats.items > 4990 && stats.items <= 5000, qPrintable(QString::number(stats.items)));

    // What Redis holds: a bitmap of m bits and the sizes beside it.
    const QByteArray bloomKey = f->filter->key();
    QCOMPARE(m_server.syncString({ "TYPE", bloomKey }), QByteArray("string"));
    QCOMPARE(m_server.syncInteger({ "STRLEN", bloomKey }), (stats.bits + 7) / 8);
    const auto meta = hash(m_server, bloomKey + ":meta");
    QCOMPARE(meta.value("mode"), QByteArray("bitmap"));
    QCOMPARE(meta.value("m").toLongLong(), stats.bits);
    QCOMPARE(meta.value("k").toInt(), stats.hashes);
    QCOMPARE(meta.value("n").toLongLong(), stats.items);
    // No temporary build keys are left behind, and the filter has no TTL.
    QCOMPARE(m_server.syncList({ "KEYS", "*build*" }).size(), 0);
    QCOMPARE(m_server.syncInteger({ "TTL", bloomKey }), qint64(-1));

    // The build reads ids only (no rows): every id, ascending.
    QList<qint64> ids;
    for (qint64 id = 1; id <= 5000; ++id)
        ids << id;
    const auto listed = awaitStore([&](QObject *ctx, StoreCallback cb) { f->env->repo->listIds(ctx, cb); });
    QVERIFY(listed && listed->ok());
    QCOMPARE(listed->ids, ids);
    QVERIFY(listed->products.isEmpty());

    // No false negatives.
    const auto answers = askMany(*f->filter, ids);
    QCOMPARE(answers.size(), ids.size());
    for (qsizetype i = 0; i < answers.size(); ++i)
        QVERIFY2(answers.at(i) == ExistenceFilter::Answer::Maybe, qPrintable(QStringLiteral("id %1").arg(ids.at(i))));
}

void TestExistenceFilter::neverCreatedIdSkipsSqlite()
{
    auto f = make(200);
    QVERIFY2(f, qPrintable(m_error));
    f->env->service->setStrategy(StrategyKind::CacheAside);
    QCOMPARE(ask(*f->filter, 99999), ExistenceFilter::Answer::No);

    const auto r = get(*f, 99999);
    EXPECT_STATUS(r, ServiceStatus::NotFound);
    QCOMPARE(r->trace.count(TraceSystem::Sql), 0);
    QVERIFY2(hasNote(r->trace, QStringLiteral("id 99999 certainly never created")), qPrintable(r->trace.toText()));
    QCOMPARE(f->filter->stats().shortCircuited, quint64(1));
    QCOMPARE(f->filter->stats().checks, quint64(1));

    // The same get with the filter off does ask SQLite: the saving is the filter's.
    ExistenceFilter::Settings off = f->filter->settings();
    off.enabled = false;
    f->filter->setSettings(off);
    m_server.syncString({ "FLUSHALL" }); // no negative-cache entry from the first get
    QCOMPARE(f->filter->state(), ExistenceFilter::State::Disabled);
    const auto plain = get(*f, 99999);
    EXPECT_STATUS(plain, ServiceStatus::NotFound);
    QVERIFY2(plain->trace.count(TraceSystem::Sql) > 0, qPrintable(plain->trace.toText()));

    // An existing id still loads through the filter.
    off.enabled = true;
    f->filter->setSettings(off);
    const auto found = get(*f, 17);
    EXPECT_OK(found);
    QCOMPARE(found->product->id, qint64(17));
}

void TestExistenceFilter::createdAfterBuildIsFound()
{
    auto f = make(100);
    QVERIFY2(f, qPrintable(m_error));
    ProductService &svc = *f->env->service;
    const qint64 builds = qint64(f->filter->stats().builds);

    // Cache-aside: created in SQLite after the build, then read on a miss.
    svc.setStrategy(StrategyKind::CacheAside);
    QList<qint64> created;
    for (int i = 0; i < 10; ++i) {
        const auto r = await(
            [&](QObject *ctx, ServiceCallback cb) { svc.create(QStringLiteral("New %1").arg(i), 500, ctx, cb); });
        EXPECT_OK(r);
        created << r->product->id;
    }
    for (qint64 id : std::as_const(created)) {
        QCOMPARE(ask(*f->filter, id), ExistenceFilter::Answer::Maybe);
        m_server.syncInteger({ "DEL", "product:" + QByteArray::number(id) });
        const auto r = get(*f, id);
        EXPECT_OK(r);
        QVERIFY2(hasNote(r->trace, QStringLiteral("may exist")), qPrintable(r->trace.toText()));
    }

    // Write-behind: the id is in the filter while SQLite does not have it yet.
    svc.setStrategy(StrategyKind::WriteBehind);
    svc.writeBehindQueue()->setPaused(true);
    QList<qint64> queued;
    for (int i = 0; i < 10; ++i) {
        const auto r = await(
            [&](QObject *ctx, ServiceCallback cb) { svc.create(QStringLiteral("Queued %1").arg(i), 700, ctx, cb); });
        EXPECT_OK(r);
        queued << r->product->id;
    }
    for (qint64 id : std::as_const(queued)) {
        QVERIFY(!dbRow(*f->env->repo, id).has_value());
        QCOMPARE(ask(*f->filter, id), ExistenceFilter::Answer::Maybe);
    }
    // No rebuild did that: the ids were added as they were created.
    QCOMPARE(qint64(f->filter->stats().builds), builds);

    // Once flushed, a miss under cache-aside finds the row.
    svc.writeBehindQueue()->setPaused(false);
    EXPECT_OK(await([&](QObject *ctx, ServiceCallback cb) { svc.flushWriteBehind(ctx, cb); }));
    QTRY_VERIFY_WITH_TIMEOUT(dbRow(*f->env->repo, queued.last()).has_value(), WaitMs);
    svc.setStrategy(StrategyKind::CacheAside);
    m_server.syncInteger({ "DEL", "product:" + QByteArray::number(queued.first()) });
    const auto r = get(*f, queued.first());
    EXPECT_OK(r);
    QVERIFY2(hasNote(r->trace, QStringLiteral("may exist")), qPrintable(r->trace.toText()));
}

void TestExistenceFilter::queuedCreateDuringBuildIsKept()
{
    auto f = make(50);
    QVERIFY2(f, qPrintable(m_error));
    ProductService &svc = *f->env->service;
    constexpr qint64 Outside = 777777; // an id SQLite does not have (yet)
    QCOMPARE(ask(*f->filter, Outside), ExistenceFilter::Answer::No);

    // A slow database keeps the build's SQLite read in flight; an id that
    // appears meanwhile (as a queued write-behind create does: Redis only)
    // must still be in the filter that replaces the old one.
    svc.setArtificialDbLatency(300);
    QSignalSpy built(f->filter.get(), &ExistenceFilter::buildFinished);
    f->filter->rebuild();
    QCOMPARE(f->filter->state(), ExistenceFilter::State::Building);
    f->filter->add(Outside);
    QVERIFY(built.wait(WaitMs));
    QCOMPARE(built.last().at(0).toBool(), true);
    QCOMPARE(ask(*f->filter, Outside), ExistenceFilter::Answer::Maybe);

    // The same through the service: a create under write-behind during a rebuild.
    svc.setStrategy(StrategyKind::WriteBehind);
    svc.writeBehindQueue()->setPaused(true);
    built.clear();
    f->filter->rebuild();
    const auto r = await([&](QObject *ctx, ServiceCallback cb) { svc.create(QStringLiteral("During"), 5, ctx, cb); });
    EXPECT_OK(r);
    QVERIFY(built.count() > 0 || built.wait(WaitMs));
    QCOMPARE(built.last().at(0).toBool(), true);
    svc.setArtificialDbLatency(0);
    QVERIFY(!dbRow(*f->env->repo, r->product->id).has_value());
    QCOMPARE(ask(*f->filter, r->product->id), ExistenceFilter::Answer::Maybe);
}

void TestExistenceFilter::missingFilterIsUnsureAndRebuilt()
{
    auto f = make(300);
    QVERIFY2(f, qPrintable(m_error));
    f->env->service->setStrategy(StrategyKind::CacheAside);
    QCOMPARE(ask(*f->filter, 99998), ExistenceFilter::Answer::No);
    QCOMPARE(ask(*f->filter, 99999), ExistenceFilter::Answer::No);

    // Evicted / deleted: the filter must not answer "never created" from an empty key.
    const QByteArray bloomKey = f->filter->key();
    m_server.syncInteger({ "DEL", bloomKey });
    QSignalSpy built(f->filter.get(), &ExistenceFilter::buildFinished);
    const auto r = get(*f, 99999);
    EXPECT_STATUS(r, ServiceStatus::NotFound);
    QVERIFY2(r->trace.count(TraceSystem::Sql) > 0, qPrintable(r->trace.toText()));
    QVERIFY2(hasNote(r->trace, QStringLiteral("no usable filter")), qPrintable(r->trace.toText()));
    QVERIFY(f->filter->stats().unsure >= 1);

    // ... and it is rebuilt, after which it short-circuits again.
    QVERIFY(built.count() > 0 || built.wait(WaitMs));
    QCOMPARE(built.last().at(0).toBool(), true);
    QCOMPARE(m_server.syncInteger({ "EXISTS", bloomKey }), qint64(1));
    const auto again = get(*f, 99998);
    EXPECT_STATUS(again, ServiceStatus::NotFound);
    QCOMPARE(again->trace.count(TraceSystem::Sql), 0);

    // FLUSHALL (filter and sizes gone) is the same story.
    m_server.syncString({ "FLUSHALL" });
    QCOMPARE(ask(*f->filter, 99997), ExistenceFilter::Answer::Unsure);
    QTRY_COMPARE_WITH_TIMEOUT(m_server.syncInteger({ "EXISTS", bloomKey }), qint64(1), WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(f->filter->isReady(), WaitMs);
    QCOMPARE(ask(*f->filter, 99997), ExistenceFilter::Answer::No);
    QCOMPARE(ask(*f->filter, 1), ExistenceFilter::Answer::Maybe);
}

void TestExistenceFilter::redisErrorMeansMayExist()
{
    auto f = make(100);
    QVERIFY2(f, qPrintable(m_error));
    f->env->service->setStrategy(StrategyKind::CacheAside);
    const QByteArray bloomKey = f->filter->key();
    // The filter key holds the wrong type: every GETBIT fails inside the script.
    m_server.syncInteger({ "DEL", bloomKey });
    m_server.syncInteger({ "HSET", bloomKey, "not", "a bitmap" });
    const auto r = get(*f, 42);
    EXPECT_OK(r);
    QCOMPARE(r->product->id, qint64(42));
    QVERIFY2(hasNote(r->trace, QStringLiteral("Redis error")), qPrintable(r->trace.toText()));
    // The broken key is replaced by a rebuild.
    QTRY_COMPARE_WITH_TIMEOUT(m_server.syncString({ "TYPE", bloomKey }), QByteArray("string"), WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(ask(*f->filter, 99999), ExistenceFilter::Answer::No, WaitMs);
}

void TestExistenceFilter::falsePositiveRateNearTarget()
{
    // Sized for exactly the ids it holds, so the rate is the configured one.
    ExistenceFilter::Settings settings;
    settings.falsePositiveRate = 0.01;
    settings.expectedItems = 5000;
    auto f = make(5000, settings);
    QVERIFY2(f, qPrintable(m_error));
    ProductService &svc = *f->env->service;
    svc.setStrategy(StrategyKind::CacheAside);
    // This measures the filter, not how fast Redis answers: 20,000 gets in
    // flight together can outlast the read deadline on a busy machine, and a
    // get past its deadline answers from SQLite without the filter's verdict.
    CacheSettings cs = svc.settings();
    cs.readDeadlineMs = 0;
    svc.setSettings(cs);
    const auto before = f->filter->stats();
    QVERIFY2(std::abs(before.estimatedRate - 0.01) < 0.002, qPrintable(QString::number(before.estimatedRate)));

    // 20,000 gets of ids that never existed, all in flight together.
    constexpr int Absent = 20000;
    int done = 0;
    int notFound = 0;
    int withSql = 0;
    QObject ctx;
    for (qint64 id = 1000001; id < 1000001 + Absent; ++id) {
        svc.get(id, &ctx, [&](const ServiceResult &r) {
            ++done;
            notFound += r.status == ServiceStatus::NotFound ? 1 : 0;
            withSql += r.trace.count(TraceSystem::Sql) > 0 ? 1 : 0;
        });
    }
    QTRY_COMPARE_WITH_TIMEOUT(done, Absent, 90000);
    QCOMPARE(notFound, Absent);

    const auto stats = f->filter->stats();
    QCOMPARE(stats.shortCircuited + stats.falsePositives, quint64(Absent));
    QCOMPARE(stats.falsePositives, quint64(withSql)); // exactly the gets that reached SQLite
    const double measured = stats.measuredRate();
    QVERIFY2(measured < 3 * settings.falsePositiveRate && measured > settings.falsePositiveRate / 5,
        qPrintable(QStringLiteral("measured %1, target %2").arg(measured).arg(settings.falsePositiveRate)));
}

void TestExistenceFilter::rebuildKeepsIdsAnotherInstanceAdded()
{
    auto a = make(50);
    QVERIFY2(a, qPrintable(m_error));
    auto b = second(*a);
    QVERIFY2(b, qPrintable(m_error));
    QCOMPARE(b->filter->key(), a->filter->key());
    constexpr qint64 Outside = 777777; // not in SQLite: only the live filter will know it
    QCOMPARE(ask(*a->filter, Outside), ExistenceFilter::Answer::No);

    // B's rebuild has read SQLite and written its temporary key; hold the swap.
    std::function<void()> proceed;
    b->filter->setSwapGateForTest([&proceed](std::function<void()> go) { proceed = std::move(go); });
    QSignalSpy built(b->filter.get(), &ExistenceFilter::buildFinished);
    b->filter->rebuild();
    QVERIFY(QTest::qWaitFor([&] { return bool(proceed); }, WaitMs));
    QCOMPARE(a->filter->stats().bits, b->filter->stats().bits); // same sizes: mergeable

    // Meanwhile A adds an id to the live filter.
    a->filter->add(Outside);
    QTRY_COMPARE_WITH_TIMEOUT(ask(*a->filter, Outside), ExistenceFilter::Answer::Maybe, WaitMs);
    QCOMPARE(built.count(), 0);

    // B's swap must not drop it.
    proceed();
    QVERIFY(built.count() > 0 || built.wait(WaitMs));
    QCOMPARE(built.last().at(0).toBool(), true);
    QCOMPARE(ask(*b->filter, Outside), ExistenceFilter::Answer::Maybe);
    QCOMPARE(ask(*a->filter, Outside), ExistenceFilter::Answer::Maybe);
    QCOMPARE(ask(*b->filter, 888888), ExistenceFilter::Answer::No); // still a real filter
    QCOMPARE(m_server.syncList({ "KEYS", "*build*" }).size(), 0);
}

void TestExistenceFilter::addAdoptsAnotherInstancesSizes()
{
    auto a = make(50);
    QVERIFY2(a, qPrintable(m_error));
    const quint64 builds = a->filter->stats().builds;
    const qint64 ownBits = a->filter->stats().bits;

    // B builds the shared filter with other sizes; A still believes its own.
    ExistenceFilter::Settings bigger;
    bigger.expectedItems = 40000;
    auto b = second(*a, bigger);
    QVERIFY2(b, qPrintable(m_error));
    const qint64 otherBits = b->filter->stats().bits;
    QVERIFY(otherBits != ownBits);

    // A's add sees the size mismatch: it adopts B's sizes and adds again,
    // without replacing B's filter by a rebuild.
    constexpr qint64 Outside = 777777;
    a->filter->add(Outside);
    QTRY_COMPARE_WITH_TIMEOUT(a->filter->stats().bits, otherBits, WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(ask(*b->filter, Outside), ExistenceFilter::Answer::Maybe, WaitMs);
    QCOMPARE(a->filter->stats().builds, builds);
    QVERIFY(a->filter->isReady());
    QCOMPARE(hash(m_server, a->filter->metaKey()).value("m").toLongLong(), otherBits);
    QCOMPARE(ask(*a->filter, Outside), ExistenceFilter::Answer::Maybe);
    QCOMPARE(ask(*a->filter, 888888), ExistenceFilter::Answer::No);
}

void TestExistenceFilter::instancesOnOneDatabaseShareTheFilter()
{
    auto a = make(50);
    QVERIFY2(a, qPrintable(m_error));
    // The key names the database (sha1 of its absolute path), not the prefix.
    const QString path = QDir::cleanPath(QFileInfo(a->env->repo->path()).absoluteFilePath());
    const QByteArray expected
        = "cachelab:bloom:" + QCryptographicHash::hash(path.toUtf8(), QCryptographicHash::Sha1).toHex().left(12);
    QCOMPARE(a->filter->key(), expected);
    QCOMPARE(a->filter->metaKey(), expected + ":meta");

    // A window with another key prefix on the same file shares that filter:
    // what it adds, the first one knows at once (no SQLite poll involved).
    CacheSettings other;
    other.keyPrefix = QStringLiteral("other:");
    auto b = second(*a, {}, other);
    QVERIFY2(b, qPrintable(m_error));
    QCOMPARE(b->filter->key(), a->filter->key());
    constexpr qint64 Outside = 777777;
    QCOMPARE(ask(*a->filter, Outside), ExistenceFilter::Answer::No);
    b->filter->add(Outside);
    QTRY_COMPARE_WITH_TIMEOUT(ask(*b->filter, Outside), ExistenceFilter::Answer::Maybe, WaitMs);
    QCOMPARE(ask(*a->filter, Outside), ExistenceFilter::Answer::Maybe);

    // Another database gets its own filter.
    auto c = make(10);
    QVERIFY2(c, qPrintable(m_error));
    QVERIFY(c->filter->key() != a->filter->key());
    QCOMPARE(ask(*c->filter, Outside), ExistenceFilter::Answer::No);
}

void TestExistenceFilter::refusedSwapCleansUpAndStopsRetrying()
{
    auto f = make(50);
    QVERIFY2(f, qPrintable(m_error));
    // The Redis user may not RENAME: the swap script is refused.
    QCOMPARE(m_server.syncString({ "ACL", "SETUSER", "default", "-rename" }), QByteArray("OK"));
    auto restore = qScopeGuard([this] { m_server.syncString({ "ACL", "SETUSER", "default", "+rename" }); });
    QSignalSpy built(f->filter.get(), &ExistenceFilter::buildFinished);
    f->filter->rebuild();
    QVERIFY(built.wait(WaitMs));
    QCOMPARE(built.last().at(0).toBool(), false);
    const QString error = f->filter->stats().lastError;
    QVERIFY2(error.contains(QLatin1String("not retried")), qPrintable(error));
    // The full-size temporary keys are deleted at once, not left to their TTL ...
    QTRY_COMPARE_WITH_TIMEOUT(m_server.syncList({ "KEYS", "*build*" }).size(), 0, WaitMs);
    // ... and no retry is scheduled: it cannot succeed until the ACL changes.
    QVERIFY(!f->filter->retryScheduled());
    QCOMPARE(built.count(), 1);

    // Once allowed, a rebuild by hand works again.
    restore.dismiss();
    QCOMPARE(m_server.syncString({ "ACL", "SETUSER", "default", "+rename" }), QByteArray("OK"));
    f->filter->rebuild();
    QVERIFY(built.wait(WaitMs));
    QCOMPARE(built.last().at(0).toBool(), true);
    QVERIFY(f->filter->stats().lastError.isEmpty());
    QCOMPARE(ask(*f->filter, 1), ExistenceFilter::Answer::Maybe);
}

void TestExistenceFilter::moduleModeWhenAvailable()
{
    const QList<QByteArray> modules = m_server.syncList({ "MODULE", "LIST" });
    bool hasBloom = false;
    // syncList flattens one level: look for the "bf" name anywhere.
    for (const QByteArray &m : modules)
        hasBloom = hasBloom || m.toLower() == "bf";
    if (!hasBloom)
        QSKIP("redis-server has no RedisBloom module (MODULE LIST lacks \"bf\"); the bitmap fallback is tested above");

    auto f = make(2000);
    QVERIFY2(f, qPrintable(m_error));
    QCOMPARE(f->filter->mode(), ExistenceFilter::Mode::Module);
    QList<qint64> ids;
    for (qint64 id = 1; id <= 2000; ++id)
        ids << id;
    for (ExistenceFilter::Answer a : askMany(*f->filter, ids))
        QCOMPARE(a, ExistenceFilter::Answer::Maybe);
    const auto r = get(*f, 99999);
    EXPECT_STATUS(r, ServiceStatus::NotFound);
    QCOMPARE(r->trace.count(TraceSystem::Sql), 0);
    m_server.syncInteger({ "DEL", f->filter->key() });
    QCOMPARE(ask(*f->filter, 99998), ExistenceFilter::Answer::Unsure);
    QTRY_VERIFY_WITH_TIMEOUT(m_server.syncInteger({ "EXISTS", f->filter->key() }) == 1, WaitMs);
}

void TestExistenceFilter::redisDownGetsStillWork()
{
    auto f = make(100);
    QVERIFY2(f, qPrintable(m_error));
    f->env->service->setStrategy(StrategyKind::CacheAside);
    QSignalSpy down(f->env->client.get(), &RedisClient::disconnected);
    m_server.kill();
    // Whether or not the client has noticed yet, the get is answered from SQLite.
    const auto early = get(*f, 7);
    EXPECT_OK(early);
    QCOMPARE(early->product->id, qint64(7));
    QVERIFY(down.count() > 0 || down.wait(WaitMs));
    QCOMPARE(ask(*f->filter, 7), ExistenceFilter::Answer::Unsure);
    const auto r = get(*f, 8);
    EXPECT_OK(r);
    QCOMPARE(r->product->id, qint64(8));
    // An id that never existed is answered by SQLite while the filter is away.
    const auto missing = get(*f, 99999);
    EXPECT_STATUS(missing, ServiceStatus::NotFound);
    QVERIFY(missing->trace.count(TraceSystem::Sql) > 0);
}

QTEST_GUILESS_MAIN(TestExistenceFilter)
#include "tst_existencefilter.moc"
