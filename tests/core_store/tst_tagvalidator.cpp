// Tests for TagValidator: normalisation, the allowed characters, limits.
#include "tagvalidator.h"

#include <QTest>

class TestTagValidator final : public QObject
{
    Q_OBJECT

private slots:
    void normalises()
    {
        QStringList tags { QStringLiteral(" Sale "), QStringLiteral("kitchen"), QStringLiteral("SALE"),
            QStringLiteral("a-b_9") };
        QVERIFY(TagValidator::validateTags(tags).isEmpty());
        QCOMPARE(tags, (QStringList { QStringLiteral("a-b_9"), QStringLiteral("kitchen"), QStringLiteral("sale") }));
    }
    void rejects_data()
    {
        QTest::addColumn<QString>("tag");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty") << QString() << QStringLiteral("empty");
        QTest::newRow("blank") << QStringLiteral("  ") << QStringLiteral("empty");
        QTest::newRow("space inside") << QStringLiteral("two words") << QStringLiteral("' '");
        QTest::newRow("glob") << QStringLiteral("a*") << QStringLiteral("'*'");
        QTest::newRow("accent") << QStringLiteral("caf\u00e9") << QStringLiteral("only letters a-z");
        QTest::newRow("control") << QStringLiteral("a\u0001b") << QStringLiteral("'?'");
        QTest::newRow("too long") << QString(33, u'a') << QStringLiteral("at most 32");
    }
    void rejects()
    {
        QFETCH(QString, tag);
        QFETCH(QString, mentions);
        const QList<FieldError> errors = TagValidator::validateTag(tag);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.first().field, QStringLiteral("tags"));
        QVERIFY2(errors.first().message.contains(mentions), qPrintable(errors.first().message));
    }
    void limitsTheCount()
    {
        QStringList tags;
        for (int i = 0; i < TagValidator::MaxTagsPerProduct; ++i)
            tags << QStringLiteral("t%1").arg(i);
        QStringList exactly = tags;
        QVERIFY(TagValidator::validateTags(exactly).isEmpty());
        // Duplicates do not count twice.
        QStringList withDuplicate = tags + QStringList { QStringLiteral("T1") };
        QVERIFY(TagValidator::validateTags(withDuplicate).isEmpty());
        QStringList tooMany = tags + QStringList { QStringLiteral("one-more") };
        const auto errors = TagValidator::validateTags(tooMany);
        QCOMPARE(errors.size(), 1);
        QVERIFY(errors.first().message.contains(QStringLiteral("at most 16")));
    }
    void splitsEditorText()
    {
        QCOMPARE(TagValidator::splitTags(QStringLiteral("a, b ,,c,")),
            (QStringList { QStringLiteral("a"), QStringLiteral(" b "), QStringLiteral("c") }));
        QVERIFY(TagValidator::splitTags(QStringLiteral(" , ")).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestTagValidator)
#include "tst_tagvalidator.moc"
