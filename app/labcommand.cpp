// LabCommand: parse, run the lab on the event loop, print and export.
#include "labcommand.h"

#include "lab.h"
#include "labexport.h"
#include "labregistry.h"
#include "labserver.h"

#include <QApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace {

int usage(const QString &message)
{
    std::fprintf(stderr, "cachelab lab: %s\n", qPrintable(message));
    std::fprintf(stderr, "usage: cachelab lab --list [--json]\n"
                         "       cachelab lab NAME [--seed N] [--param KEY=VALUE]... [--json] [--out DIR] [--trace]\n");
    return 2;
}

void printText(const QString &text, FILE *to = stdout)
{
    std::fputs(text.toUtf8().constData(), to);
}

QString summary(const Lab &lab)
{
    QString s = lab.title() + QStringLiteral("\n\n");
    for (const LabTable &table : lab.tables()) {
        if (table.bulk)
            continue;
        s += table.title + QLatin1Char('\n') + table.columns.join(QStringLiteral("  ")) + QLatin1Char('\n');
        for (const QVariantList &row : table.rows) {
            QStringList cells;
            for (const QVariant &v : row)
                cells << (v.typeId() == QMetaType::Double ? QString::number(v.toDouble(), 'f', 3) : v.toString());
            s += cells.join(QStringLiteral("  ")) + QLatin1Char('\n');
        }
        s += QLatin1Char('\n');
    }
    for (const LabChart &chart : lab.charts())
        s += chart.title + QStringLiteral(": ") + chart.caption + QStringLiteral("\n\n");
    s += QStringLiteral("Reference: ") + lab.referenceText() + QLatin1Char('\n');
    s += lab.matches() ? QStringLiteral("Result: matches the reference.\n")
                       : QStringLiteral("Result: does NOT match the reference.\n");
    return s;
}

} // namespace

namespace LabCommand {

bool wanted(int argc, char **argv)
{
    return argc >= 2 && qstrcmp(argv[1], "lab") == 0;
}

int run(int argc, char **argv)
{
    QStringList args;
    for (int i = 2; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);

    bool list = false, json = false, trace = false;
    QString name, outDir;
    quint64 seed = 1;
    QList<QPair<QString, double>> params;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args.at(i);
        const auto value = [&](QString *v) {
            if (i + 1 >= args.size())
                return false;
            *v = args.at(++i);
            return true;
        };
        QString v;
        if (a == QLatin1String("--list")) {
            list = true;
        } else if (a == QLatin1String("--json")) {
            json = true;
        } else if (a == QLatin1String("--trace")) {
            trace = true;
        } else if (a == QLatin1String("--seed")) {
            bool ok = false;
            if (!value(&v) || (seed = v.toULongLong(&ok), !ok))
                return usage(QStringLiteral("--seed needs a whole number from 0 up"));
        } else if (a == QLatin1String("--out")) {
            if (!value(&outDir) || outDir.isEmpty())
                return usage(QStringLiteral("--out needs a directory"));
        } else if (a == QLatin1String("--param")) {
            bool ok = false;
            if (!value(&v) || !v.contains(QLatin1Char('=')))
                return usage(QStringLiteral("--param needs KEY=VALUE"));
            const double number = v.section(QLatin1Char('='), 1).toDouble(&ok);
            if (!ok)
                return usage(QStringLiteral("--param %1: the value must be a number").arg(v));
            params.append({ v.section(QLatin1Char('='), 0, 0), number });
        } else if (a.startsWith(QLatin1Char('-'))) {
            return usage(QStringLiteral("unknown option %1").arg(a));
        } else if (name.isEmpty()) {
            name = a;
        } else {
            return usage(QStringLiteral("one lab at a time (got %1 and %2)").arg(name, a));
        }
    }
    if (!list && name.isEmpty())
        return usage(QStringLiteral("name a lab, or --list"));

    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen"); // charts render without a screen
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("CacheLab"));

    if (list) {
        QJsonArray labs;
        QString text;
        for (const QString &n : LabRegistry::names()) {
            const auto lab = LabRegistry::create(n);
            QJsonObject o;
            o.insert(QStringLiteral("lab"), n);
            o.insert(QStringLiteral("title"), lab->title());
            QJsonObject p;
            for (const LabParam &param : lab->params())
                p.insert(param.key, param.value);
            o.insert(QStringLiteral("params"), p);
            labs.append(o);
            text += n.leftJustified(27) + QLatin1Char(' ') + lab->title() + QLatin1Char('\n');
        }
        printText(json ? QString::fromUtf8(QJsonDocument(labs).toJson(QJsonDocument::Compact)) + QLatin1Char('\n') : text);
        return 0;
    }

    const auto lab = LabRegistry::create(name);
    if (!lab)
        return usage(QStringLiteral("no lab called %1 (cachelab lab --list shows them: %2)")
                         .arg(name, LabRegistry::names().join(QStringLiteral(", "))));
    lab->setSeed(seed);
    for (const auto &[key, number] : params) {
        QString error;
        if (!lab->setParam(key, number, &error))
            return usage(error);
    }
    if (trace)
        QObject::connect(lab.get(), &Lab::stepped, [](const QString &line) { printText(line + QLatin1Char('\n'), stderr); });
    QObject::connect(lab.get(), &Lab::finished, &app, [] { QCoreApplication::exit(0); });
    QObject::connect(lab.get(), &Lab::failed, &app, [](const QString &message) {
        printText(QStringLiteral("cachelab lab: %1\n").arg(message), stderr);
        QCoreApplication::exit(3);
    });
    // From inside the event loop: a lab that fails at once must find it
    // running, or its exit(3) would be lost and exec() never return.
    QTimer::singleShot(0, lab.get(), [&lab] { lab->run(); });
    const int status = app.exec();
    // The lab's redis-server goes with the lab; let it exit before we do.
    const QJsonObject result = lab->toJson();
    const bool matches = lab->matches();
    if (status != 0) {
        lab->reset();
        LabServer::waitForStopped(5000);
        return 3;
    }

    if (json)
        printText(QString::fromUtf8(QJsonDocument(result).toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
    else
        printText(summary(*lab));
    QString error;
    const bool exported = outDir.isEmpty() || LabExport::write(*lab, outDir, &error);
    lab->reset();
    LabServer::waitForStopped(5000);
    if (!exported) {
        printText(QStringLiteral("cachelab lab: %1\n").arg(error), stderr);
        return 3;
    }
    return matches ? 0 : 1;
}

} // namespace LabCommand
