// Tests for ProductValidator: tables of names, prices, price texts and ids,
// each with the verdict and the words a person should see.
#include "productvalidator.h"

#include <limits>
#include <QTest>

class TestProductValidator final : public QObject
{
    Q_OBJECT

private slots:
    void name_data();
    void name();
    void exactLengthMessage();
    void price_data();
    void price();
    void parsePrice_data();
    void parsePrice();
    void id_data();
    void id();
    void validateCombines();
};

namespace {

QString repeated(const QString &piece, int times)
{
    QString s;
    for (int i = 0; i < times; ++i)
        s += piece;
    return s;
}

} // namespace

void TestProductValidator::name_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("normalised"); // when valid
    QTest::addColumn<QString>("messagePart"); // when invalid

    const QString thumbsUp = QString::fromUtf8("\xF0\x9F\x91\x8D"); // U+1F44D, two UTF-16 units

    QTest::newRow("plain") << QStringLiteral("Espresso machine") << true << QStringLiteral("Espresso machine")
                           << QString();
    QTest::newRow("trimmed") << QStringLiteral("  Espresso  ") << true << QStringLiteral("Espresso") << QString();
    QTest::newRow("leading byte-order mark dropped") << QString(QChar(0xFEFF)) + QStringLiteral(" Espresso") << true
                                                     << QStringLiteral("Espresso") << QString();
    QTest::newRow("empty") << QString() << false << QString() << QStringLiteral("must not be empty");
    QTest::newRow("whitespace only") << QStringLiteral(" \t  \n ") << false << QString()
                                     << QStringLiteral("must not be empty");
    QTest::newRow("1 char") << QStringLiteral("x") << true << QStringLiteral("x") << QString();
    QTest::newRow("100 chars") << QString(100, u'a') << true << QString(100, u'a') << QString();
    QTest::newRow("101 chars") << QString(101, u'a') << false << QString()
                               << QStringLiteral("at most 100 characters (got 101)");
    QTest::newRow("100 chars plus spaces") << (QStringLiteral("  ") + QString(100, u'a') + QStringLiteral("  ")) << true
                                           << QString(100, u'a') << QString();
    // Code points, not UTF-16 units: 100 emoji are 200 units and still valid.
    QTest::newRow("100 emoji") << repeated(thumbsUp, 100) << true << repeated(thumbsUp, 100) << QString();
    QTest::newRow("101 emoji") << repeated(thumbsUp, 101) << false << QString() << QStringLiteral("(got 101)");
    QTest::newRow("emoji in text") << (QStringLiteral("Mug ") + thumbsUp) << true << (QStringLiteral("Mug ") + thumbsUp)
                                   << QString();
    QTest::newRow("rtl hebrew") << QString::fromUtf8("מכונת אספרסו") << true << QString::fromUtf8("מכונת אספרסו")
                                << QString();
    QTest::newRow("rtl arabic") << QString::fromUtf8("آلة إسبريسو") << true << QString::fromUtf8("آلة إسبريسو")
                                << QString();
    QTest::newRow("tab inside") << QStringLiteral("a\tb") << false << QString() << QStringLiteral("U+0009");
    QTest::newRow("newline inside") << QStringLiteral("a\nb") << false << QString()
                                    << QStringLiteral("control characters");
    QTest::newRow("nul inside") << (QStringLiteral("a") + QChar(0) + QStringLiteral("b")) << false << QString()
                                << QStringLiteral("U+0000");
    QTest::newRow("escape") << (QStringLiteral("a") + QChar(0x1B) + QStringLiteral("b")) << false << QString()
                            << QStringLiteral("U+001B");
    QTest::newRow("DEL") << (QStringLiteral("a") + QChar(0x7F) + QStringLiteral("b")) << false << QString()
                         << QStringLiteral("U+007F");
    QTest::newRow("C1 NEL") << (QStringLiteral("a") + QChar(0x85) + QStringLiteral("b")) << false << QString()
                            << QStringLiteral("U+0085");
    QTest::newRow("C1 CSI") << (QStringLiteral("a") + QChar(0x9B) + QStringLiteral("b")) << false << QString()
                            << QStringLiteral("U+009B");
    QTest::newRow("lone high surrogate") << (QStringLiteral("ab") + QChar(0xD83D) + QStringLiteral("c")) << false
                                         << QString() << QStringLiteral("invalid text");
    QTest::newRow("lone low surrogate") << (QStringLiteral("ab") + QChar(0xDC4D)) << false << QString()
                                        << QStringLiteral("invalid text");
    QTest::newRow("high surrogate at end")
        << (QStringLiteral("ab") + QChar(0xD83D)) << false << QString() << QStringLiteral("invalid text");
    QTest::newRow("swapped surrogates") << (QString(QChar(0xDC4D)) + QChar(0xD83D)) << false << QString()
                                        << QStringLiteral("invalid text");
    // SQL is bound, never spliced, so these are ordinary (valid) names.
    QTest::newRow("sql injection 1") << QStringLiteral("Robert'); DROP TABLE products;--") << true
                                     << QStringLiteral("Robert'); DROP TABLE products;--") << QString();
    QTest::newRow("sql injection 2") << QStringLiteral("' OR '1'='1") << true << QStringLiteral("' OR '1'='1")
                                     << QString();
    QTest::newRow("sql injection 3") << QStringLiteral("\"; DELETE FROM products; --") << true
                                     << QStringLiteral("\"; DELETE FROM products; --") << QString();
}

