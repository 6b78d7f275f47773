// Tests for RedisReply: every reply type built from real hiredis replies
// (a redisReader fed raw RESP bytes), the same built directly by the reader
// callbacks (readerFunctions), nesting, binary data, equality and the
// display form.
#include "redisreply.h"

#include <QtTest>

#include <hiredis/hiredis.h>

#include <limits>
#include <memory>

class TestRedisReply final : public QObject
{
    Q_OBJECT

private:
    // Parses exactly one reply from raw RESP bytes with hiredis.
    static RedisReply parse(const QByteArray &resp, QString *readerError = nullptr)
    {
        redisReader *reader = redisReaderCreate();
        redisReaderFeed(reader, resp.constData(), size_t(resp.size()));
        void *raw = nullptr;
        const int rc = redisReaderGetReply(reader, &raw);
        if (rc != REDIS_OK && readerError)
            *readerError = QString::fromUtf8(reader->errstr);
        RedisReply reply = RedisReply::fromHiredis(static_cast<redisReply *>(raw));
        if (raw)
            freeReplyObject(raw);
        redisReaderFree(reader);
        return reply;
    }

    // The same bytes through a reader that builds RedisReply values itself
    // (RedisReply::readerFunctions, what RedisConnection uses), fed in pieces
    // of `chunk` bytes so values are built across several feeds.
    static QList<RedisReply> parseDirect(const QByteArray &resp, qsizetype chunk, QString *readerError = nullptr)
    {
        redisReplyObjectFunctions functions = RedisReply::readerFunctions();
        redisReader *reader = redisReaderCreateWithFunctions(&functions);
        QList<RedisReply> replies;
        for (qsizetype offset = 0; offset < resp.size(); offset += chunk) {
            const qsizetype n = qMin(chunk, resp.size() - offset);
            redisReaderFeed(reader, resp.constData() + offset, size_t(n));
            for (;;) {
                void *raw = nullptr;
                if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
                    if (readerError)
                        *readerError = QString::fromUtf8(reader->errstr);
                    redisReaderFree(reader);
                    return replies;
                }
                if (!raw)
                    break;
                const std::unique_ptr<RedisReply> reply(static_cast<RedisReply *>(raw));
                replies.append(std::move(*reply));
            }
        }
        redisReaderFree(reader);
        return replies;
    }

