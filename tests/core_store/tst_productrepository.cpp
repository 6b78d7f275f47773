// Tests for ProductRepository against real SQLite files in a temporary folder:
// CRUD, versions, validation, compare-and-set, versioned apply, the worker
// thread's ordering and latency, the change feed (own and outside writes),
// schema versioning, and failure modes (read-only file, not a database).
#include "awaitcallback.h"
#include "productrepository.h"

#include <memory>
#include <optional>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

namespace {

constexpr int WaitMs = 10000;

// Waits for one callback (see TestSupport::await); timeoutMs only bounds a
// hang. The caller reports a missing result (nullopt) as the failure.
template<typename Call> std::optional<StoreResult> await(Call &&call, int timeoutMs = WaitMs)
{
    return TestSupport::await<StoreResult>(std::forward<Call>(call), timeoutMs);
}

QString statusName(StoreStatus s)
{
    switch (s) {
    case StoreStatus::Ok:
        return QStringLiteral("Ok");
    case StoreStatus::NotFound:
        return QStringLiteral("NotFound");
    case StoreStatus::Invalid:
        return QStringLiteral("Invalid");
    case StoreStatus::Conflict:
        return QStringLiteral("Conflict");
    case StoreStatus::Error:
        return QStringLiteral("Error");
    }
    return {};
}

QByteArray describe(const std::optional<StoreResult> &r)
{
    if (!r)
        return "no callback within the timeout";
    return (statusName(r->status) + QStringLiteral(": ") + r->error).toUtf8();
}

// Evaluates result once (it is usually a whole await() call).
#define EXPECT_STATUS(result, expected)                                                                                \
    do {                                                                                                               \
        const std::optional<StoreResult> checked_ = (result);                                                          \
        QVERIFY2(checked_.has_value(), "no callback within the timeout");                                              \
        QVERIFY2(checked_->status == (expected), describe(checked_).constData());                                      \
    } while (false)

// A second, independent connection to the same file: "another program".
class SideConnection final
{
public:
    explicit SideConnection(const QString &path)
        : m_name(QStringLiteral("test-side-%1").arg(++s_counter))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        m_ok = db.open();
    }
    ~SideConnection()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(m_name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_name);
    }
    bool isOpen() const { return m_ok; }
    bool exec(const QString &sql, const QVariantList &binds = {}, QString *error = nullptr)
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        q.prepare(sql);
        for (int i = 0; i < binds.size(); ++i)
            q.bindValue(i, binds.at(i));
        const bool ok = q.exec();
        if (!ok && error)
            *error = q.lastError().text();
        return ok;
    }
    QVariant scalar(const QString &sql, const QVariantList &binds = {})
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        q.prepare(sql);
        for (int i = 0; i < binds.size(); ++i)
            q.bindValue(i, binds.at(i));
        if (!q.exec() || !q.next())
            return {};
        return q.value(0);
    }

private:
    static inline int s_counter = 0;
    QString m_name;
    bool m_ok = false;
};

// All changes a spy on changed() has seen so far, in order.
QList<ProductChange> flatten(const QSignalSpy &spy)
{
    QList<ProductChange> all;
    for (const QList<QVariant> &args : spy)
        all += args.at(0).value<QList<ProductChange>>();
    return all;
}

} // namespace

class TestProductRepository final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void crudRoundTrip();
    void versionIncrements();
    void notFound();
    void invalidWritesNothing();
    void conflictOnStaleVersion();
    void upsertInsertsAndReplaces();
    void applyVersionedIgnoresOlderAndIsIdempotent();
    void applyVersionedInvalidBatchWritesNothing();
    void seedDemoDataOnlyWhenEmpty();
    void sqlTraceUsesPlaceholders();
    void getReadsRowsAsStored();
    void artificialLatencyKeepsCallerResponsive();
    void artificialLatencyIsClamped();
    void callbacksInCallOrder();
    void destroyedContextDropsCallback();
    void changeFeedReportsOwnWrites();
    void changeFeedReportsSecondConnection();
    void changeFeedReportsSqliteShell();
    void earlierOutsideChangesComeFirstOnWrite();
    void pollErrorIsReported();
    void changeTableIsPruned();
    void inMemoryDatabase();
    void reopenKeepsDataAndSchemaVersion();
    void migratesVersion1Schema();
    void newerSchemaIsRefused();
    void notADatabaseIsAnError();
    void readOnlyFileGivesError();
    void destructorFinishesQueuedJobs();