void TestProductValidator::name()
{
    QFETCH(QString, input);
    QFETCH(bool, valid);
    QFETCH(QString, normalised);
    QFETCH(QString, messagePart);

    QString name = input;
    const QList<FieldError> errors = ProductValidator::validateName(name);
    if (valid) {
        QVERIFY2(errors.isEmpty(), qPrintable(ProductValidator::describe(errors)));
        QCOMPARE(name, normalised);
    } else {
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.first().field, QStringLiteral("name"));
        QVERIFY2(errors.first().message.contains(messagePart), qPrintable(errors.first().message));
        // Messages are one line a person can read: no raw control characters.
        for (const QChar c : errors.first().message)
            QVERIFY(c.unicode() >= 0x20);
    }
}

void TestProductValidator::exactLengthMessage()
{
    QString name(140, u'x');
    const QList<FieldError> errors = ProductValidator::validateName(name);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.first().message, QStringLiteral("Name must be at most 100 characters (got 140)."));
}

void TestProductValidator::price_data()
{
    QTest::addColumn<qint64>("price");
    QTest::addColumn<bool>("valid");

    QTest::newRow("0") << qint64(0) << true;
    QTest::newRow("1") << qint64(1) << true;
    QTest::newRow("-1") << qint64(-1) << false;
    QTest::newRow("INT64_MAX") << std::numeric_limits<qint64>::max() << true;
    QTest::newRow("INT64_MIN") << std::numeric_limits<qint64>::min() << false;
}

void TestProductValidator::price()
{
    QFETCH(qint64, price);
    QFETCH(bool, valid);
    const QList<FieldError> errors = ProductValidator::validatePrice(price);
    QCOMPARE(errors.isEmpty(), valid);
    if (!valid) {
        QCOMPARE(errors.first().field, QStringLiteral("price"));
        QVERIFY(errors.first().message.contains(QStringLiteral("0 or more")));
    }
}

