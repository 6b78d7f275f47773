// Tests for SearchQuery: user text to quoted FTS5 words and LIKE patterns.
#include "searchquery.h"

#include <QTest>

class TestSearchQuery final : public QObject
{
    Q_OBJECT

private slots:
    void quotesEveryWordAndPrefixesTheLast()
    {
        QList<FieldError> errors;
        const SearchQuery q = SearchQuery::parse(QStringLiteral("  Blue  \"MUG\" "), &errors);
        QVERIFY(errors.isEmpty());
        QCOMPARE(q.terms(), (QStringList { QStringLiteral("blue"), QStringLiteral("\"mug\"") }));
        QCOMPARE(q.ftsExpression(), QStringLiteral("\"blue\" \"\"\"mug\"\"\"*"));
        QCOMPARE(q.normalized(), QStringLiteral("blue \"mug\""));
    }
    void dropsWordsWithoutLettersOrDigits()
    {
        const SearchQuery q = SearchQuery::parse(QStringLiteral("* ( ) \" - mug"), nullptr);
        QCOMPARE(q.terms(), QStringList { QStringLiteral("mug") });
        QVERIFY(SearchQuery::parse(QStringLiteral("* ( ) \""), nullptr).isEmpty());
    }
    void controlsAndBrokenTextSeparateWords()
    {
        const QString text = QStringLiteral("a\u0000b") + QChar(0xDC00) + QStringLiteral("c\nd");
        QCOMPARE(SearchQuery::parse(text, nullptr).terms(),
            (QStringList { QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d") }));
    }
    void likePatternsEscapeWildcards()
    {
        const SearchQuery q = SearchQuery::parse(QStringLiteral("50% a_b c\\d"), nullptr);
        QCOMPARE(q.likePatterns(),
            (QStringList { QStringLiteral("%50\\%%"), QStringLiteral("%a\\_b%"), QStringLiteral("%c\\\\d%") }));
    }
    void limits()
    {
        QList<FieldError> errors;
        QVERIFY(SearchQuery::parse(QString(201, u'x'), &errors).isEmpty());
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.first().field, QStringLiteral("query"));
        errors.clear();
        QVERIFY(SearchQuery::parse(QStringLiteral("a b c d e f g h i"), &errors).isEmpty());
        QCOMPARE(errors.size(), 1);
        errors.clear();
        QCOMPARE(SearchQuery::parse(QStringLiteral("a b c d e f g h"), &errors).terms().size(), 8);
        QVERIFY(errors.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSearchQuery)
#include "tst_searchquery.moc"