private:
    QString dbPath() const { return m_dir->filePath(QStringLiteral("products.db")); }
    std::unique_ptr<ProductRepository> openRepo(const QString &path);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestProductRepository::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestProductRepository::cleanup()
{
    // A failed read-only test must not leave a folder QTemporaryDir cannot remove.
    QFile::setPermissions(m_dir->path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    m_dir.reset();
}

std::unique_ptr<ProductRepository> TestProductRepository::openRepo(const QString &path)
{
    auto repo = std::make_unique<ProductRepository>(path);
    const auto r = await([&](QObject *c, StoreCallback cb) { repo->open(c, cb); });
    if (!r || !r->ok()) {
        qWarning("open failed: %s", describe(r).constData());
        return nullptr;
    }
    return repo;
}

void TestProductRepository::crudRoundTrip()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    QVERIFY(repo->isOpen());

    const auto created = await(
        [&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("  Espresso machine "), 34900, c, cb); });
    EXPECT_STATUS(created, StoreStatus::Ok);
    QVERIFY(created->product);
    const Product p = *created->product;
    QVERIFY(p.id > 0);
    QCOMPARE(p.name, QStringLiteral("Espresso machine")); // stored trimmed
    QCOMPARE(p.price, qint64(34900));
    QCOMPARE(p.version, qint64(1));
    QVERIFY(p.updatedAt.isValid());
    QCOMPARE(created->rowsAffected, 1);

    const auto got = await([&](QObject *c, StoreCallback cb) { repo->get(p.id, c, cb); });
    EXPECT_STATUS(got, StoreStatus::Ok);
    QCOMPARE(*got->product, p);

    const auto listed = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    EXPECT_STATUS(listed, StoreStatus::Ok);
    QCOMPARE(listed->products, QList<Product> { p });

    const auto updated = await([&](QObject *c, StoreCallback cb) {
        repo->update(p.id, QStringLiteral("Espresso machine Pro"), 39900, 0, c, cb);
    });
    EXPECT_STATUS(updated, StoreStatus::Ok);
    QCOMPARE(updated->product->name, QStringLiteral("Espresso machine Pro"));
    QCOMPARE(updated->product->price, qint64(39900));
    QCOMPARE(updated->product->version, qint64(2));

    const auto again = await([&](QObject *c, StoreCallback cb) { repo->get(p.id, c, cb); });
    QCOMPARE(*again->product, *updated->product);

    const auto second
        = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Grinder"), 12900, c, cb); });
    EXPECT_STATUS(second, StoreStatus::Ok);
    const auto both = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    QCOMPARE(both->products.size(), 2);
    QVERIFY(both->products.at(0).id < both->products.at(1).id); // ordered by id

    const auto removed = await([&](QObject *c, StoreCallback cb) { repo->remove(p.id, c, cb); });
    EXPECT_STATUS(removed, StoreStatus::Ok);
    QCOMPARE(removed->rowsAffected, 1);
    const auto gone = await([&](QObject *c, StoreCallback cb) { repo->get(p.id, c, cb); });
    EXPECT_STATUS(gone, StoreStatus::NotFound);
}

void TestProductRepository::versionIncrements()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    const auto created = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Mug"), 1290, c, cb); });
    EXPECT_STATUS(created, StoreStatus::Ok);
    const qint64 id = created->product->id;
    for (qint64 expected = 2; expected <= 5; ++expected) {
        const auto r = await(
            [&](QObject *c, StoreCallback cb) { repo->update(id, QStringLiteral("Mug"), 1290 + expected, 0, c, cb); });
        EXPECT_STATUS(r, StoreStatus::Ok);
        QCOMPARE(r->product->version, expected);
    }
    SideConnection side(dbPath());
    QCOMPARE(side.scalar(QStringLiteral("SELECT version FROM products WHERE id = ?"), { id }).toLongLong(), qint64(5));
}

void TestProductRepository::notFound()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->get(4242, c, cb); }), StoreStatus::NotFound);
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->update(4242, QStringLiteral("x"), 1, 0, c, cb); }),
        StoreStatus::NotFound);
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->remove(4242, c, cb); }), StoreStatus::NotFound);
    // NotFound is not an error: the message names the id, and nothing got created.
    const auto r = await([&](QObject *c, StoreCallback cb) { repo->get(4242, c, cb); });
    QVERIFY(r->error.contains(QStringLiteral("4242")));
    const auto listed = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    QVERIFY(listed->products.isEmpty());
}

void TestProductRepository::invalidWritesNothing()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    const auto created
        = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Kettle"), 5490, c, cb); });
    EXPECT_STATUS(created, StoreStatus::Ok);
    const qint64 id = created->product->id;
    const auto before = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    SideConnection side(dbPath());
    const qint64 changesBefore = side.scalar(QStringLiteral("SELECT COUNT(*) FROM product_changes")).toLongLong();

    const auto emptyName
        = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("   "), 100, c, cb); });
    EXPECT_STATUS(emptyName, StoreStatus::Invalid);
    QCOMPARE(emptyName->fieldErrors.size(), 1);
    QCOMPARE(emptyName->fieldErrors.first().field, QStringLiteral("name"));
    QVERIFY(emptyName->sql.isEmpty()); // no SQL ran at all

    const auto negative
        = await([&](QObject *c, StoreCallback cb) { repo->update(id, QStringLiteral("Kettle"), -1, 0, c, cb); });
    EXPECT_STATUS(negative, StoreStatus::Invalid);
    QCOMPARE(negative->fieldErrors.first().field, QStringLiteral("price"));

    const auto longName
        = await([&](QObject *c, StoreCallback cb) { repo->update(id, QString(101, u'k'), 5, 0, c, cb); });
    EXPECT_STATUS(longName, StoreStatus::Invalid);
    QCOMPARE(longName->fieldErrors.first().message, QStringLiteral("Name must be at most 100 characters (got 101)."));

    const auto control
        = await([&](QObject *c, StoreCallback cb) { repo->upsert(id, QStringLiteral("a\tb"), 5, c, cb); });
    EXPECT_STATUS(control, StoreStatus::Invalid);
    const auto badId = await([&](QObject *c, StoreCallback cb) { repo->upsert(0, QStringLiteral("ok"), 5, c, cb); });
    EXPECT_STATUS(badId, StoreStatus::Invalid);
    QCOMPARE(badId->fieldErrors.first().field, QStringLiteral("id"));
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->remove(-1, c, cb); }), StoreStatus::Invalid);

    const auto after = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    QCOMPARE(after->products, before->products);
    QCOMPARE(after->products.first().name, QStringLiteral("Kettle"));
    QCOMPARE(after->products.first().version, qint64(1));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM product_changes")).toLongLong(), changesBefore);
}

