// Command-line parsing: every option, its bounds, and the messages for bad input.
#include "appoptions.h"

#include <QTest>

class TestAppOptions final : public QObject
{
    Q_OBJECT

private slots:
    void defaults()
    {
        QString error;
        const auto o = AppOptions::parse({QStringLiteral("cachelab")}, &error);
        QVERIFY(o.has_value());
        QVERIFY(o->redisUrl.isEmpty());
        QCOMPARE(o->strategy, QStringLiteral("cache-aside"));
        QCOMPARE(o->ttlSeconds, 60);
        QVERIFY(!o->demo);
        QVERIFY(o->screenshotPath.isEmpty());
    }

    // --presentation starts in presentation mode; --palette takes light or dark only.
    void presentationAndPalette()
    {
        QString error;
        auto o = AppOptions::parse({QStringLiteral("cachelab"), QStringLiteral("--presentation"),
                                       QStringLiteral("--palette"), QStringLiteral("dark")}, &error);
        QVERIFY2(o.has_value(), qPrintable(error));
        QVERIFY(o->presentation);
        QCOMPARE(o->palette, QStringLiteral("dark"));
        o = AppOptions::parse({QStringLiteral("cachelab"), QStringLiteral("--palette=light")}, &error);
        QVERIFY(o.has_value() && !o->presentation && o->palette == QLatin1String("light"));
        o = AppOptions::parse({QStringLiteral("cachelab"), QStringLiteral("--palette"), QStringLiteral("blue")}, &error);
        QVERIFY(!o.has_value());
        QVERIFY2(error.contains(QStringLiteral("--palette")), qPrintable(error));
        QVERIFY(AppOptions::helpText().contains(QStringLiteral("--presentation")));
    }

    void valid_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("redis");
        QTest::addColumn<QString>("db");
        QTest::addColumn<QString>("strategy");
        QTest::addColumn<int>("ttl");
        QTest::addColumn<bool>("demo");
        QTest::addColumn<QString>("screenshot");

