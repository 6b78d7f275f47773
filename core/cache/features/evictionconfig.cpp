// EvictionConfig: CONFIG SET / GET of the eviction settings, NOPERM explained.
#include "evictionconfig.h"

#include "cachebackend.h"
#include "rejectinvalid.h"
#include "writebehindqueue.h"

namespace {
EvictionSettings parseEviction(const RedisReply &r)
{
    EvictionSettings s;
    for (const auto &[name, value] : r.toPairs()) {
        if (name == "maxmemory")
            s.maxmemoryBytes = value.toLongLong();
        else if (name == "maxmemory-policy")
            s.policy = QString::fromLatin1(value);
        else if (name == "maxmemory-samples")
            s.samples = value.toInt();
    }
    return s;
}

// An ACL user without CONFIG rights (common on managed Redis) must not look
// like a broken connection: say what is missing and how to grant it.
bool isPermissionError(const RedisReply &reply)
{
    return reply.isError() && !reply.isClientError() && reply.bytes().startsWith("NOPERM");
}

QString noConfigRights(const RedisReply &reply, const QString &command)
{
    return QStringLiteral("This Redis user may not run %1, so the eviction settings are unavailable; "
                          "everything else keeps working. An administrator can allow it with "
                          "ACL SETUSER <user> +config|get +config|set. (Redis said: %2)")
        .arg(command, reply.errorMessage());
}

const RedisCommand ConfigGet { QByteArrayLiteral("CONFIG"), QByteArrayLiteral("GET"), QByteArrayLiteral("maxmemory*") };
} // namespace

EvictionConfig::EvictionConfig(CacheBackend &backend, const WriteBehindQueue &queue, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
    , m_queue(queue)
{ }

void EvictionConfig::apply(
    const OperationPtr &op, const EvictionSettings &settings, const std::shared_ptr<EvictionSettings> &reported)
{
    if (const QString problem = settings.validate(); !problem.isEmpty())
        return rejectInvalid(op, { { QStringLiteral("eviction"), problem } });
    if (!m_backend.cacheUp()) {
        op->fail(ServiceStatus::Unavailable,
            QStringLiteral("Redis is unreachable; the eviction settings were not changed."));
        return;
    }
    m_backend.tracedRedis().command(op,
        { QByteArrayLiteral("CONFIG"), QByteArrayLiteral("SET"), QByteArrayLiteral("maxmemory"),
            QByteArray::number(settings.maxmemoryBytes), QByteArrayLiteral("maxmemory-policy"),
            settings.policy.toLatin1(), QByteArrayLiteral("maxmemory-samples"), QByteArray::number(settings.samples) },
        {}, [this, op, reported](const RedisReply &set) {
            if (set.isError()) {
                if (isPermissionError(set)) {
                    op->fail(ServiceStatus::Unavailable, noConfigRights(set, QStringLiteral("CONFIG SET")));
                    return;
                }
                op->fail(ServiceStatus::Error,
                    QStringLiteral("Redis refused the eviction settings: %1").arg(set.errorMessage()));
                return;
            }
            readBack(op, reported);
        });
}

void EvictionConfig::readBack(const OperationPtr &op, const std::shared_ptr<EvictionSettings> &reported)
{
    // What Redis took (it may round maxmemory), and the warning when an
    // allkeys-* policy could evict data that is not in SQLite yet.
    m_backend.tracedRedis().command(op, ConfigGet, {}, [this, op, reported](const RedisReply &get) {
        *reported = parseEviction(get);
        ServiceResult r;
        if (EvictionSettings::isAllKeysPolicy(reported->policy) && m_queue.depth() > 0) {
            const QString w
                = QStringLiteral("%1 may evict keys without a TTL: %2 write-behind item(s) are still "
                                 "pending, and their hashes or the queue itself could be evicted before "
                                 "they reach SQLite. Prefer a volatile-* policy while write-behind is in use.")
                      .arg(reported->policy)
                      .arg(m_queue.depth());
            r.warnings << w;
            op->note(w, TraceOutcome::Skipped);
            emit warning(w);
        }
        emit evictionSettingsChanged(*reported);
        op->finish(r);
    });
}

void EvictionConfig::read(const OperationPtr &op, const std::shared_ptr<EvictionSettings> &reported)
{
    if (!m_backend.cacheUp()) {
        op->fail(ServiceStatus::Unavailable, QStringLiteral("Redis is unreachable."));
        return;
    }
    m_backend.tracedRedis().command(op, ConfigGet, {}, [op, reported](const RedisReply &get) {
        if (get.isError()) {
            if (isPermissionError(get))
                op->fail(ServiceStatus::Unavailable, noConfigRights(get, QStringLiteral("CONFIG GET")));
            else
                op->fail(ServiceStatus::Error, get.errorMessage());
            return;
        }
        *reported = parseEviction(get);
        op->finish(ServiceResult {});
    });
}