void TestProductRepository::conflictOnStaleVersion()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    const auto created
        = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Scale"), 2490, c, cb); });
    const qint64 id = created->product->id;

    const auto cas
        = await([&](QObject *c, StoreCallback cb) { repo->update(id, QStringLiteral("Scale v2"), 2590, 1, c, cb); });
    EXPECT_STATUS(cas, StoreStatus::Ok);
    QCOMPARE(cas->product->version, qint64(2));

    const auto stale
        = await([&](QObject *c, StoreCallback cb) { repo->update(id, QStringLiteral("Lost edit"), 1, 1, c, cb); });
    EXPECT_STATUS(stale, StoreStatus::Conflict);
    QVERIFY2(stale->error.contains(QStringLiteral("expected version 1")), qPrintable(stale->error));
    QVERIFY(stale->product);
    QCOMPARE(stale->product->version, qint64(2)); // what won

    const auto now = await([&](QObject *c, StoreCallback cb) { repo->get(id, c, cb); });
    QCOMPARE(now->product->name, QStringLiteral("Scale v2"));
    QCOMPARE(now->product->version, qint64(2));
}

void TestProductRepository::upsertInsertsAndReplaces()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    const auto inserted
        = await([&](QObject *c, StoreCallback cb) { repo->upsert(500, QStringLiteral("Tamper"), 3490, c, cb); });
    EXPECT_STATUS(inserted, StoreStatus::Ok);
    QCOMPARE(inserted->product->id, qint64(500));
    QCOMPARE(inserted->product->version, qint64(1));

    const auto replaced
        = await([&](QObject *c, StoreCallback cb) { repo->upsert(500, QStringLiteral("Tamper 58 mm"), 3590, c, cb); });
    EXPECT_STATUS(replaced, StoreStatus::Ok);
    QCOMPARE(replaced->product->name, QStringLiteral("Tamper 58 mm"));
    QCOMPARE(replaced->product->price, qint64(3590));
    QCOMPARE(replaced->product->version, qint64(2));

    const auto listed = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    QCOMPARE(listed->products.size(), 1);
    // AUTOINCREMENT continues after an explicit id.
    const auto next = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Next"), 1, c, cb); });
    QCOMPARE(next->product->id, qint64(501));
}

void TestProductRepository::applyVersionedIgnoresOlderAndIsIdempotent()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    auto product = [](qint64 id, const QString &name, qint64 price, qint64 version) {
        Product p;
        p.id = id;
        p.name = name;
        p.price = price;
        p.version = version;
        return p;
    };
    const QList<Product> batch { product(10, QStringLiteral("Press"), 3290, 3),
        product(11, QStringLiteral("Bottle"), 2190, 1) };

    const auto first = await([&](QObject *c, StoreCallback cb) { repo->applyVersioned(batch, {}, c, cb); });
    EXPECT_STATUS(first, StoreStatus::Ok);
    QCOMPARE(first->rowsAffected, 2);
    const auto got = await([&](QObject *c, StoreCallback cb) { repo->get(10, c, cb); });
    QCOMPARE(got->product->version, qint64(3)); // the exact version, not 1
    QCOMPARE(got->product->name, QStringLiteral("Press"));

    // Redelivery: nothing changes.
    const auto redelivered = await([&](QObject *c, StoreCallback cb) { repo->applyVersioned(batch, {}, c, cb); });
    EXPECT_STATUS(redelivered, StoreStatus::Ok);
    QCOMPARE(redelivered->rowsAffected, 0);

    // Older version: ignored. Newer version: applied.
    const auto older = await([&](QObject *c, StoreCallback cb) {
        repo->applyVersioned({ product(10, QStringLiteral("Stale"), 1, 2) }, {}, c, cb);
    });
    QCOMPARE(older->rowsAffected, 0);
    const auto newer = await([&](QObject *c, StoreCallback cb) {
        repo->applyVersioned({ product(10, QStringLiteral("Press XL"), 3990, 5) }, {}, c, cb);
    });
    QCOMPARE(newer->rowsAffected, 1);
    const auto listed = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    QCOMPARE(listed->products.size(), 2);
    QCOMPARE(listed->products.at(0).name, QStringLiteral("Press XL"));
    QCOMPARE(listed->products.at(0).version, qint64(5));
    QCOMPARE(listed->products.at(1).name, QStringLiteral("Bottle"));

    // Deletes apply, and applying them again is harmless.
    const auto deleted = await([&](QObject *c, StoreCallback cb) { repo->applyVersioned({}, { 11 }, c, cb); });
    EXPECT_STATUS(deleted, StoreStatus::Ok);
    QCOMPARE(deleted->rowsAffected, 1);
    const auto deletedAgain = await([&](QObject *c, StoreCallback cb) { repo->applyVersioned({}, { 11 }, c, cb); });
    EXPECT_STATUS(deletedAgain, StoreStatus::Ok);
    QCOMPARE(deletedAgain->rowsAffected, 0);
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->get(11, c, cb); }), StoreStatus::NotFound);
}

