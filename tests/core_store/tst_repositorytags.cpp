// Tests for ProductRepository's tags and search (schema version 3) on real
// SQLite files: the migration from version 2, tag validation and
// normalisation, the delete cascade (also for deletes made by another
// program), FTS5 search kept in step by triggers, and hostile search text.
#include "awaitcallback.h"
#include "productrepository.h"
#include "tagvalidator.h"

#include <memory>
#include <optional>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

namespace {

constexpr int WaitMs = 10000;

template<typename Call> std::optional<StoreResult> await(Call &&call)
{
    return TestSupport::await<StoreResult>(std::forward<Call>(call), WaitMs);
}

QByteArray describe(const std::optional<StoreResult> &r)
{
    if (!r)
        return "no callback within the timeout";
    return QStringLiteral("status %1: %2").arg(int(r->status)).arg(r->error).toUtf8();
}

#define EXPECT_STATUS(result, expected)                                                                                \
    do {                                                                                                               \
        const std::optional<StoreResult> checked_ = (result);                                                          \
        QVERIFY2(checked_.has_value() && checked_->status == (expected), describe(checked_).constData());              \
    } while (false)

// "Another program" on the same file (the sqlite3 shell).
class SideConnection final
{
public:
    explicit SideConnection(const QString &path)
        : m_name(QStringLiteral("tags-side-%1").arg(++s_counter))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        db.open();
    }
    ~SideConnection()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(m_name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_name);
    }
    bool exec(const QString &sql)
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        const bool ok = q.exec(sql);
        if (!ok)
            qWarning() << sql << q.lastError().text();
        return ok;
    }
    QVariant scalar(const QString &sql)
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(sql) || !q.next())
            return {};
        return q.value(0);
    }

private:
    static inline int s_counter = 0;
    QString m_name;
};

QStringList names(const QList<Product> &products)
{
    QStringList out;
    for (const Product &p : products)
        out << p.name;
    return out;
}

} // namespace

class TestRepositoryTags final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void migratesVersion2Schema();
    void setTagsNormalisesAndReplaces();
    void invalidTagsChangeNothing();
    void deletingAProductDropsItsTags();
    void searchMatchesWordsAndPrefix();
    void searchFollowsRenamesByAnyWriter();
    void priceOnlySavesLeaveTheIndexAlone();
    void hostileSearchTextIsNeverAnError_data();
    void hostileSearchTextIsNeverAnError();
    void overlongSearchIsInvalid();
    void productsByIdsSkipsMissing();

private:
    QString dbPath() const { return m_dir->filePath(QStringLiteral("products.db")); }
    std::unique_ptr<ProductRepository> openRepo();
    Product create(ProductRepository &repo, const QString &name);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestRepositoryTags::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestRepositoryTags::cleanup()
{
    m_dir.reset();
}

std::unique_ptr<ProductRepository> TestRepositoryTags::openRepo()
{
    auto repo = std::make_unique<ProductRepository>(dbPath());
    repo->setChangePollInterval(0);
    const auto r = await([&](QObject *c, StoreCallback cb) { repo->open(c, cb); });
    if (!r || !r->ok()) {
        qWarning() << describe(r);
        return nullptr;
    }
    return repo;
}

Product TestRepositoryTags::create(ProductRepository &repo, const QString &name)
{
    const auto r = await([&](QObject *c, StoreCallback cb) { repo.create(name, 100, c, cb); });
    return r && r->product ? *r->product : Product {};
}

