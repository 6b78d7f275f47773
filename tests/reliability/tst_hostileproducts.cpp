// Hostile product input: a data-driven table and a seeded randomized run of
// 10,000 names and prices (control characters, invalid UTF-8 after decoding,
// lone surrogates, 1 MB names, emoji, right-to-left text, SQL injection,
// prices and ids at and beyond the 64-bit limits) through ProductValidator
// and ProductRepository on a real SQLite file. Valid input must round-trip
// exactly; invalid input must get a clear error and change nothing.
//
// The verdict is checked against an oracle written independently of the
// validator (QChar categories, QStringView::isValidUtf16, toUcs4).
#include "awaitcallback.h"
#include "hostileinput.h"
#include "productrepository.h"
#include "productvalidator.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <limits>

using TestSupport::await;
using namespace hostile;

namespace {

QByteArray statusText(const std::optional<StoreResult> &r)
{
    if (!r)
        return "no callback within the timeout";
    return QString(QString::number(int(r->status)) + QStringLiteral(" ") + r->error).left(300).toUtf8();
}

} // namespace

class TestHostileProducts final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ProductRepository> m_repo;
    int m_dbCounter = 0;

    std::unique_ptr<ProductRepository> openRepo()
    {
        auto repo
            = std::make_unique<ProductRepository>(m_dir.filePath(QStringLiteral("db%1.sqlite").arg(++m_dbCounter)));
        repo->setChangePollInterval(0);
        const auto r = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo->open(c, cb); });
        return r && r->ok() ? std::move(repo) : nullptr;
    }

    QList<Product> listAll(ProductRepository &repo)
    {
        const auto r = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo.list(c, cb); }, 30000);
        return r && r->ok() ? r->products : QList<Product>();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_repo = openRepo();
        QVERIFY(m_repo);
    }

    void nameTable_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("stored");

        QTest::newRow("plain") << QStringLiteral("Coffee") << true << QStringLiteral("Coffee");
        QTest::newRow("trimmed") << QStringLiteral("  Tea \t") << true << QStringLiteral("Tea");
        QTest::newRow("leading BOM") << QString(QChar(0xFEFF)) + QStringLiteral(" Soap") << true
                                     << QStringLiteral("Soap");
        QTest::newRow("BOM only") << QString(QChar(0xFEFF)) << false << QString();
        QTest::newRow("inner BOM kept") << QStringLiteral("a") + QChar(0xFEFF) + QStringLiteral("b") << true
                                        << QStringLiteral("a") + QChar(0xFEFF) + QStringLiteral("b");
        QTest::newRow("empty") << QString() << false << QString();
        QTest::newRow("spaces only") << QStringLiteral(" \t\n ") << false << QString();
        QTest::newRow("nul inside") << QStringLiteral("a") + QChar(0) + QStringLiteral("b") << false << QString();
        QTest::newRow("newline inside") << QStringLiteral("a\nb") << false << QString();
        QTest::newRow("escape") << QStringLiteral("a\x1b[31mred") << false << QString();
        QTest::newRow("DEL") << QStringLiteral("a\x7f") << false << QString();
        QTest::newRow("C1 0x9B") << QStringLiteral("a") + QChar(0x9B) + QStringLiteral("b") << false << QString();
        QTest::newRow("lone high surrogate")
            << QStringLiteral("a") + QChar(0xD83D) + QStringLiteral("b") << false << QString();
        QTest::newRow("lone low surrogate at end") << QStringLiteral("ab") + QChar(0xDE00) << false << QString();
        const QString decoded = QString::fromUtf8("bad \xC3\x28 \xFF\xFE utf8");
        QTest::newRow("invalid UTF-8, decoded") << decoded << true << decoded;
        QTest::newRow("emoji") << QString::fromUtf8("Cake 🎂🍰") << true << QString::fromUtf8("Cake 🎂🍰");
        QTest::newRow("ZWJ family") << QString::fromUtf8("👨‍👩‍👧‍👦") << true
                                    << QString::fromUtf8("👨‍👩‍👧‍👦");
        QTest::newRow("hebrew") << QString::fromUtf8("מוצר חדש") << true << QString::fromUtf8("מוצר חדש");
        QTest::newRow("arabic + RLO") << QString::fromUtf8("منتج \u202Egnp.exe") << true
                                      << QString::fromUtf8("منتج \u202Egnp.exe");
        for (const QString &s : sqlInjections())
            QTest::newRow(qPrintable(QStringLiteral("sql: ") + s.left(20))) << s << true << s;
        QTest::newRow("100 emoji (200 UTF-16 units)")
            << QString::fromUtf8("😀").repeated(100) << true << QString::fromUtf8("😀").repeated(100);
        QTest::newRow("101 chars") << QString(101, u'x') << false << QString();
        QTest::newRow("1 MB") << QString(1024 * 1024, u'x') << false << QString();
        QTest::newRow("1 MB of spaces") << QString(1024 * 1024, u' ') << false << QString();
    }

    void nameTable()
    {
        QFETCH(QString, name);
        QFETCH(bool, valid);
        QFETCH(QString, stored);

        QString oracleStored;
        QCOMPARE(oracleNameValid(name, &oracleStored), valid);

        const auto before = listAll(*m_repo);
        const auto r = await<StoreResult>([&](QObject *c, StoreCallback cb) { m_repo->create(name, 1250, c, cb); });
        QVERIFY2(r, "no callback");
        if (valid) {
            QVERIFY2(r->ok(), statusText(r).constData());
            QVERIFY(r->product);
            const auto got
                = await<StoreResult>([&](QObject *c, StoreCallback cb) { m_repo->get(r->product->id, c, cb); });
            QVERIFY(got && got->ok() && got->product);
            QCOMPARE(got->product->name, stored);
            QCOMPARE(got->product->price, qint64(1250));
        } else {
            QCOMPARE(r->status, StoreStatus::Invalid);
            QVERIFY(!r->fieldErrors.isEmpty());
            QCOMPARE(r->fieldErrors.first().field, QStringLiteral("name"));
            QVERIFY(!r->error.isEmpty());
            // A person can read the message: bounded length, no raw control chars.
            QVERIFY2(r->error.size() < 300, qPrintable(r->error.left(300)));
            for (const QChar c : r->error)
                QVERIFY(QChar::category(c.unicode()) != QChar::Other_Control);
            QCOMPARE(listAll(*m_repo), before);
        }
    }

    void priceAndIdLimits()
    {
        auto repo = openRepo();
        QVERIFY(repo);
        const auto max = await<StoreResult>(
            [&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("max"), I64Max, c, cb); });
        QVERIFY2(max && max->ok(), statusText(max).constData());
        const qint64 id = max->product->id;
        const auto got = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo->get(id, c, cb); });
        QVERIFY(got && got->product);
        QCOMPARE(got->product->price, I64Max);

        for (const qint64 bad : { qint64(-1), I64Min }) {
            const auto r = await<StoreResult>(
                [&](QObject *c, StoreCallback cb) { repo->update(id, QStringLiteral("x"), bad, 0, c, cb); });
            QVERIFY(r);
            QCOMPARE(r->status, StoreStatus::Invalid);
            QCOMPARE(r->fieldErrors.value(0).field, QStringLiteral("price"));
        }
        for (const qint64 badId : { qint64(0), qint64(-1), I64Min }) {
            const auto r = await<StoreResult>(
                [&](QObject *c, StoreCallback cb) { repo->update(badId, QStringLiteral("x"), 1, 0, c, cb); });
            QVERIFY(r);
            QCOMPARE(r->status, StoreStatus::Invalid);
            QCOMPARE(r->fieldErrors.value(0).field, QStringLiteral("id"));
            const auto u = await<StoreResult>(
                [&](QObject *c, StoreCallback cb) { repo->upsert(badId, QStringLiteral("x"), 1, c, cb); });
            QVERIFY(u);
            QCOMPARE(u->status, StoreStatus::Invalid);
            const auto g = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo->get(badId, c, cb); });
            QVERIFY(g);
            QVERIFY(g->status == StoreStatus::NotFound || g->status == StoreStatus::Invalid);
            const auto d = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo->remove(badId, c, cb); });
            QVERIFY(d);
            QVERIFY(d->status != StoreStatus::Ok || d->rowsAffected == 0);
        }
        // The largest id there is (2^63 - 1): stored and read back exactly;
        // the next create must not crash or corrupt anything either way.
        const auto top = await<StoreResult>(
            [&](QObject *c, StoreCallback cb) { repo->upsert(I64Max, QStringLiteral("top"), 5, c, cb); });
        QVERIFY2(top && top->ok(), statusText(top).constData());
        QCOMPARE(top->product->id, I64Max);
        const auto next = await<StoreResult>(
            [&](QObject *c, StoreCallback cb) { repo->create(QStringLiteral("after top"), 6, c, cb); });
        QVERIFY(next);
        if (next->ok()) {
            QVERIFY(next->product->id != I64Max && next->product->id > 0);
        } else {
            QCOMPARE(next->status, StoreStatus::Error);
            QVERIFY(!next->error.isEmpty());
        }
        const QList<Product> rows = listAll(*repo);
        QCOMPARE(rows.size(), next->ok() ? 3 : 2);
        QCOMPARE(rows.last().id, I64Max);

        // Price text at and beyond the limit.
        qint64 parsed = -1;
        QVERIFY(ProductValidator::parsePrice(QStringLiteral("9223372036854775807"), &parsed).isEmpty());
        QCOMPARE(parsed, I64Max);
        for (const QString &text : { QStringLiteral("9223372036854775808"), QStringLiteral("99999999999999999999999"),
                 QStringLiteral("-0"), QStringLiteral("-9223372036854775808"), QStringLiteral("1e3"),
                 QStringLiteral("12.50"), QString::fromUtf8("١٢٣"), QString::fromUtf8("１２３"), QStringLiteral("0x10"),
                 QString(), QStringLiteral("+5") }) {
            const auto errors = ProductValidator::parsePrice(text, &parsed);
            QVERIFY2(!errors.isEmpty(), qPrintable(text));
            QCOMPARE(errors.first().field, QStringLiteral("price"));
        }
    }

    // 10,000 seeded random inputs: every verdict matches the oracle, every
    // valid one is stored exactly, every invalid one is refused with a
    // message and leaves the table as it was.
    void randomized10k()
    {
        const quint32 seed = qEnvironmentVariableIsSet("CACHELAB_SEED")
            ? quint32(qEnvironmentVariableIntValue("CACHELAB_SEED"))
            : QRandomGenerator::global()->generate();
        qInfo("randomized10k seed %u (set CACHELAB_SEED to repeat)", seed);
        QRandomGenerator rng(seed);
        auto repo = openRepo();
        QVERIFY(repo);

        constexpr int Count = 10000;
        struct Input
        {
            QString name;
            qint64 price = 0;
            bool valid = false;
            QString stored;
        };
        QList<Input> inputs;
        inputs.reserve(Count);
        int validCount = 0;
        for (int i = 0; i < Count; ++i) {
            Input in;
            in.name = randomName(rng);
            in.price = randomPrice(rng);
            in.valid = oracleNameValid(in.name, &in.stored) && in.price >= 0;
            QString normalised = in.name;
            const bool validatorSays = ProductValidator::validate(0, normalised, in.price, false).isEmpty();
            QVERIFY2(validatorSays == in.valid,
                qPrintable(QStringLiteral("input %1 (seed %2): validator %3, oracle %4")
                               .arg(i)
                               .arg(seed)
                               .arg(validatorSays)
                               .arg(in.valid)));
            if (in.valid) {
                QCOMPARE(normalised, in.stored);
                ++validCount;
            }
            inputs << std::move(in);
        }

        // All creates in flight at once; results arrive in call order.
        QList<std::optional<StoreResult>> results(Count);
        QObject context;
        int done = 0;
        for (int i = 0; i < Count; ++i) {
            repo->create(inputs.at(i).name, inputs.at(i).price, &context, [&results, &done, i](const StoreResult &r) {
                results[i] = r;
                ++done;
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(done, Count, 150000);

        QHash<qint64, int> byId;
        for (int i = 0; i < Count; ++i) {
            const StoreResult &r = *results.at(i);
            if (inputs.at(i).valid) {
                QVERIFY2(r.ok() && r.product, statusText(results.at(i)).constData());
                QVERIFY(!byId.contains(r.product->id));
                byId.insert(r.product->id, i);
            } else {
                QCOMPARE(r.status, StoreStatus::Invalid);
                QVERIFY(!r.fieldErrors.isEmpty());
                QVERIFY(!r.error.isEmpty() && r.error.size() < 600);
                QVERIFY(r.rowsAffected == 0);
            }
        }

        const QList<Product> rows = listAll(*repo);
        QCOMPARE(rows.size(), validCount);
        for (const Product &p : rows) {
            QVERIFY(byId.contains(p.id));
            const Input &in = inputs.at(byId.value(p.id));
            QCOMPARE(p.name, in.stored);
            QCOMPARE(p.price, in.price);
            QCOMPARE(p.version, qint64(1));
        }
        qInfo("randomized10k: %d inputs, %d valid stored exactly, %d refused", Count, validCount, Count - validCount);

        // Invalid updates over existing rows change nothing.
        if (!rows.isEmpty()) {
            const Product target = rows.first();
            int refused = 0;
            for (int i = 0; i < 300; ++i) {
                const QString name = randomName(rng);
                const qint64 price = randomPrice(rng);
                QString stored;
                if (oracleNameValid(name, &stored) && price >= 0)
                    continue;
                const auto r = await<StoreResult>(
                    [&](QObject *c, StoreCallback cb) { repo->update(target.id, name, price, 0, c, cb); });
                QVERIFY(r);
                QCOMPARE(r->status, StoreStatus::Invalid);
                ++refused;
            }
            const auto after = await<StoreResult>([&](QObject *c, StoreCallback cb) { repo->get(target.id, c, cb); });
            QVERIFY(after && after->product);
            QCOMPARE(*after->product, target);
            QVERIFY(refused > 0);
        }
    }
};

QTEST_GUILESS_MAIN(TestHostileProducts)
#include "tst_hostileproducts.moc"