void TestProductRepository::applyVersionedInvalidBatchWritesNothing()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    Product good;
    good.id = 1;
    good.name = QStringLiteral("Good");
    good.price = 1;
    good.version = 1;
    Product bad = good;
    bad.id = 2;
    bad.price = -1;
    const auto r = await([&](QObject *c, StoreCallback cb) { repo->applyVersioned({ good, bad }, {}, c, cb); });
    EXPECT_STATUS(r, StoreStatus::Invalid);
    QVERIFY2(r->fieldErrors.first().message.contains(QStringLiteral("Product 2")), qPrintable(r->error));
    const auto listed = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    QVERIFY(listed->products.isEmpty()); // the good one was not written either
}

void TestProductRepository::seedDemoDataOnlyWhenEmpty()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    const auto seeded = await([&](QObject *c, StoreCallback cb) { repo->seedDemoData(c, cb); });
    EXPECT_STATUS(seeded, StoreStatus::Ok);
    QVERIFY(seeded->rowsAffected >= 10);
    QCOMPARE(seeded->products.size(), seeded->rowsAffected);
    const int count = seeded->rowsAffected;

    const auto again = await([&](QObject *c, StoreCallback cb) { repo->seedDemoData(c, cb); });
    EXPECT_STATUS(again, StoreStatus::Ok);
    QCOMPARE(again->rowsAffected, 0);
    const auto listed = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    QCOMPARE(listed->products.size(), count);
    QCOMPARE(listed->products.first().name, QStringLiteral("Espresso machine"));
}

void TestProductRepository::sqlTraceUsesPlaceholders()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    const QString evil = QStringLiteral("Robert'); DROP TABLE products;--");
    const auto r = await([&](QObject *c, StoreCallback cb) { repo->create(evil, 1, c, cb); });
    EXPECT_STATUS(r, StoreStatus::Ok);
    QCOMPARE(r->product->name, evil); // stored verbatim: bound, not spliced
    const QString insert = r->sql.filter(QStringLiteral("INSERT INTO products")).value(0);
    QVERIFY2(insert.contains(QStringLiteral("VALUES (?, ?, 1, ?)")), qPrintable(insert));
    QVERIFY2(insert.contains(QStringLiteral("'Robert')")), qPrintable(insert)); // bound values summarised
    QVERIFY(r->sql.contains(QStringLiteral("BEGIN IMMEDIATE")));
    QVERIFY(r->sql.contains(QStringLiteral("COMMIT")));
    QVERIFY(r->micros > 0);
    const auto listed = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    EXPECT_STATUS(listed, StoreStatus::Ok);
    QCOMPARE(listed->products.size(), 1);
}

// get() reads on the driver's sqlite3 handle when it can: every column
// comes back as list() (QSqlQuery) reads it, the trace shows the same
// statement, and no read stays open after the call (a checkpoint that waits
// for readers finds none).
void TestProductRepository::getReadsRowsAsStored()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setChangePollInterval(0); // no poll read in flight during the checkpoint
    SideConnection side(dbPath());
    QVERIFY(side.isOpen());
    QString error;
    const QString insert
        = QStringLiteral("INSERT INTO products (id, name, price, version, updated_at) VALUES (?, ?, ?, ?, ?)");
    QVERIFY2(side.exec(insert,
                 { 7, QStringLiteral("Cr\u00e8me br\u00fbl\u00e9e \u2615"), 250, 3,
                     QStringLiteral("2024-02-29T23:59:59.007Z") },
                 &error),
        qPrintable(error));
    // A REAL price written from outside (the column's affinity keeps 12.5):
    // every read path must turn it into the same whole number.
    QVERIFY2(side.exec(insert,
                 { 8, QStringLiteral("Offset"), 12.5, 1, QStringLiteral("2024-03-01T10:20:30.500+01:00") }, &error),
        qPrintable(error));

    const auto seven = await([&](QObject *c, StoreCallback cb) { repo->get(7, c, cb); });
    EXPECT_STATUS(seven, StoreStatus::Ok);
    QCOMPARE(seven->product->id, 7);
    QCOMPARE(seven->product->name, QStringLiteral("Cr\u00e8me br\u00fbl\u00e9e \u2615"));
    QCOMPARE(seven->product->price, 250);
    QCOMPARE(seven->product->version, 3);
    QCOMPARE(seven->product->updatedAt, QDateTime(QDate(2024, 2, 29), QTime(23, 59, 59, 7), Qt::UTC));
    QCOMPARE(seven->product->updatedAt.timeSpec(), Qt::UTC);
    QCOMPARE(seven->sql,
        QStringList { QStringLiteral("SELECT id, name, price, version, updated_at FROM products WHERE id = ?  -- 7") });

    const auto eight = await([&](QObject *c, StoreCallback cb) { repo->get(8, c, cb); });
    EXPECT_STATUS(eight, StoreStatus::Ok);
    QCOMPARE(eight->product->updatedAt, QDateTime(QDate(2024, 3, 1), QTime(9, 20, 30, 500), Qt::UTC));
    QCOMPARE(eight->product->updatedAt.timeSpec(), Qt::UTC);
    QCOMPARE(eight->product->price, 13);

    const auto listed = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    EXPECT_STATUS(listed, StoreStatus::Ok);
    QCOMPARE(listed->products.size(), 2);
    for (const Product &p : { *seven->product, *eight->product }) {
        const Product &l = listed->products.at(p.id == 7 ? 0 : 1);
        QCOMPARE(l, p);
        QCOMPARE(l.updatedAt, p.updatedAt);
    }

    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->get(9, c, cb); }), StoreStatus::NotFound);
    // busy = 0: no reader holds a snapshot (an unreset statement would).
    QCOMPARE(side.scalar(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")).toInt(), 0);
}

void TestProductRepository::artificialLatencyKeepsCallerResponsive()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    constexpr int LatencyMs = 400;
    repo->setArtificialLatency(LatencyMs);
    QCOMPARE(repo->artificialLatency(), LatencyMs);

    int ticks = 0;
    QTimer ticker;
    ticker.setInterval(20);
    connect(&ticker, &QTimer::timeout, this, [&ticks] { ++ticks; });
    ticker.start();

    std::optional<StoreResult> out;
    QElapsedTimer clock;
    clock.start();
    repo->list(this, [&out](const StoreResult &r) { out = r; });
    const qint64 callTookMs = clock.elapsed();
    QVERIFY2(callTookMs < 50, qPrintable(QStringLiteral("list() blocked for %1 ms").arg(callTookMs)));
    QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), WaitMs);
    const qint64 totalMs = clock.elapsed();

    QVERIFY2(totalMs >= LatencyMs, qPrintable(QStringLiteral("took only %1 ms").arg(totalMs)));
    QVERIFY2(out->micros >= LatencyMs * 1000, qPrintable(QString::number(out->micros)));
    QVERIFY2(ticks >= 5, qPrintable(QStringLiteral("timer fired %1 times while waiting").arg(ticks)));
}

