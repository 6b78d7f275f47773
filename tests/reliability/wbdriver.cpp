// wbdriver: a headless write-behind client for the crash soak.
//
// Opens the SQLite file and Redis it is given, puts a ProductService in
// write-behind mode and updates random products as fast as it can (a few
// calls in flight). Each acknowledged write is printed on stdout as one line
//   ACK <id> <version> <name>
// written with a single write(2), so a SIGKILL can cut the stream only
// between lines. With --drain it makes no writes: it waits until the
// write-behind queue is empty (recovering what a killed run left in the
// processing list), prints DRAINED and exits 0 (exit 3 after 30 s).
//
//   wbdriver --redis URL --db FILE --ids N [--tag T] [--inflight K] [--drain]
#include "productrepository.h"
#include "productservice.h"
#include "redisclient.h"
#include "writebehindqueue.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QRandomGenerator>
#include <QTimer>

#include <cstdio>
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

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption redisOption(QStringLiteral("redis"), QStringLiteral("Redis URL"), QStringLiteral("url"));
    const QCommandLineOption dbOption(QStringLiteral("db"), QStringLiteral("SQLite file"), QStringLiteral("file"));
    const QCommandLineOption idsOption(
        QStringLiteral("ids"), QStringLiteral("products 1..N"), QStringLiteral("n"), QStringLiteral("20"));
    const QCommandLineOption tagOption(
        QStringLiteral("tag"), QStringLiteral("name prefix"), QStringLiteral("tag"), QStringLiteral("w"));
    const QCommandLineOption inflightOption(
        QStringLiteral("inflight"), QStringLiteral("calls in flight"), QStringLiteral("k"), QStringLiteral("4"));
    const QCommandLineOption drainOption(QStringLiteral("drain"), QStringLiteral("only empty the queue, then exit"));
    parser.addOptions({ redisOption, dbOption, idsOption, tagOption, inflightOption, drainOption });
    parser.process(app);

    QString error;
    const std::optional<RedisUrl> url = RedisUrl::parse(parser.value(redisOption), &error);
    if (!url || !parser.isSet(dbOption)) {
        std::fprintf(stderr, "wbdriver: %s\n", qPrintable(url ? QStringLiteral("--db is required") : error));
        return 2;
    }
    const int ids = qMax(1, parser.value(idsOption).toInt());
    const int inflight = qBound(1, parser.value(inflightOption).toInt(), 64);
    const QString tag = parser.value(tagOption);
    const bool drain = parser.isSet(drainOption);

    ProductRepository repo(parser.value(dbOption));
    repo.setChangePollInterval(0);
    RedisClient redis(*url);
    redis.setReconnectPolicy(20, 200, 0.1);
    redis.setCommandTimeout(1000);
    ProductService service(&redis, &repo);
    service.setStrategy(StrategyKind::WriteBehind);
    CacheSettings settings = service.settings();
    settings.writeBehindFlushIntervalMs = 50;
    settings.writeBehindBatchSize = 50;
    settings.publishInvalidations = false;
    service.setSettings(settings);

    QRandomGenerator rng(QRandomGenerator::global()->generate());
    qint64 seq = 0;
    int running = 0;
    std::function<void()> writeOne = [&] {
        if (!service.isCacheAvailable())
            return; // cacheAvailabilityChanged restarts the loop
        ++running;
        const qint64 id = 1 + qint64(rng.bounded(ids));
        const qint64 n = ++seq;
        const QString name = QStringLiteral("%1-%2").arg(tag).arg(n);
        service.update(id, name, n, 0, &app, [&, id, name](const ServiceResult &r) {
            --running;
            if (r.ok() && r.product)
                emitLine("ACK " + QByteArray::number(id) + ' ' + QByteArray::number(r.product->version) + ' '
                    + name.toUtf8());
            else
                std::fprintf(
                    stderr, "wbdriver: %s: %s\n", qPrintable(serviceStatusName(r.status)), qPrintable(r.error));
            if (r.ok())
                writeOne();
            else
                QTimer::singleShot(20, &app, [&] {
                    if (running < inflight)
                        writeOne();
                });
        });
    };

    QTimer drainCheck;
    if (drain) {
        QTimer::singleShot(30000, &app, [] {
            std::fprintf(stderr, "wbdriver: queue not drained within 30 s\n");
            QCoreApplication::exit(3);
        });
        drainCheck.setInterval(50);
        QObject::connect(&drainCheck, &QTimer::timeout, &app, [&] {
            if (!service.isCacheAvailable() || service.writeBehindQueue()->isFlushing())
                return;
            drainCheck.stop();
            service.flushWriteBehind(&app, [&](const ServiceResult &) {
                service.writeBehindQueue()->refreshDepth();
                QTimer::singleShot(100, &app, [&] {
                    if (service.queueDepth() == 0 && !service.writeBehindQueue()->isFlushing()) {
                        emitLine("DRAINED");
                        QCoreApplication::exit(0);
                    } else {
                        drainCheck.start();
                    }
                });
            });
        });
    }

    QObject::connect(&service, &ProductService::cacheAvailabilityChanged, &app, [&](bool available) {
        if (!available || drain)
            return;
        while (running < inflight)
            writeOne();
    });

    repo.open(&app, [&](const StoreResult &r) {
        if (!r.ok()) {
            std::fprintf(stderr, "wbdriver: cannot open the database: %s\n", qPrintable(r.error));
            QCoreApplication::exit(2);
            return;
        }
        emitLine("READY");
        redis.connectToServer();
        if (drain)
            drainCheck.start();
    });
    return app.exec();
}