void TestRepositoryTags::migratesVersion2Schema()
{
    {
        // The version 2 schema as CacheLab created it, with rows in it.
        SideConnection side(dbPath());
        QVERIFY(side.exec(QStringLiteral("CREATE TABLE products (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                                         "name TEXT NOT NULL, price INTEGER NOT NULL CHECK (price >= 0), "
                                         "version INTEGER NOT NULL DEFAULT 1, updated_at TEXT NOT NULL DEFAULT '')")));
        QVERIFY(side.exec(QStringLiteral("CREATE TABLE product_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                                         "product_id INTEGER NOT NULL, kind TEXT NOT NULL, version INTEGER NOT NULL, "
                                         "at TEXT NOT NULL DEFAULT '')")));
        QVERIFY(side.exec(QStringLiteral("CREATE TRIGGER products_log_insert AFTER INSERT ON products BEGIN "
                                         "INSERT INTO product_changes (product_id, kind, version) "
                                         "VALUES (NEW.id, 'insert', NEW.version); END")));
        QVERIFY(side.exec(QStringLiteral("INSERT INTO products (id, name, price) VALUES (4, 'Blue Mug', 10), "
                                         "(9, 'Garden Hose', 20)")));
        QVERIFY(side.exec(QStringLiteral("PRAGMA user_version = 2")));
    }
    auto repo = openRepo();
    QVERIFY(repo);
    {
        SideConnection side(dbPath());
        QCOMPARE(side.scalar(QStringLiteral("PRAGMA user_version")).toInt(), ProductRepository::SchemaVersion);
        QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM product_tags")).toInt(), 0);
        // Step 3 created the index's triggers, step 5 replaced the update one.
        QVERIFY(side.scalar(QStringLiteral("SELECT sql FROM sqlite_master WHERE name = 'products_fts_update'"))
                    .toString()
                    .contains(QLatin1String("WHEN OLD.name IS NOT NEW.name")));
    }
    // Rows from before the migration are in the new index.
    const auto found = await([&](QObject *c, StoreCallback cb) { repo->search(QStringLiteral("mug"), 10, c, cb); });
    EXPECT_STATUS(found, StoreStatus::Ok);
    QVERIFY(found->fullText);
    QCOMPARE(names(found->products), QStringList { QStringLiteral("Blue Mug") });
    // And the new table works on old rows.
    const auto tagged
        = await([&](QObject *c, StoreCallback cb) { repo->setTags(9, { QStringLiteral("garden") }, c, cb); });
    EXPECT_STATUS(tagged, StoreStatus::Ok);
    const auto byTag
        = await([&](QObject *c, StoreCallback cb) { repo->productsWithTag(QStringLiteral("garden"), c, cb); });
    EXPECT_STATUS(byTag, StoreStatus::Ok);
    QCOMPARE(names(byTag->products), QStringList { QStringLiteral("Garden Hose") });
}

void TestRepositoryTags::setTagsNormalisesAndReplaces()
{
    auto repo = openRepo();
    QVERIFY(repo);
    const Product p = create(*repo, QStringLiteral("Kettle"));
    QVERIFY(p.id > 0);
    QSignalSpy spy(repo.get(), &ProductRepository::tagsChanged);

    const auto first = await([&](QObject *c, StoreCallback cb) {
        repo->setTags(p.id, { QStringLiteral("  Sale "), QStringLiteral("kitchen"), QStringLiteral("SALE") }, c, cb);
    });
    EXPECT_STATUS(first, StoreStatus::Ok);
    QCOMPARE(first->tags, (QStringList { QStringLiteral("kitchen"), QStringLiteral("sale") }));
    QVERIFY(first->previousTags.isEmpty());
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.at(0).at(0).toLongLong(), p.id);

    const auto read = await([&](QObject *c, StoreCallback cb) { repo->tagsOf(p.id, c, cb); });
    EXPECT_STATUS(read, StoreStatus::Ok);
    QCOMPARE(read->tags, first->tags);

    const auto second
        = await([&](QObject *c, StoreCallback cb) { repo->setTags(p.id, { QStringLiteral("new-in_2") }, c, cb); });
    EXPECT_STATUS(second, StoreStatus::Ok);
    QCOMPARE(second->previousTags, first->tags);
    QCOMPARE(spy.size(), 2);
    QStringList affected = spy.at(1).at(1).toStringList();
    affected.sort();
    QCOMPARE(affected, (QStringList { QStringLiteral("kitchen"), QStringLiteral("new-in_2"), QStringLiteral("sale") }));

    const auto sale
        = await([&](QObject *c, StoreCallback cb) { repo->productsWithTag(QStringLiteral("sale"), c, cb); });
    EXPECT_STATUS(sale, StoreStatus::Ok);
    QVERIFY(sale->products.isEmpty());
    const auto fresh
        = await([&](QObject *c, StoreCallback cb) { repo->productsWithTag(QStringLiteral(" NEW-in_2"), c, cb); });
    EXPECT_STATUS(fresh, StoreStatus::Ok);
    QCOMPARE(fresh->products.size(), 1);

    const Product other = create(*repo, QStringLiteral("Toaster"));
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) {
        repo->setTags(other.id, { QStringLiteral("new-in_2"), QStringLiteral("kitchen") }, c, cb);
    }),
        StoreStatus::Ok);
    const auto all = await([&](QObject *c, StoreCallback cb) { repo->allTags(c, cb); });
    EXPECT_STATUS(all, StoreStatus::Ok);
    const QList<QPair<QString, qint64>> expected { { QStringLiteral("kitchen"), 1 },
        { QStringLiteral("new-in_2"), 2 } };
    QCOMPARE(all->tagCounts, expected);

    // An empty list clears the tags.
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->setTags(p.id, {}, c, cb); }), StoreStatus::Ok);
    const auto cleared = await([&](QObject *c, StoreCallback cb) { repo->tagsOf(p.id, c, cb); });
    EXPECT_STATUS(cleared, StoreStatus::Ok);
    QVERIFY(cleared->tags.isEmpty());
}