void TestProductRepository::artificialLatencyIsClamped()
{
    ProductRepository repo(dbPath());
    repo.setArtificialLatency(5000);
    QCOMPARE(repo.artificialLatency(), 2000);
    repo.setArtificialLatency(-3);
    QCOMPARE(repo.artificialLatency(), 0);
}

void TestProductRepository::callbacksInCallOrder()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    QList<int> order;
    constexpr int Calls = 30;
    for (int i = 0; i < Calls; ++i) {
        auto record = [&order, i](const StoreResult &) { order.append(i); };
        switch (i % 3) {
        case 0:
            repo->create(QStringLiteral("Item %1").arg(i), i, this, record);
            break;
        case 1:
            repo->list(this, record);
            break;
        default:
            repo->get(1, this, record);
            break;
        }
        if (i == 10)
            repo->setArtificialLatency(30); // slower jobs must not overtake or be overtaken
    }
    QTRY_COMPARE_WITH_TIMEOUT(order.size(), Calls, WaitMs);
    QList<int> expected;
    for (int i = 0; i < Calls; ++i)
        expected << i;
    QCOMPARE(order, expected);
}

void TestProductRepository::destroyedContextDropsCallback()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setArtificialLatency(100); // the context dies while the job is in flight

    bool droppedRan = false;
    auto *doomed = new QObject;
    repo->create(
        QStringLiteral("Written anyway"), 1, doomed, [&droppedRan](const StoreResult &) { droppedRan = true; });
    delete doomed;

    bool nullContextRan = false;
    repo->list(nullptr, [&nullContextRan](const StoreResult &) { nullContextRan = true; });
    const auto after = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    EXPECT_STATUS(after, StoreStatus::Ok);
    QVERIFY(!droppedRan);
    QVERIFY(nullContextRan); // no context: always called
    QCOMPARE(after->products.size(), 1); // the write itself still happened
}

void TestProductRepository::changeFeedReportsOwnWrites()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setChangePollInterval(0); // prove the write path reports without the poll
    QSignalSpy spy(repo.get(), &ProductRepository::changed);

    int seenInCallback = -1;
    std::optional<StoreResult> created;
    repo->create(QStringLiteral("Knock box"), 1990, this, [&](const StoreResult &r) {
        seenInCallback = int(spy.size());
        created = r;
    });
    QTRY_VERIFY_WITH_TIMEOUT(created.has_value(), WaitMs);
    QCOMPARE(seenInCallback, 1); // emitted before the callback
    auto changes = spy.takeFirst().at(0).value<QList<ProductChange>>();
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.first().id, created->product->id);
    QCOMPARE(changes.first().kind, ProductChange::Kind::Insert);
    QCOMPARE(changes.first().version, qint64(1));
    QCOMPARE(changes.first().external, false);
    QVERIFY(changes.first().seq > 0);
    const qint64 id = created->product->id;

    EXPECT_STATUS(
        await([&](QObject *c, StoreCallback cb) { repo->update(id, QStringLiteral("Knock box XL"), 2490, 0, c, cb); }),
        StoreStatus::Ok);
    QCOMPARE(spy.size(), 1);
    changes = spy.takeFirst().at(0).value<QList<ProductChange>>();
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.first().kind, ProductChange::Kind::Update);
    QCOMPARE(changes.first().version, qint64(2));
    QCOMPARE(changes.first().external, false);

    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->remove(id, c, cb); }), StoreStatus::Ok);
    QCOMPARE(spy.size(), 1);
    changes = spy.takeFirst().at(0).value<QList<ProductChange>>();
    QCOMPARE(changes.first().kind, ProductChange::Kind::Delete);
    QCOMPARE(changes.first().external, false);

    // Reads and refused writes emit nothing.
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); }), StoreStatus::Ok);
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->remove(id, c, cb); }), StoreStatus::NotFound);
    QCOMPARE(spy.size(), 0);

    // A batch write is one signal carrying a list.
    Product a;
    a.id = 70;
    a.name = QStringLiteral("A");
    a.version = 1;
    Product b = a;
    b.id = 71;
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) {
        repo->applyVersioned({ a, b }, {}, c, cb);
    }),
        StoreStatus::Ok);
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.takeFirst().at(0).value<QList<ProductChange>>().size(), 2);
}

