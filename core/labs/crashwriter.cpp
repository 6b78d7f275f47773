// CrashWriter: writes until killed, or drains and exits.
#include "crashwriter.h"

#include "cachekeys.h"
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "writebehindqueue.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

#include <cstdio>
#include <functional>
#include <unistd.h>

namespace {

void emitLine(const QByteArray &line)
{
    const QByteArray out = line + '\n';
    qsizetype done = 0;
    while (done < out.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, out.constData() + done, size_t(out.size() - done));
        if (n <= 0)
            return;
        done += n;
    }
}

const QByteArray ArticleQueue = QByteArrayLiteral("article:queue");

QByteArray articleKey(qint64 id)
{
    return "article:product:" + QByteArray::number(id);
}

} // namespace

namespace CrashWriter {

bool wanted(int argc, char **argv)
{
    return argc >= 2 && qstrcmp(argv[1], "lab-writer") == 0;
}

int run(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    args.removeAt(1); // "lab-writer"
    QCommandLineParser parser;
    const QCommandLineOption redisOption(QStringLiteral("redis"), QStringLiteral("Redis URL"), QStringLiteral("url"));
    const QCommandLineOption dbOption(QStringLiteral("db"), QStringLiteral("SQLite file"), QStringLiteral("file"));
    const QCommandLineOption designOption(QStringLiteral("design"), QStringLiteral("write-through | write-behind | article"),
        QStringLiteral("name"));
    const QCommandLineOption idsOption(QStringLiteral("ids"), QStringLiteral("products 1..N"), QStringLiteral("n"), QStringLiteral("20"));
    const QCommandLineOption inflightOption(QStringLiteral("inflight"), QStringLiteral("writers"), QStringLiteral("k"), QStringLiteral("4"));
    const QCommandLineOption priceOption(QStringLiteral("first-price"), QStringLiteral("first price written"),
        QStringLiteral("p"), QStringLiteral("1000"));
    const QCommandLineOption drainOption(QStringLiteral("drain"), QStringLiteral("only empty the queue, then exit"));
    const QCommandLineOption paceOption(QStringLiteral("pace-ms"), QStringLiteral("pause of each writer between writes"),
        QStringLiteral("ms"), QStringLiteral("0"));
    const QCommandLineOption flushOption(QStringLiteral("flush-ms"), QStringLiteral("write-behind flush interval"),
        QStringLiteral("ms"), QStringLiteral("50"));
    const QCommandLineOption dbMsOption(QStringLiteral("db-ms"), QStringLiteral("artificial SQLite latency"),
        QStringLiteral("ms"), QStringLiteral("0"));
    parser.addOptions({ redisOption, dbOption, designOption, idsOption, inflightOption, priceOption, drainOption,
        paceOption, dbMsOption, flushOption });
    if (!parser.parse(args)) {
        std::fprintf(stderr, "cachelab lab-writer: %s\n", qPrintable(parser.errorText()));
        return 2;
    }
    QString error;
    // The URL (with its password) comes from the environment unless given.
    const QString urlText = parser.isSet(redisOption) ? parser.value(redisOption) : qEnvironmentVariable("CACHELAB_LAB_REDIS_URL");
    const std::optional<RedisUrl> url = RedisUrl::parse(urlText, &error);
    const QString design = parser.value(designOption);
    if (!url || !parser.isSet(dbOption)
        || !QStringList { QStringLiteral("write-through"), QStringLiteral("write-behind"), QStringLiteral("article") }.contains(design)) {
        std::fprintf(stderr, "cachelab lab-writer: %s\n",
            qPrintable(!url ? error : QStringLiteral("--db and --design write-through|write-behind|article are required")));
        return 2;
    }
    const int ids = qMax(1, parser.value(idsOption).toInt());
    const int writers = qBound(1, parser.value(inflightOption).toInt(), 64);
    const bool drain = parser.isSet(drainOption);
    const bool article = design == QLatin1String("article");
    qint64 nextPrice = qMax<qint64>(1, parser.value(priceOption).toLongLong());
    const int pace = qBound(0, parser.value(paceOption).toInt(), 10000);

    ProductRepository repo(parser.value(dbOption));
    repo.setChangePollInterval(0);
    repo.setArtificialLatency(qBound(0, parser.value(dbMsOption).toInt(), 2000));
    RedisClient redis(*url);
    redis.setReconnectPolicy(20, 200, 0.1);
    redis.setCommandTimeout(2000);
    ProductService service(&redis, &repo);
    service.setStrategyByName(article ? QStringLiteral("none") : design);
    CacheSettings settings = service.settings();
    settings.writeBehindFlushIntervalMs = qBound(10, parser.value(flushOption).toInt(), 60000);
    settings.writeBehindBatchSize = 20;
    settings.publishInvalidations = false;
    settings.trackRecent = false;
    service.setSettings(settings);

    // --- the writers ---------------------------------------------------------
    std::vector<qint64> cursor(std::size_t(writers), 0);
    std::function<void(int)> writeOne = [&](int w) {
        // Writer w owns ids w+1, w+1+K, ...
        const int owned = (ids - w + writers - 1) / writers;
        if (owned <= 0)
            return;
        const qint64 id = 1 + w + qint64(writers) * (cursor[std::size_t(w)]++ % owned);
        const qint64 price = nextPrice++;
        const QString name = QStringLiteral("Product %1").arg(id);
        if (article) {
            redis.transaction({ { "HSET", articleKey(id), "name", name.toUtf8(), "price", QByteArray::number(price) },
                                  { "RPUSH", ArticleQueue, QByteArray::number(id) } },
                &app, [&, w, id, price](const RedisReply &r) {
                    if (r.isArray())
                        emitLine("ACK " + QByteArray::number(id) + ' ' + QByteArray::number(price));
                    QTimer::singleShot(r.isArray() ? pace : 20, &app, [&, w] { writeOne(w); });
                });
            return;
        }
        service.update(id, name, price, 0, &app, [&, w, id, price](const ServiceResult &r) {
            if (r.ok())
                emitLine("ACK " + QByteArray::number(id) + ' ' + QByteArray::number(price));
            QTimer::singleShot(r.ok() ? pace : 20, &app, [&, w] { writeOne(w); });
        });
    };

    // --- the article's worker: LPOP, HGETALL, save ----------------------------
    std::function<void()> work = [&] {
        redis.command({ "LPOP", ArticleQueue }, &app, [&](const RedisReply &popped) {
            if (!popped.isString()) {
                if (drain && popped.isNil()) {
                    emitLine("DRAINED");
                    QCoreApplication::exit(0);
                    return;
                }
                QTimer::singleShot(10, &app, work);
                return;
            }
            const qint64 id = popped.bytes().toLongLong();
            emitLine("POP " + QByteArray::number(id));
            redis.command({ "HGETALL", articleKey(id) }, &app, [&, id](const RedisReply &h) {
                QByteArray name, price;
                for (qsizetype i = 0; i + 1 < h.elements().size(); i += 2) {
                    if (h.elements().at(i).bytes() == "name")
                        name = h.elements().at(i + 1).bytes();
                    else if (h.elements().at(i).bytes() == "price")
                        price = h.elements().at(i + 1).bytes();
                }
                repo.update(id, QString::fromUtf8(name), price.toLongLong(), 0, &app,
                    [&, id, price](const StoreResult &saved) {
                        if (saved.ok())
                            emitLine("SAVED " + QByteArray::number(id) + ' ' + price);
                        work();
                    });
            });
        });
    };

    // --- CacheLab's write-behind, drained ------------------------------------
    QTimer drainCheck;
    drainCheck.setInterval(50);
    QObject::connect(&drainCheck, &QTimer::timeout, &app, [&] {
        if (!service.isCacheAvailable() || service.writeBehindQueue()->isFlushing())
            return;
        drainCheck.stop();
        service.flushWriteBehind(&app, [&](const ServiceResult &) {
            // Drained means Redis says so: both lists empty (the service's
            // own depth figure can lag behind a recovery).
            const CacheKeys keys(settings.keyPrefix);
            redis.pipeline({ { "LLEN", keys.queue() }, { "LLEN", keys.processing() } }, &app,
                [&](const QList<RedisReply> &lens) {
                    const bool empty = lens.size() == 2 && lens.at(0).isInteger() && lens.at(0).toInteger() == 0
                        && lens.at(1).isInteger() && lens.at(1).toInteger() == 0;
                    if (empty && !service.writeBehindQueue()->isFlushing()) {
                        emitLine("DRAINED");
                        QCoreApplication::exit(0);
                    } else {
                        drainCheck.start();
                    }
                });
        });
    });
    QTimer::singleShot(60000, &app, [] {
        std::fprintf(stderr, "cachelab lab-writer: not done within 60 s\n");
        QCoreApplication::exit(3);
    });

    bool started = false;
    QObject::connect(&service, &ProductService::cacheAvailabilityChanged, &app, [&](bool available) {
        if (!available || started)
            return;
        started = true;
        emitLine("READY");
        if (drain) {
            if (article)
                work();
            else if (design == QLatin1String("write-behind"))
                drainCheck.start();
            else {
                emitLine("DRAINED");
                QCoreApplication::exit(0);
            }
            return;
        }
        for (int w = 0; w < writers; ++w)
            writeOne(w);
        if (article)
            work();
    });
    repo.open(&app, [&](const StoreResult &r) {
        if (!r.ok()) {
            std::fprintf(stderr, "cachelab lab-writer: cannot open the database: %s\n", qPrintable(r.error));
            QCoreApplication::exit(2);
            return;
        }
        redis.connectToServer();
    });
    return app.exec();
}

} // namespace CrashWriter