private slots:
    void directReaderMatchesCopy_data()
    {
        QTest::addColumn<QByteArray>("resp");
        QTest::addColumn<RedisReply>("expected");
        using R = RedisReply;
        const QByteArray binary("a\0b\r\n$3\r\n\xff\0", 11);
        QTest::newRow("nil bulk") << QByteArray("$-1\r\n") << R::nil();
        QTest::newRow("nil array") << QByteArray("*-1\r\n") << R::nil();
        QTest::newRow("status") << QByteArray("+OK\r\n") << R::status("OK");
        QTest::newRow("error") << QByteArray("-ERR bad thing\r\n") << R::error("ERR bad thing");
        QTest::newRow("integer") << QByteArray(":-9223372036854775808\r\n")
                                 << R::integer(std::numeric_limits<qint64>::min());
        QTest::newRow("empty bulk") << QByteArray("$0\r\n\r\n") << R::string(QByteArray(""));
        QTest::newRow("binary bulk") << QByteArray("$11\r\n" + binary + "\r\n") << R::string(binary);
        QTest::newRow("empty array") << QByteArray("*0\r\n") << R::array({});
        QTest::newRow("every type inside")
            << QByteArray("*6\r\n$11\r\n" + binary + "\r\n$-1\r\n*-1\r\n:42\r\n+PONG\r\n-WRONGTYPE no\r\n")
            << R::array({ R::string(binary), R::nil(), R::nil(), R::integer(42), R::status("PONG"),
                   R::error("WRONGTYPE no") });
        QTest::newRow("nested, empty and nil arrays")
            << QByteArray("*4\r\n*0\r\n*2\r\n*0\r\n*1\r\n$1\r\nx\r\n*-1\r\n*3\r\n:1\r\n*1\r\n$0\r\n\r\n$-1\r\n")
            << R::array({ R::array({}), R::array({ R::array({}), R::array({ R::string("x") }) }), R::nil(),
                   R::array({ R::integer(1), R::array({ R::string(QByteArray("")) }), R::nil() }) });
        QTest::newRow("seven levels") << QByteArray("*2\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*2\r\n:5\r\n*0\r\n$1\r\nx\r\n")
                                      << R::array({ R::array({ R::array({ R::array({ R::array({ R::array(
                                                        { R::array({ R::integer(5), R::array({}) }) }) }) }) }) }),
                                             R::string("x") });
        // More elements than the reader reserves up front (4096).
        QByteArray many = "*5000\r\n";
        QList<R> manyExpected;
        for (int i = 0; i < 5000; ++i) {
            const QByteArray item = QByteArray::number(i) + QByteArray(1, '\0');
            many += "$" + QByteArray::number(item.size()) + "\r\n" + item + "\r\n";
            manyExpected.append(R::string(item));
        }
        QTest::newRow("5000 elements") << many << R::array(manyExpected);
    }

    void directReaderMatchesCopy()
    {
        QFETCH(QByteArray, resp);
        QFETCH(RedisReply, expected);
        // The hand-written value, the copy from a hiredis reply, and the
        // directly built value must all agree, whether the bytes arrive at
        // once or one at a time.
        QCOMPARE(parse(resp), expected);
        for (const qsizetype chunk : { resp.size(), qsizetype(1), qsizetype(7) }) {
            QString error;
            const QList<RedisReply> direct = parseDirect(resp, chunk, &error);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QCOMPARE(direct.size(), 1);
            QCOMPARE(direct.first(), expected);
        }
    }

    void directReaderManyRepliesInOneFeed()
    {
        const QList<RedisReply> replies = parseDirect("*2\r\n:1\r\n*0\r\n$2\r\nhi\r\n*-1\r\n-ERR x\r\n", 1 << 20);
        QCOMPARE(replies.size(), 4);
        QCOMPARE(replies.at(0), RedisReply::array({ RedisReply::integer(1), RedisReply::array({}) }));
        QCOMPARE(replies.at(1), RedisReply::string("hi"));
        QCOMPARE(replies.at(2), RedisReply::nil());
        QCOMPARE(replies.at(3), RedisReply::error("ERR x"));
        QVERIFY(!replies.at(3).isClientError());
    }

    void directReaderErrorMidArray()
    {
        // A bad byte deep inside a half-built reply: hiredis frees the
        // partial tree through our freeObject (ASan/valgrind see any leak or
        // double free) and reports the error; nothing is handed out.
        QString error;
        const QList<RedisReply> replies = parseDirect("*3\r\n$1\r\na\r\n*2\r\n:1\r\n?bad\r\n", 4, &error);
        QVERIFY(replies.isEmpty());
        QVERIFY2(error.contains(QLatin1String("reply type byte")), qPrintable(error));

        error.clear();
        QVERIFY(parseDirect(QByteArray("*1\r\n").repeated(9) + ":1\r\n", 3, &error).isEmpty());
        QVERIFY2(error.contains(QLatin1String("nested")), qPrintable(error));

        // Element counts that do not fit the int hiredis passes to
        // createArray (2^31 would turn negative, 2^32 + 1 into 1), inside an
        // array too: refused before any array is made.
        for (const QByteArray &header : { QByteArray("*2147483648\r\n"), QByteArray("*4294967297\r\n:1\r\n"),
                 QByteArray("*2\r\n:1\r\n*4294967297\r\n"), QByteArray("*-2\r\n") }) {
            error.clear();
            QVERIFY(parseDirect(header, 5, &error).isEmpty());
            QVERIFY2(error.contains(QLatin1String("out of range")), qPrintable(QString::fromLatin1(header) + error));
        }
    }

    void nil()
    {
        const RedisReply r = parse("$-1\r\n");
        QCOMPARE(r.type(), RedisReply::Type::Nil);
        QVERIFY(r.isNil());
        QCOMPARE(parse("*-1\r\n").type(), RedisReply::Type::Nil);
        QCOMPARE(RedisReply::fromHiredis(nullptr), RedisReply::nil());
        QCOMPARE(r.toDisplayString(), QStringLiteral("(nil)"));
    }

    void status()
    {
        const RedisReply r = parse("+OK\r\n");
        QVERIFY(r.isStatus());
        QCOMPARE(r.bytes(), QByteArray("OK"));
        QCOMPARE(r, RedisReply::status("OK"));
        QCOMPARE(r.toDisplayString(), QStringLiteral("OK"));
        QVERIFY(r.errorMessage().isEmpty());
    }

    void error()
    {
        const RedisReply r = parse("-WRONGTYPE Operation against a key\r\n");
        QVERIFY(r.isError());
        QVERIFY(!r.isClientError());
        QCOMPARE(r.errorMessage(), QStringLiteral("WRONGTYPE Operation against a key"));
        QCOMPARE(r.toDisplayString(), QStringLiteral("(error) WRONGTYPE Operation against a key"));

        const RedisReply c = RedisReply::clientError(QStringLiteral("not connected"));
        QVERIFY(c.isError());
        QVERIFY(c.isClientError());
        QCOMPARE(c.errorMessage(), QStringLiteral("not connected"));
        // Same text, different origin: not equal.
        QVERIFY(c != RedisReply::error("not connected"));
    }

    void integer()
    {
        const RedisReply r = parse(":-42\r\n");
        QVERIFY(r.isInteger());
        bool ok = false;
        QCOMPARE(r.toInteger(&ok), -42);
        QVERIFY(ok);
        QCOMPARE(r.toDisplayString(), QStringLiteral("(integer) -42"));
        QCOMPARE(parse(":9223372036854775807\r\n").toInteger(), std::numeric_limits<qint64>::max());

        // A bulk string holding a number converts; other text does not.
        QCOMPARE(parse("$3\r\n123\r\n").toInteger(&ok), 123);
        QVERIFY(ok);
        QCOMPARE(parse("$3\r\nabc\r\n").toInteger(&ok), 0);
        QVERIFY(!ok);
        QCOMPARE(RedisReply::nil().toInteger(&ok), 0);
        QVERIFY(!ok);
    }

    void bulkString()
    {
        const RedisReply r = parse("$5\r\nhello\r\n");
        QVERIFY(r.isString());
        QCOMPARE(r.bytes(), QByteArray("hello"));
        QCOMPARE(r.toDisplayString(), QStringLiteral("\"hello\""));
        const RedisReply empty = parse("$0\r\n\r\n");
        QVERIFY(empty.isString());
        QVERIFY(empty.bytes().isEmpty());
        QVERIFY(empty != RedisReply::nil());
    }

    void binarySafe()
    {
        const QByteArray payload("a\0b\r\n\xff", 6);
        const RedisReply r = parse("$6\r\n" + payload + "\r\n");
        QVERIFY(r.isString());
        QCOMPARE(r.bytes().size(), 6);
        QCOMPARE(r.bytes(), payload);
        QCOMPARE(r.toDisplayString(), QStringLiteral("\"a\\x00b\\r\\n\\xff\""));
    }

    void array()
    {
        const RedisReply r = parse("*4\r\n$3\r\nfoo\r\n:7\r\n$-1\r\n+OK\r\n");
        QVERIFY(r.isArray());
        QCOMPARE(r.size(), 4);
        QCOMPARE(r.at(0), RedisReply::string("foo"));
        QCOMPARE(r.at(1), RedisReply::integer(7));
        QCOMPARE(r.at(2), RedisReply::nil());
        QCOMPARE(r.at(3), RedisReply::status("OK"));
        QCOMPARE(r.toDisplayString(), QStringLiteral("[4 items]"));
        QCOMPARE(parse("*0\r\n").toDisplayString(), QStringLiteral("(empty array)"));
        QCOMPARE(parse("*1\r\n:1\r\n").toDisplayString(), QStringLiteral("[1 item]"));
    }

    void nested()
    {
        // Seven levels is the most hiredis 0.14 accepts.
        const RedisReply r = parse("*2\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:5\r\n$1\r\nx\r\n");
        QVERIFY(r.isArray());
        QCOMPARE(r.size(), 2);
        RedisReply inner = r.at(0);
        for (int depth = 0; depth < 6; ++depth) {
            QVERIFY(inner.isArray());
            QCOMPARE(inner.size(), 1);
            inner = inner.at(0);
        }
        QCOMPARE(inner, RedisReply::integer(5));
        QCOMPARE(r.at(1), RedisReply::string("x"));
    }

    void tooDeepIsReaderError()
    {
        // hiredis itself refuses depth > 7 with a protocol error and no reply;
        // RedisConnection turns that into a client error (tst_redisprotocol).
        QString error;
        const RedisReply r = parse(QByteArray("*1\r\n").repeated(9) + ":1\r\n", &error);
        QVERIFY(r.isNil());
        QVERIFY2(error.contains(QLatin1String("nested")), qPrintable(error));
    }

    void equality()
    {
        QCOMPARE(RedisReply::integer(1), RedisReply::integer(1));
        QVERIFY(RedisReply::integer(1) != RedisReply::integer(2));
        QVERIFY(RedisReply::string("1") != RedisReply::integer(1));
        QVERIFY(RedisReply::status("OK") != RedisReply::string("OK"));
        QCOMPARE(RedisReply::array({ RedisReply::string("a"), RedisReply::nil() }),
            RedisReply::array({ RedisReply::string("a"), RedisReply::nil() }));
        QVERIFY(RedisReply::array({ RedisReply::string("a") }) != RedisReply::array({ RedisReply::string("b") }));
        QVERIFY(RedisReply::array({}) != RedisReply::nil());
    }

    void pairs()
    {
        const RedisReply r = parse("*4\r\n$4\r\nname\r\n$3\r\nTea\r\n$5\r\nprice\r\n:3\r\n");
        const auto pairs = r.toPairs();
        QCOMPARE(pairs.size(), 2);
        QCOMPARE(pairs.at(0).first, QByteArray("name"));
        QCOMPARE(pairs.at(0).second, QByteArray("Tea"));
        QCOMPARE(pairs.at(1).second, QByteArray("3"));
        QVERIFY(RedisReply::string("x").toPairs().isEmpty());
    }

    void displayElidesLongStrings()
    {
        const RedisReply r = RedisReply::string(QByteArray(500, 'a'));
        const QString shown = r.toDisplayString(10);
        QVERIFY2(shown.startsWith(QLatin1String("\"aaaaaaaaaa\"")), qPrintable(shown));
        QVERIFY2(shown.contains(QLatin1String("500 bytes")), qPrintable(shown));
        QVERIFY(shown.size() < 40);
        QCOMPARE(RedisReply::string("say \"hi\"").toDisplayString(), QStringLiteral("\"say \\\"hi\\\"\""));
    }

    void metatype()
    {
        const QVariant v = QVariant::fromValue(RedisReply::integer(3));
        QCOMPARE(v.value<RedisReply>(), RedisReply::integer(3));
    }
};

QTEST_GUILESS_MAIN(TestRedisReply)
#include "tst_redisreply.moc"