void TestProductRepository::changeFeedReportsSecondConnection()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setChangePollInterval(50);
    const auto created
        = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Grinder"), 12900, c, cb); });
    const qint64 id = created->product->id;
    QSignalSpy spy(repo.get(), &ProductRepository::changed);

    SideConnection side(dbPath());
    QVERIFY(side.isOpen());
    // Another program changes the price and knows nothing about version.
    QString error;
    QVERIFY2(side.exec(QStringLiteral("UPDATE products SET price = ? WHERE id = ?"), { 13900, id }, &error),
        qPrintable(error));

    QTRY_VERIFY_WITH_TIMEOUT(!spy.isEmpty(), WaitMs);
    const auto changes = spy.takeFirst().at(0).value<QList<ProductChange>>();
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.first().id, id);
    QCOMPARE(changes.first().kind, ProductChange::Kind::Update);
    QCOMPARE(changes.first().version, qint64(2)); // bumped by the trigger
    QCOMPARE(changes.first().external, true);

    const auto got = await([&](QObject *c, StoreCallback cb) { repo->get(id, c, cb); });
    QCOMPARE(got->product->price, qint64(13900));
    QCOMPARE(got->product->version, qint64(2));

    // An outside insert and delete arrive too.
    QVERIFY(side.exec(
        QStringLiteral("INSERT INTO products (name, price) VALUES (?, ?)"), { QStringLiteral("Shell item"), 5 }));
    QVERIFY(side.exec(QStringLiteral("DELETE FROM products WHERE id = ?"), { id }));
    QTRY_VERIFY_WITH_TIMEOUT(flatten(spy).size() >= 2, WaitMs);
    const QList<ProductChange> more = flatten(spy);
    QCOMPARE(more.size(), 2);
    QCOMPARE(more.at(0).kind, ProductChange::Kind::Insert);
    QCOMPARE(more.at(0).version, qint64(1));
    QCOMPARE(more.at(1).kind, ProductChange::Kind::Delete);
    QCOMPARE(more.at(1).id, id);
    QVERIFY(more.at(0).external && more.at(1).external);
}

void TestProductRepository::changeFeedReportsSqliteShell()
{
    const QString sqlite3 = QStandardPaths::findExecutable(QStringLiteral("sqlite3"));
    if (sqlite3.isEmpty())
        QSKIP("sqlite3 shell not on PATH; changeFeedReportsSecondConnection covers the same path");
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setChangePollInterval(50);
    const auto created = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Mug"), 1290, c, cb); });
    const qint64 id = created->product->id;
    QSignalSpy spy(repo.get(), &ProductRepository::changed);

    QProcess shell;
    shell.start(sqlite3,
        { QStringLiteral("-cmd"), QStringLiteral(".timeout 5000"), dbPath(),
            QStringLiteral("UPDATE products SET name = 'Mug (edited in shell)' WHERE id = %1;").arg(id) });
    QVERIFY(shell.waitForFinished(WaitMs)); // test code: a bounded wait on a child process
    QCOMPARE(shell.exitCode(), 0);

    QTRY_VERIFY_WITH_TIMEOUT(!spy.isEmpty(), WaitMs);
    const auto changes = spy.takeFirst().at(0).value<QList<ProductChange>>();
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.first().external, true);
    QCOMPARE(changes.first().version, qint64(2));
    const auto got = await([&](QObject *c, StoreCallback cb) { repo->get(id, c, cb); });
    QCOMPARE(got->product->name, QStringLiteral("Mug (edited in shell)"));
    QCOMPARE(got->product->version, qint64(2));
}

void TestProductRepository::earlierOutsideChangesComeFirstOnWrite()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setChangePollInterval(0); // only the write path can report here
    QSignalSpy spy(repo.get(), &ProductRepository::changed);
    {
        SideConnection side(dbPath());
        QVERIFY(side.exec(QStringLiteral("INSERT INTO products (id, name, price) VALUES (?, ?, ?)"),
            { 77, QStringLiteral("Outside"), 1 }));
    }
    const auto created = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Inside"), 2, c, cb); });
    EXPECT_STATUS(created, StoreStatus::Ok);
    QCOMPARE(spy.size(), 1);
    const auto changes = spy.takeFirst().at(0).value<QList<ProductChange>>();
    QCOMPARE(changes.size(), 2);
    QCOMPARE(changes.at(0).id, qint64(77));
    QCOMPARE(changes.at(0).external, true);
    QCOMPARE(changes.at(1).id, created->product->id);
    QCOMPARE(changes.at(1).external, false);
    QVERIFY(changes.at(0).seq < changes.at(1).seq);
}

