// MetricsExport: MetricsSnapshot's JSON fields and a few INFO figures as rows.
#include "metricsexport.h"

#include "csvwriter.h"

#include <cmath>
#include <QJsonArray>

namespace {

QString valueText(const QJsonValue &v)
{
    if (v.isDouble()) {
        const double d = v.toDouble();
        // Counters are whole numbers; only ratios keep a fraction.
        if (d == std::floor(d) && std::abs(d) < 9.0e15)
            return QString::number(qint64(d));
        return QString::number(d, 'g', 12);
    }
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    return v.toString();
}

} // namespace

QStringList MetricsExport::csvColumns()
{
    return { QStringLiteral("metric"), QStringLiteral("operation"), QStringLiteral("strategy"),
        QStringLiteral("value") };
}

QString MetricsExport::toCsv(const MetricsSnapshot &metrics, const RedisServerInfo &info)
{
    CsvWriter csv(csvColumns());
    const QJsonObject json = metrics.toJson();
    const QString latencies = QStringLiteral("latencies");
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (it.key() != latencies && !it.value().isArray() && !it.value().isObject())
            csv.addRow({ it.key(), {}, {}, valueText(it.value()) });
    }
    const QString operation = QStringLiteral("operation");
    const QString strategy = QStringLiteral("strategy");
    const QJsonArray allSeries = json.value(latencies).toArray();
    for (const QJsonValue series : allSeries) {
        const QJsonObject s = series.toObject();
        for (auto it = s.begin(); it != s.end(); ++it) {
            if (it.key() != operation && it.key() != strategy)
                csv.addRow(
                    { it.key(), s.value(operation).toString(), s.value(strategy).toString(), valueText(it.value()) });
        }
    }
    if (info.sampledAt.isValid()) {
        const auto redis = [&csv](const char *name, const QString &value) {
            csv.addRow({ QStringLiteral("redis.") + QLatin1String(name), {}, {}, value });
        };
        redis("sampledAt", info.sampledAt.toUTC().toString(Qt::ISODateWithMs));
        redis("version", info.redisVersion);
        redis("usedMemory", QString::number(info.usedMemory));
        redis("maxmemory", QString::number(info.maxmemory));
        redis("maxmemoryPolicy", info.maxmemoryPolicy);
        redis("evictedKeys", QString::number(info.evictedKeys));
        redis("expiredKeys", QString::number(info.expiredKeys));
        redis("keyspaceHits", QString::number(info.keyspaceHits));
        redis("keyspaceMisses", QString::number(info.keyspaceMisses));
        redis("keys", QString::number(info.keys));
        redis("connectedClients", QString::number(info.connectedClients));
        redis("instantaneousOpsPerSec", QString::number(info.instantaneousOpsPerSec));
    }
    return csv.text();
}