        const QString none;
        QTest::newRow("redis url") << QStringList{QStringLiteral("--redis"), QStringLiteral("redis://h:1/2")}
                                   << QStringLiteral("redis://h:1/2") << none << QStringLiteral("cache-aside") << 60
                                   << false << none;
        QTest::newRow("equals form") << QStringList{QStringLiteral("--db=:memory:"), QStringLiteral("--ttl=5")}
                                     << none << QStringLiteral(":memory:") << QStringLiteral("cache-aside") << 5
                                     << false << none;
        for (const QString &name : AppOptions::strategyNames()) {
            QTest::newRow(qPrintable(name)) << QStringList{QStringLiteral("--strategy"), name} << none << none << name
                                            << 60 << false << none;
        }
        QTest::newRow("demo+shot") << QStringList{QStringLiteral("--demo"), QStringLiteral("--screenshot"),
                                                  QStringLiteral("/tmp/x.png")}
                                   << none << none << QStringLiteral("cache-aside") << 60 << true
                                   << QStringLiteral("/tmp/x.png");
        QTest::newRow("ttl bounds") << QStringList{QStringLiteral("--ttl"), QStringLiteral("86400")} << none << none
                                    << QStringLiteral("cache-aside") << 86400 << false << none;
    }

    void valid()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, redis);
        QFETCH(QString, db);
        QFETCH(QString, strategy);
        QFETCH(int, ttl);
        QFETCH(bool, demo);
        QFETCH(QString, screenshot);
        args.prepend(QStringLiteral("cachelab"));
        QString error;
        const auto o = AppOptions::parse(args, &error);
        QVERIFY2(o.has_value(), qPrintable(error));
        QCOMPARE(o->redisUrl, redis);
        QCOMPARE(o->dbPath, db);
        QCOMPARE(o->strategy, strategy);
        QCOMPARE(o->ttlSeconds, ttl);
        QCOMPARE(o->demo, demo);
        QCOMPARE(o->screenshotPath, screenshot);
    }

    void invalid_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown option") << QStringList{QStringLiteral("--bogus")} << QStringLiteral("--bogus");
        QTest::newRow("missing value") << QStringList{QStringLiteral("--redis")} << QStringLiteral("--redis");
        QTest::newRow("redis scheme") << QStringList{QStringLiteral("--redis"), QStringLiteral("http://127.0.0.1:6379")}
                                      << QStringLiteral("--redis");
        QTest::newRow("redis port") << QStringList{QStringLiteral("--redis=redis://127.0.0.1:99999")}
                                    << QStringLiteral("--redis");
        QTest::newRow("empty value") << QStringList{QStringLiteral("--db=")} << QStringLiteral("--db");
        QTest::newRow("bad strategy") << QStringList{QStringLiteral("--strategy"), QStringLiteral("write-around")}
                                      << QStringLiteral("write-around");
        QTest::newRow("ttl zero") << QStringList{QStringLiteral("--ttl"), QStringLiteral("0")} << QStringLiteral("--ttl");
        QTest::newRow("ttl text") << QStringList{QStringLiteral("--ttl"), QStringLiteral("1m")} << QStringLiteral("1m");
        QTest::newRow("ttl too big") << QStringList{QStringLiteral("--ttl"), QStringLiteral("86401")}
                                     << QStringLiteral("86400");
        QTest::newRow("screenshot ext") << QStringList{QStringLiteral("--screenshot"), QStringLiteral("a.jpg")}
                                        << QStringLiteral(".png");
        QTest::newRow("api port zero") << QStringList{QStringLiteral("--api-port"), QStringLiteral("0")}
                                       << QStringLiteral("--api-port");
        QTest::newRow("api port too big") << QStringList{QStringLiteral("--api-port=65536")}
                                          << QStringLiteral("65536");
        QTest::newRow("api port text") << QStringList{QStringLiteral("--api-port"), QStringLiteral("http")}
                                       << QStringLiteral("http");
        QTest::newRow("api port missing") << QStringList{QStringLiteral("--api-port")} << QStringLiteral("--api-port");
        QTest::newRow("api bind name") << QStringList{QStringLiteral("--api-bind"), QStringLiteral("example.com")}
                                       << QStringLiteral("example.com");
        QTest::newRow("api bind empty") << QStringList{QStringLiteral("--api-bind=")} << QStringLiteral("--api-bind");
    }

    void apiOptions_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("bind");
        QTest::newRow("default off") << QStringList{} << 0 << QStringLiteral("127.0.0.1");
        QTest::newRow("port") << QStringList{QStringLiteral("--api-port"), QStringLiteral("8080")} << 8080
                              << QStringLiteral("127.0.0.1");
        QTest::newRow("port bounds") << QStringList{QStringLiteral("--api-port=65535")} << 65535
                                     << QStringLiteral("127.0.0.1");
        QTest::newRow("bind any") << QStringList{QStringLiteral("--api-port=1"), QStringLiteral("--api-bind"),
                                                 QStringLiteral("0.0.0.0")}
                                  << 1 << QStringLiteral("0.0.0.0");
        QTest::newRow("bind ipv6") << QStringList{QStringLiteral("--api-bind=::1")} << 0 << QStringLiteral("::1");
    }

    void apiOptions()
    {
        QFETCH(QStringList, args);
        QFETCH(int, port);
        QFETCH(QString, bind);
        args.prepend(QStringLiteral("cachelab"));
        QString error;
        const auto o = AppOptions::parse(args, &error);
        QVERIFY2(o.has_value(), qPrintable(error));
        QCOMPARE(o->apiPort, port);
        QCOMPARE(o->apiBind, bind);
    }

    void invalid()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        args.prepend(QStringLiteral("cachelab"));
        QString error;
        QVERIFY(!AppOptions::parse(args, &error).has_value());
        QVERIFY2(error.contains(mentions), qPrintable(error));
    }

    void helpListsEveryOption()
    {
        const QString help = AppOptions::helpText();
        for (const char *opt : {"--redis", "--db", "--strategy", "--ttl", "--demo", "--screenshot", "--api-port", "--api-bind", "--help",
                 "--version"})
            QVERIFY2(help.contains(QLatin1String(opt)), opt);
        for (const QString &name : AppOptions::strategyNames())
            QVERIFY(help.contains(name));
    }

    void helpAndVersionFlags()
    {
        QString error;
        QVERIFY(AppOptions::parse({QStringLiteral("cachelab"), QStringLiteral("--help")}, &error)->showHelp);
        QVERIFY(AppOptions::parse({QStringLiteral("cachelab"), QStringLiteral("--version")}, &error)->showVersion);
    }
};

QTEST_GUILESS_MAIN(TestAppOptions)
#include "tst_appoptions.moc"