void TestProductRepository::pollErrorIsReported()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setChangePollInterval(30);
    QSignalSpy errors(repo.get(), &ProductRepository::errorOccurred);
    {
        SideConnection side(dbPath());
        QVERIFY(side.exec(QStringLiteral("DROP TABLE product_changes")));
    }
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), WaitMs);
    const QString message = errors.first().at(0).toString();
    QVERIFY2(message.contains(QStringLiteral("change feed")) && message.contains(QStringLiteral("product_changes")),
        qPrintable(message));
    // The same persisting problem is reported once, not at every 30 ms poll.
    QVERIFY(!errors.wait(300));
    QCOMPARE(errors.size(), 1);
}

void TestProductRepository::changeTableIsPruned()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setChangePollInterval(0);
    QList<Product> many;
    constexpr int Count = 12000;
    for (int i = 1; i <= Count; ++i) {
        Product p;
        p.id = i;
        p.name = QStringLiteral("P%1").arg(i);
        p.version = 1;
        many << p;
    }
    QSignalSpy spy(repo.get(), &ProductRepository::changed);
    // 12,000 rows and their change rows in one job: under a sanitizer on a
    // loaded box that took longer than the usual 10 s bound. The wait still
    // ends as soon as the job answers; the long bound only catches a hang.
    const auto r = await([&](QObject *c, StoreCallback cb) { repo->applyVersioned(many, {}, c, cb); }, 9 * WaitMs);
    EXPECT_STATUS(r, StoreStatus::Ok);
    QCOMPARE(r->rowsAffected, Count);
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.first().at(0).value<QList<ProductChange>>().size(), Count); // everything reported before pruning

    SideConnection side(dbPath());
    const qint64 rows = side.scalar(QStringLiteral("SELECT COUNT(*) FROM product_changes")).toLongLong();
    QVERIFY2(rows <= 11000 && rows >= 10000, qPrintable(QString::number(rows)));
    QCOMPARE(side.scalar(QStringLiteral("SELECT MAX(product_id) FROM product_changes")).toLongLong(), qint64(Count));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM products")).toLongLong(), qint64(Count));
}

void TestProductRepository::inMemoryDatabase()
{
    auto repo = openRepo(QStringLiteral(":memory:"));
    QVERIFY(repo);
    QSignalSpy spy(repo.get(), &ProductRepository::changed);
    const auto created
        = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Volatile"), 1, c, cb); });
    EXPECT_STATUS(created, StoreStatus::Ok);
    const auto listed = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    QCOMPARE(listed->products.size(), 1);
    QCOMPARE(spy.size(), 1);
    QVERIFY(!QFile::exists(QStringLiteral(":memory:")));
    QVERIFY(QDir(m_dir->path()).isEmpty());
}

void TestProductRepository::reopenKeepsDataAndSchemaVersion()
{
    QList<Product> before;
    {
        auto repo = openRepo(dbPath());
        QVERIFY(repo);
        await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("One"), 1, c, cb); });
        const auto two = await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Two"), 2, c, cb); });
        await(
            [&](QObject *c, StoreCallback cb) { repo->update(two->product->id, QStringLiteral("Two!"), 3, 0, c, cb); });
        before = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); })->products;
    }
    {
        SideConnection side(dbPath());
        QCOMPARE(side.scalar(QStringLiteral("PRAGMA user_version")).toInt(), ProductRepository::SchemaVersion);
        QCOMPARE(side.scalar(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
    }
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setChangePollInterval(20);
    QSignalSpy spy(repo.get(), &ProductRepository::changed);
    const auto after = await([&](QObject *c, StoreCallback cb) { repo->list(c, cb); });
    QCOMPARE(after->products, before);
    QCOMPARE(after->products.at(1).version, qint64(2));
    // Old history is not replayed as news: the first thing the feed reports
    // is a fresh outside change, alone.
    SideConnection side(dbPath());
    QCOMPARE(side.scalar(QStringLiteral("PRAGMA user_version")).toInt(), ProductRepository::SchemaVersion);
    QVERIFY(side.exec(QStringLiteral("UPDATE products SET price = 9 WHERE id = ?"), { before.first().id }));
    QTRY_VERIFY_WITH_TIMEOUT(!spy.isEmpty(), WaitMs);
    const QList<ProductChange> changes = flatten(spy);
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.first().id, before.first().id);
    QCOMPARE(changes.first().version, qint64(2));
}