void TestRepositoryTags::invalidTagsChangeNothing()
{
    auto repo = openRepo();
    QVERIFY(repo);
    const Product p = create(*repo, QStringLiteral("Lamp"));
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->setTags(p.id, { QStringLiteral("light") }, c, cb); }),
        StoreStatus::Ok);
    QSignalSpy spy(repo.get(), &ProductRepository::tagsChanged);

    QStringList tooMany;
    for (int i = 0; i <= TagValidator::MaxTagsPerProduct; ++i)
        tooMany << QStringLiteral("t%1").arg(i);
    const QList<QStringList> bad {
        { QStringLiteral("ok"), QStringLiteral("bad tag") },
        { QStringLiteral("caf\u00e9") },
        { QStringLiteral("a;b") },
        { QStringLiteral("   ") },
        { QString(TagValidator::MaxTagLength + 1, QLatin1Char('x')) },
        { QStringLiteral("tag:*") },
        tooMany,
    };
    for (const QStringList &tags : bad) {
        const auto r = await([&](QObject *c, StoreCallback cb) { repo->setTags(p.id, tags, c, cb); });
        EXPECT_STATUS(r, StoreStatus::Invalid);
        QVERIFY(!r->fieldErrors.isEmpty());
        QCOMPARE(r->fieldErrors.first().field, QStringLiteral("tags"));
        QVERIFY(!r->error.isEmpty());
    }
    // Exactly the maximum length is fine.
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) {
        repo->setTags(p.id, { QStringLiteral("light"), QString(TagValidator::MaxTagLength, QLatin1Char('x')) }, c, cb);
    }),
        StoreStatus::Ok);
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->setTags(p.id, { QStringLiteral("light") }, c, cb); }),
        StoreStatus::Ok);
    spy.clear();

    const auto missing
        = await([&](QObject *c, StoreCallback cb) { repo->setTags(p.id + 100, { QStringLiteral("x") }, c, cb); });
    EXPECT_STATUS(missing, StoreStatus::NotFound);
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->setTags(0, { QStringLiteral("x") }, c, cb); }),
        StoreStatus::Invalid);

    const auto still = await([&](QObject *c, StoreCallback cb) { repo->tagsOf(p.id, c, cb); });
    EXPECT_STATUS(still, StoreStatus::Ok);
    QCOMPARE(still->tags, QStringList { QStringLiteral("light") });
    QCOMPARE(spy.size(), 0);
    SideConnection side(dbPath());
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM product_tags")).toInt(), 1);
}

void TestRepositoryTags::deletingAProductDropsItsTags()
{
    auto repo = openRepo();
    QVERIFY(repo);
    const Product a = create(*repo, QStringLiteral("Chair"));
    const Product b = create(*repo, QStringLiteral("Table"));
    for (const qint64 id : { a.id, b.id }) {
        EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) {
            repo->setTags(id, { QStringLiteral("furniture"), QStringLiteral("wood") }, c, cb);
        }),
            StoreStatus::Ok);
    }
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->remove(a.id, c, cb); }), StoreStatus::Ok);
    const auto left
        = await([&](QObject *c, StoreCallback cb) { repo->productsWithTag(QStringLiteral("furniture"), c, cb); });
    EXPECT_STATUS(left, StoreStatus::Ok);
    QCOMPARE(names(left->products), QStringList { QStringLiteral("Table") });
    EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) { repo->tagsOf(a.id, c, cb); }), StoreStatus::NotFound);

    // A delete from another program (no foreign_keys pragma there) cascades too.
    SideConnection side(dbPath());
    QVERIFY(side.exec(QStringLiteral("DELETE FROM products WHERE id = %1").arg(b.id)));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM product_tags")).toInt(), 0);
}