void TestProductValidator::parsePrice_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("expected");
    QTest::addColumn<QString>("messagePart");

    QTest::newRow("12") << QStringLiteral("12") << true << qint64(12) << QString();
    QTest::newRow("spaces around") << QStringLiteral(" 12 ") << true << qint64(12) << QString();
    QTest::newRow("tab and newline around") << QStringLiteral("\t12\n") << true << qint64(12) << QString();
    QTest::newRow("0") << QStringLiteral("0") << true << qint64(0) << QString();
    QTest::newRow("leading zeros") << QStringLiteral("007") << true << qint64(7) << QString();
    QTest::newRow("INT64_MAX") << QStringLiteral("9223372036854775807") << true << std::numeric_limits<qint64>::max()
                               << QString();
    QTest::newRow("empty") << QString() << false << qint64(0) << QStringLiteral("required");
    QTest::newRow("spaces only") << QStringLiteral("   ") << false << qint64(0) << QStringLiteral("required");
    QTest::newRow("+1") << QStringLiteral("+1") << false << qint64(0) << QStringLiteral("without a sign");
    QTest::newRow("-1") << QStringLiteral("-1") << false << qint64(0) << QStringLiteral("0 or more");
    QTest::newRow("-0") << QStringLiteral("-0") << false << qint64(0) << QStringLiteral("0 or more");
    QTest::newRow("1.5") << QStringLiteral("1.5") << false << qint64(0) << QStringLiteral("decimal point");
    QTest::newRow("1,5") << QStringLiteral("1,5") << false << qint64(0) << QStringLiteral("decimal point");
    QTest::newRow("12.") << QStringLiteral("12.") << false << qint64(0) << QStringLiteral("decimal point");
    QTest::newRow("1e3") << QStringLiteral("1e3") << false << qint64(0) << QStringLiteral("exponent");
    QTest::newRow("1E3") << QStringLiteral("1E3") << false << qint64(0) << QStringLiteral("exponent");
    QTest::newRow("overflow by one") << QStringLiteral("9223372036854775808") << false << qint64(0)
                                     << QStringLiteral("too large: the maximum is 9223372036854775807");
    QTest::newRow("way too large") << QStringLiteral("123456789012345678901234567890") << false << qint64(0)
                                   << QStringLiteral("too large");
    QTest::newRow("letters") << QStringLiteral("12abc") << false << qint64(0) << QStringLiteral("only the digits");
    QTest::newRow("space inside") << QStringLiteral("1 000") << false << qint64(0) << QStringLiteral("only the digits");
    QTest::newRow("hex") << QStringLiteral("0x10") << false << qint64(0) << QStringLiteral("only the digits");
    QTest::newRow("arabic-indic digit") << QString::fromUtf8("\xD9\xA3") << false << qint64(0)
                                        << QStringLiteral("only the digits");
    QTest::newRow("currency") << QStringLiteral("$12") << false << qint64(0) << QStringLiteral("only the digits");
}

void TestProductValidator::parsePrice()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(qint64, expected);
    QFETCH(QString, messagePart);

    qint64 price = -42; // sentinel: must stay untouched on failure
    const QList<FieldError> errors = ProductValidator::parsePrice(text, &price);
    if (valid) {
        QVERIFY2(errors.isEmpty(), qPrintable(ProductValidator::describe(errors)));
        QCOMPARE(price, expected);
    } else {
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.first().field, QStringLiteral("price"));
        QVERIFY2(errors.first().message.contains(messagePart), qPrintable(errors.first().message));
        QCOMPARE(price, qint64(-42));
    }
}

void TestProductValidator::id_data()
{
    QTest::addColumn<qint64>("id");
    QTest::addColumn<bool>("valid");
    QTest::newRow("0") << qint64(0) << false;
    QTest::newRow("-1") << qint64(-1) << false;
    QTest::newRow("1") << qint64(1) << true;
    QTest::newRow("INT64_MAX") << std::numeric_limits<qint64>::max() << true;
}

void TestProductValidator::id()
{
    QFETCH(qint64, id);
    QFETCH(bool, valid);
    const QList<FieldError> errors = ProductValidator::validateId(id);
    QCOMPARE(errors.isEmpty(), valid);
    if (!valid) {
        QCOMPARE(errors.first().field, QStringLiteral("id"));
        QVERIFY(errors.first().message.contains(QStringLiteral("greater than 0 (got %1)").arg(id)));
    }
}

void TestProductValidator::validateCombines()
{
    QString name = QStringLiteral("  Grinder ");
    QVERIFY(ProductValidator::validate(0, name, 100, false).isEmpty()); // new product: id not checked
    QCOMPARE(name, QStringLiteral("Grinder"));

    QString same = QStringLiteral("Grinder");
    const QList<FieldError> needsId = ProductValidator::validate(0, same, 100, true);
    QCOMPARE(needsId.size(), 1);
    QCOMPARE(needsId.first().field, QStringLiteral("id"));

    QString empty;
    const QList<FieldError> both = ProductValidator::validate(1, empty, -5, true);
    QCOMPARE(both.size(), 2);
    QCOMPARE(both.at(0).field, QStringLiteral("name"));
    QCOMPARE(both.at(1).field, QStringLiteral("price"));
    const QString line = ProductValidator::describe(both);
    QVERIFY2(line.startsWith(QStringLiteral("name: ")), qPrintable(line));
    QVERIFY2(line.contains(QStringLiteral("; price: Price must be 0 or more (got -5).")), qPrintable(line));
}

QTEST_GUILESS_MAIN(TestProductValidator)
#include "tst_productvalidator.moc"