void TestProductRepository::migratesVersion1Schema()
{
    {
        SideConnection side(dbPath());
        QVERIFY(
            side.exec(QStringLiteral("CREATE TABLE products (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
                                     "price INTEGER NOT NULL CHECK (price >= 0), version INTEGER NOT NULL DEFAULT 1, "
                                     "updated_at TEXT NOT NULL)")));
        QVERIFY(side.exec(QStringLiteral("INSERT INTO products (id, name, price, version, updated_at) "
                                         "VALUES (3, 'Legacy', 10, 4, '2020-01-01T00:00:00.000Z')")));
        QVERIFY(side.exec(QStringLiteral("PRAGMA user_version = 1")));
    }
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    const auto got = await([&](QObject *c, StoreCallback cb) { repo->get(3, c, cb); });
    EXPECT_STATUS(got, StoreStatus::Ok);
    QCOMPARE(got->product->version, qint64(4));
    QSignalSpy spy(repo.get(), &ProductRepository::changed);
    EXPECT_STATUS(
        await([&](QObject *c, StoreCallback cb) { repo->update(3, QStringLiteral("Legacy v5"), 11, 4, c, cb); }),
        StoreStatus::Ok);
    QCOMPARE(spy.size(), 1); // the triggers were installed by the migration
    SideConnection side(dbPath());
    QCOMPARE(side.scalar(QStringLiteral("PRAGMA user_version")).toInt(), ProductRepository::SchemaVersion);
}

void TestProductRepository::newerSchemaIsRefused()
{
    {
        SideConnection side(dbPath());
        QVERIFY(side.exec(QStringLiteral("PRAGMA user_version = 99")));
    }
    ProductRepository repo(dbPath());
    const auto r = await([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
    EXPECT_STATUS(r, StoreStatus::Error);
    QVERIFY2(r->error.contains(QStringLiteral("newer")), qPrintable(r->error));
    QVERIFY(!repo.isOpen());
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo.list(c, cb); }), StoreStatus::Error);
}

void TestProductRepository::notADatabaseIsAnError()
{
    QFile junk(dbPath());
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write(QByteArray(4096, 'x'));
    junk.close();
    ProductRepository repo(dbPath());
    const auto r = await([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
    EXPECT_STATUS(r, StoreStatus::Error);
    QVERIFY2(r->error.contains(QStringLiteral("not a valid SQLite database")), qPrintable(r->error));
    QCOMPARE(junk.size(), qint64(4096)); // not overwritten
}

void TestProductRepository::readOnlyFileGivesError()
{
    {
        auto repo = openRepo(dbPath());
        QVERIFY(repo);
        EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("Keep me"), 1, c, cb); }),
            StoreStatus::Ok);
    }
    QVERIFY(QFile::setPermissions(dbPath(), QFile::ReadOwner | QFile::ReadUser | QFile::ReadGroup | QFile::ReadOther));
    QVERIFY(QFile::setPermissions(m_dir->path(),
        QFile::ReadOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther));

    ProductRepository repo(dbPath());
    const auto opened = await([&](QObject *c, StoreCallback cb) { repo.open(c, cb); });
    QVERIFY(opened.has_value());
    std::optional<StoreResult> write;
    if (opened->ok()) {
        QVERIFY(repo.isReadOnly());
        const auto listed = await([&](QObject *c, StoreCallback cb) { repo.list(c, cb); });
        EXPECT_STATUS(listed, StoreStatus::Ok); // reading still works
        QCOMPARE(listed->products.size(), 1);
        write = await([&](QObject *c, StoreCallback cb) { repo.create(QStringLiteral("Must not land"), 2, c, cb); });
    } else {
        write = opened; // refusing to open is an acceptable answer too
    }
    EXPECT_STATUS(write, StoreStatus::Error);
    QVERIFY2(write->error.contains(QStringLiteral("read-only")), qPrintable(write->error));
    QVERIFY(!write->product.has_value());
    QCOMPARE(write->rowsAffected, 0);

    const auto update
        = await([&](QObject *c, StoreCallback cb) { repo.update(1, QStringLiteral("Nope"), 3, 0, c, cb); });
    EXPECT_STATUS(update, StoreStatus::Error);

    QVERIFY(QFile::setPermissions(m_dir->path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    QVERIFY(QFile::setPermissions(dbPath(), QFile::ReadOwner | QFile::WriteOwner));
    SideConnection side(dbPath());
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM products")).toLongLong(), qint64(1));
    QCOMPARE(side.scalar(QStringLiteral("SELECT name FROM products")).toString(), QStringLiteral("Keep me"));
}

void TestProductRepository::destructorFinishesQueuedJobs()
{
    auto repo = openRepo(dbPath());
    QVERIFY(repo);
    repo->setArtificialLatency(2000);
    auto *context = new QObject;
    int called = 0;
    for (int i = 0; i < 5; ++i)
        repo->create(QStringLiteral("Queued %1").arg(i), i, context, [&called](const StoreResult &) { ++called; });
    delete context;
    QElapsedTimer clock;
    clock.start();
    repo.reset(); // must neither crash nor wait out 5 x 2 s of artificial latency
    QVERIFY2(clock.elapsed() < 3000, qPrintable(QString::number(clock.elapsed())));
    QCoreApplication::processEvents();
    QCOMPARE(called, 0);

    auto reopened = openRepo(dbPath());
    QVERIFY(reopened);
    const auto listed = await([&](QObject *c, StoreCallback cb) { reopened->list(c, cb); });
    QCOMPARE(listed->products.size(), 5); // queued writes were not lost
}

QTEST_GUILESS_MAIN(TestProductRepository)
#include "tst_productrepository.moc"