void TestRepositoryTags::searchMatchesWordsAndPrefix()
{
    auto repo = openRepo();
    QVERIFY(repo);
    create(*repo, QStringLiteral("Blue Mug"));
    create(*repo, QStringLiteral("Mug Rack"));
    create(*repo, QStringLiteral("Caf\u00e9 Teapot"));
    auto search = [&](const QString &text) {
        return await([&](QObject *c, StoreCallback cb) { repo->search(text, 10, c, cb); });
    };
    auto sorted = [](QStringList l) {
        l.sort();
        return l;
    };

    const auto mu = search(QStringLiteral("mu"));
    EXPECT_STATUS(mu, StoreStatus::Ok);
    QCOMPARE(sorted(names(mu->products)), (QStringList { QStringLiteral("Blue Mug"), QStringLiteral("Mug Rack") }));
    const auto both = search(QStringLiteral("BLUE mu"));
    EXPECT_STATUS(both, StoreStatus::Ok);
    QCOMPARE(names(both->products), QStringList { QStringLiteral("Blue Mug") });
    // Only the last word is a prefix.
    const auto notPrefix = search(QStringLiteral("blu mug"));
    EXPECT_STATUS(notPrefix, StoreStatus::Ok);
    QVERIFY(notPrefix->products.isEmpty());
    // Diacritics folded.
    const auto cafe = search(QStringLiteral("cafe"));
    EXPECT_STATUS(cafe, StoreStatus::Ok);
    QCOMPARE(names(cafe->products), QStringList { QStringLiteral("Caf\u00e9 Teapot") });
    const auto limited = await([&](QObject *c, StoreCallback cb) { repo->search(QStringLiteral("mug"), 1, c, cb); });
    EXPECT_STATUS(limited, StoreStatus::Ok);
    QCOMPARE(limited->products.size(), 1);
}

void TestRepositoryTags::searchFollowsRenamesByAnyWriter()
{
    auto repo = openRepo();
    QVERIFY(repo);
    const Product p = create(*repo, QStringLiteral("Old Name"));
    EXPECT_STATUS(
        await([&](QObject *c, StoreCallback cb) { repo->update(p.id, QStringLiteral("Shiny Kettle"), 5, 0, c, cb); }),
        StoreStatus::Ok);
    auto search = [&](const QString &text) {
        return await([&](QObject *c, StoreCallback cb) { repo->search(text, 10, c, cb); });
    };
    QVERIFY(search(QStringLiteral("old"))->products.isEmpty());
    QCOMPARE(search(QStringLiteral("kettle"))->products.size(), 1);

    // The sqlite3 shell renames it (and the version trigger runs its own UPDATE).
    SideConnection side(dbPath());
    QVERIFY(side.exec(QStringLiteral("UPDATE products SET name = 'Copper Pan' WHERE id = %1").arg(p.id)));
    QVERIFY(search(QStringLiteral("kettle"))->products.isEmpty());
    QCOMPARE(names(search(QStringLiteral("copper"))->products), QStringList { QStringLiteral("Copper Pan") });
    // A price-only change leaves the index alone and the product findable.
    QVERIFY(side.exec(QStringLiteral("UPDATE products SET price = 7 WHERE id = %1").arg(p.id)));
    QCOMPARE(search(QStringLiteral("pan"))->products.size(), 1);
    QVERIFY(side.exec(QStringLiteral("DELETE FROM products WHERE id = %1").arg(p.id)));
    QVERIFY(search(QStringLiteral("copper"))->products.isEmpty());
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM products_fts")).toInt(), 0);
}

// Schema step 5: CacheLab's save assigns the name every time; the index is
// rewritten only when the name really changes. FTS5 stores its segments in
// products_fts_data, which every rewrite of an entry adds to.
void TestRepositoryTags::priceOnlySavesLeaveTheIndexAlone()
{
    auto repo = openRepo();
    QVERIFY(repo);
    const Product p = create(*repo, QStringLiteral("Blue Mug"));
    SideConnection side(dbPath());
    const auto segments = [&] {
        return side.scalar(QStringLiteral("SELECT COUNT(*) || ':' || total(length(block)) FROM products_fts_data"))
            .toString();
    };
    const QString before = segments();
    QVERIFY(!before.isEmpty());
    for (int price = 101; price <= 105; ++price) {
        EXPECT_STATUS(await([&](QObject *c, StoreCallback cb) {
            repo->update(p.id, QStringLiteral("Blue Mug"), price, 0, c, cb);
        }),
            StoreStatus::Ok);
    }
    QVERIFY(side.exec(QStringLiteral("UPDATE products SET name = name, price = 9 WHERE id = %1").arg(p.id)));
    QCOMPARE(segments(), before);
    QCOMPARE(side.scalar(QStringLiteral("SELECT price FROM products WHERE id = %1").arg(p.id)).toInt(), 9);

    EXPECT_STATUS(
        await([&](QObject *c, StoreCallback cb) { repo->update(p.id, QStringLiteral("Red Mug"), 9, 0, c, cb); }),
        StoreStatus::Ok);
    QVERIFY(segments() != before);
    const auto found = await([&](QObject *c, StoreCallback cb) { repo->search(QStringLiteral("red"), 10, c, cb); });
    QCOMPARE(names(found->products), QStringList { QStringLiteral("Red Mug") });
    const auto gone = await([&](QObject *c, StoreCallback cb) { repo->search(QStringLiteral("blue"), 10, c, cb); });
    QVERIFY(gone->products.isEmpty());
}

