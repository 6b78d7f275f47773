// CatalogCall: trace steps and result delivery for the catalog features.
#include "catalogcall.h"

#include "cachebackend.h"
#include "productrepository.h"
#include "productservice.h"

#include <QHash>
#include <QMetaObject>

namespace {

// "label: cmd | cmd | ...", the step text of a catalog pipeline.
QString commandsText(const QList<RedisCommand> &cmds, const QString &label)
{
    QStringList parts;
    for (const RedisCommand &c : cmds)
        parts << redactedCommandText(c, 60);
    QString text = parts.join(QStringLiteral(" | "));
    if (text.size() > 300)
        text = text.left(297) + QStringLiteral("...");
    return label.isEmpty() ? text : label + QStringLiteral(": ") + text;
}

} // namespace

std::shared_ptr<CatalogCall> CatalogCall::begin(ProductService *service, TracedRedis *redis, TracedStore *store,
    const QString &name, qint64 productId, QObject *context, CatalogCallback done)
{
    auto call = std::make_shared<CatalogCall>();
    // The service numbers the trace when it is published (recordTrace).
    call->op = std::make_shared<Operation>(0, name, service->strategy(), productId);
    call->m_service = service;
    call->m_redis = redis;
    call->m_store = store;
    call->m_context = context;
    call->m_hasContext = context != nullptr;
    call->m_done = std::move(done);
    return call;
}

bool CatalogCall::redisUp() const
{
    return m_service && m_service->redis() && m_service->redis()->isConnected();
}

CacheKeys CatalogCall::keys() const
{
    return CacheKeys(m_service ? m_service->settings().keyPrefix : QString());
}

qint64 CatalogCall::ttlSeconds() const
{
    return m_service ? qMax(1, m_service->settings().ttlSeconds) : 60;
}

ServiceStatus CatalogCall::statusOf(const StoreResult &r)
{
    switch (r.status) {
    case StoreStatus::Ok:
        return ServiceStatus::Ok;
    case StoreStatus::NotFound:
        return ServiceStatus::NotFound;
    case StoreStatus::Invalid:
        return ServiceStatus::Invalid;
    case StoreStatus::Conflict:
        return ServiceStatus::Conflict;
    case StoreStatus::Error:
        return ServiceStatus::Error;
    }
    return ServiceStatus::Error;
}

void CatalogCall::redis(
    const RedisCommand &cmd, const Classifier &classify, std::function<void(const RedisReply &)> then)
{
    if (m_service && m_redis)
        m_redis->command(op, cmd, classify, std::move(then));
}

void CatalogCall::transaction(const QList<RedisCommand> &cmds, const QString &label, TraceOutcome outcome,
    std::function<void(const RedisReply &)> then)
{
    if (m_service && m_redis)
        m_redis->transaction(op, cmds, label, std::move(then), outcome);
}

void CatalogCall::pipeline(const QList<RedisCommand> &cmds, const QString &label,
    const std::function<TraceOutcome(const QList<RedisReply> &)> &classify,
    std::function<void(const QList<RedisReply> &)> then)
{
    if (!m_service || !m_redis)
        return;
    m_redis->pipeline(op, cmds,
        commandsText(cmds, label.isEmpty() ? QStringLiteral("pipeline %1").arg(cmds.size()) : label), std::move(then),
        classify);
}

void CatalogCall::sql(const StoreCall &call, std::function<void(const StoreResult &)> then)
{
    if (m_service && m_store && m_store->repository())
        m_store->call(op, false, QString(), call, std::move(then));
}

void CatalogCall::resolve(const QList<qint64> &ids, std::function<void(const QList<Product> &, int)> then)
{
    if (ids.isEmpty()) {
        then({}, 0);
        return;
    }
    auto self = shared_from_this();
    // SQLite for whatever Redis did not have, then everything in the order of ids.
    auto fromDb = [self, ids, then](QHash<qint64, Product> found, int fromRedis) {
        QList<qint64> missing;
        for (const qint64 id : ids) {
            if (!found.contains(id))
                missing << id;
        }
        auto done = [ids, then, fromRedis](const QHash<qint64, Product> &all) {
            QList<Product> out;
            for (const qint64 id : ids) {
                if (all.contains(id))
                    out << all.value(id);
            }
            then(out, fromRedis);
        };
        if (missing.isEmpty()) {
            done(found);
            return;
        }
        self->sql([missing](ProductRepository &repo, QObject *ctx,
                      StoreCallback cb) { repo.productsByIds(missing, ctx, std::move(cb)); },
            [found, done](const StoreResult &r) mutable {
                for (const Product &p : r.products)
                    found.insert(p.id, p);
                done(found);
            });
    };
    if (!redisUp()) {
        fromDb({}, 0);
        return;
    }
    const CacheKeys k = keys();
    static const QList<QByteArray> fields { ProductHash::Name, ProductHash::Price, ProductHash::Version };
    QList<RedisCommand> cmds;
    for (const qint64 id : ids)
        cmds << RedisCommand { "HMGET", k.product(id) } + fields;
    auto classify = [](const QList<RedisReply> &replies) {
        int hits = 0;
        for (const RedisReply &r : replies)
            hits += (r.isArray() && r.size() == 3 && r.at(0).isString()) ? 1 : 0;
        return hits == replies.size() ? TraceOutcome::Hit : TraceOutcome::Miss;
    };
    pipeline(
        cmds, QStringLiteral("read the products (no fill)"), classify, [ids, fromDb](const QList<RedisReply> &replies) {
            QHash<qint64, Product> found;
            for (qsizetype i = 0; i < replies.size() && i < ids.size(); ++i) {
                const ProductHash h = ProductHash::decodeFields(ids.at(i), fields, replies.at(i));
                if (!h.hasRow())
                    continue; // not cached, or a negative entry
                found.insert(h.product().id, h.product());
            }
            fromDb(found, int(found.size()));
        });
}

void CatalogCall::finish(CatalogResult result, TraceOutcome outcome)
{
    if (op->isFinished())
        return;
    op->finish(ServiceResult {}); // stamps the total time; no finisher is set
    op->trace.outcome = outcome;
    if (result.status != ServiceStatus::Ok && result.status != ServiceStatus::NotFound)
        op->trace.error = result.error;
    if (m_service)
        op->trace.id = m_service->recordTrace(op->trace);
    result.trace = op->trace;
    QObject *owner = m_redis; // a child of the catalog object: gone with it
    if (!owner || !m_done)
        return;
    QMetaObject::invokeMethod(
        owner,
        [result, done = m_done, context = m_context, hasContext = m_hasContext] {
            if (!hasContext || context)
                done(result);
        },
        Qt::QueuedConnection);
}

void CatalogCall::fail(ServiceStatus status, const QString &error, TraceOutcome outcome)
{
    CatalogResult r;
    r.status = status;
    r.error = error;
    finish(r, outcome);
}

void CatalogCall::reject(const QList<FieldError> &errors)
{
    note(QStringLiteral("rejected before reaching Redis or SQLite: %1").arg(ProductValidator::describe(errors)),
        TraceOutcome::Invalid);
    CatalogResult r;
    r.status = ServiceStatus::Invalid;
    r.fieldErrors = errors;
    r.error = ProductValidator::describe(errors);
    finish(r, TraceOutcome::Invalid);
}