void TestRepositoryTags::hostileSearchTextIsNeverAnError_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("expectedHits"); // -1: any number, just no error
    QTest::newRow("quote") << QStringLiteral("\"") << 0;
    QTest::newRow("unbalanced") << QStringLiteral("\"mug") << 1;
    QTest::newRow("operators") << QStringLiteral("AND OR NOT") << 0;
    QTest::newRow("near") << QStringLiteral("NEAR(mug rack, 2)") << 0;
    QTest::newRow("column filter") << QStringLiteral("name:mug") << 0;
    QTest::newRow("star only") << QStringLiteral("*") << 0;
    QTest::newRow("caret") << QStringLiteral("^mug") << 1;
    QTest::newRow("star quote star") << QStringLiteral("mug*\"*") << 1;
    QTest::newRow("parens") << QStringLiteral("( ) {mug rack}") << 0;
    QTest::newRow("sql injection") << QStringLiteral("'; DROP TABLE products; --") << 0;
    QTest::newRow("like wildcards") << QStringLiteral("% _ \\") << 0;
    QTest::newRow("controls") << QStringLiteral("mug\u0001\n\t\u0000") << 1;
    QTest::newRow("lone surrogate") << QString(QChar(0xD800)) + QStringLiteral("mug") << 1;
    QTest::newRow("emoji") << QStringLiteral("\U0001F375") << 0;
    QTest::newRow("minus") << QStringLiteral("-mug") << 1;
    QTest::newRow("plus") << QStringLiteral("+") << 0;
    QTest::newRow("empty") << QString() << 0;
    QTest::newRow("spaces") << QStringLiteral("    ") << 0;
    QTest::newRow("max length") << QString(200, QLatin1Char('m')) << 0;
}

void TestRepositoryTags::hostileSearchTextIsNeverAnError()
{
    QFETCH(QString, text);
    QFETCH(int, expectedHits);
    auto repo = openRepo();
    QVERIFY(repo);
    create(*repo, QStringLiteral("Blue Mug"));
    const auto r = await([&](QObject *c, StoreCallback cb) { repo->search(text, 10, c, cb); });
    EXPECT_STATUS(r, StoreStatus::Ok);
    if (expectedHits >= 0)
        QCOMPARE(r->products.size(), expectedHits);
    SideConnection side(dbPath());
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM products")).toInt(), 1);
}

void TestRepositoryTags::overlongSearchIsInvalid()
{
    auto repo = openRepo();
    QVERIFY(repo);
    const auto longText = await([&](QObject *c, StoreCallback cb) { repo->search(QString(201, u'a'), 10, c, cb); });
    EXPECT_STATUS(longText, StoreStatus::Invalid);
    QCOMPARE(longText->fieldErrors.first().field, QStringLiteral("query"));
    const auto manyWords
        = await([&](QObject *c, StoreCallback cb) { repo->search(QStringLiteral("a b c d e f g h i"), 10, c, cb); });
    EXPECT_STATUS(manyWords, StoreStatus::Invalid);
}

void TestRepositoryTags::productsByIdsSkipsMissing()
{
    auto repo = openRepo();
    QVERIFY(repo);
    const Product a = create(*repo, QStringLiteral("A"));
    const Product b = create(*repo, QStringLiteral("B"));
    const auto r = await([&](QObject *c, StoreCallback cb) { repo->productsByIds({ b.id, 999, a.id }, c, cb); });
    EXPECT_STATUS(r, StoreStatus::Ok);
    QCOMPARE(names(r->products), (QStringList { QStringLiteral("A"), QStringLiteral("B") }));
    EXPECT_STATUS(
        await([&](QObject *c, StoreCallback cb) { repo->productsByIds({ -1 }, c, cb); }), StoreStatus::Invalid);
}

QTEST_GUILESS_MAIN(TestRepositoryTags)
#include "tst_repositorytags.moc"
