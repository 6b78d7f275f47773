// CatalogCall: tracing plumbing shared by ProductTags and ProductSearch.
//
// Internal to core/catalog: an Operation that collects steps, Redis and SQL
// calls through the owner's TracedRedis / TracedStore (core/trace, the same
// steps the service writes), and finish(), which publishes the trace
// through ProductService::recordTrace() (so the trace panel shows it) and
// calls back on a later event-loop turn, never inside the call.
#pragma once

#include "cachekeys.h"
#include "catalogresult.h"
#include "operation.h"
#include "redisclient.h"
#include "storeresult.h"
#include "tracedredis.h"
#include "tracedstore.h"

#include <memory>
#include <QPointer>

class ProductRepository;
class ProductService;

class CatalogCall final : public std::enable_shared_from_this<CatalogCall>
{
public:
    using Classifier = std::function<TraceOutcome(const RedisReply &)>;

    /// redis, store: the catalog object's own traced calls (its children),
    /// so Redis and SQL replies are dropped with it.
    static std::shared_ptr<CatalogCall> begin(ProductService *service, TracedRedis *redis, TracedStore *store,
        const QString &name, qint64 productId, QObject *context, CatalogCallback done);

    OperationPtr op;

    void note(const QString &text, TraceOutcome outcome = TraceOutcome::Ok) { op->note(text, outcome); }
    /// One Redis command with its trace step. Errors are classified as
    /// Unavailable (client side: Redis down) or Error.
    void redis(const RedisCommand &cmd, const Classifier &classify, std::function<void(const RedisReply &)> then);
    /// MULTI cmds EXEC as one trace step.
    void transaction(const QList<RedisCommand> &cmds, const QString &label, TraceOutcome outcome,
        std::function<void(const RedisReply &)> then);
    void pipeline(const QList<RedisCommand> &cmds, const QString &label,
        const std::function<TraceOutcome(const QList<RedisReply> &)> &classify,
        std::function<void(const QList<RedisReply> &)> then);
    /// Runs a repository call with its SQL trace step.
    using StoreCall = std::function<void(ProductRepository &, QObject *, StoreCallback)>;
    void sql(const StoreCall &call, std::function<void(const StoreResult &)> then);
    /// Ids to products: the product:{id} hashes in Redis first (one
    /// pipeline of HMGET, read only: filling them is ProductService's job,
    /// with its stale-set guard), SQLite for the rest. Order of ids kept;
    /// ids with no row are left out. then(products, how many came from Redis).
    void resolve(const QList<qint64> &ids, std::function<void(const QList<Product> &, int fromRedis)> then);

    /// Publishes the trace and calls back (queued). outcome is the trace's overall outcome.
    void finish(CatalogResult result, TraceOutcome outcome);
    void fail(ServiceStatus status, const QString &error, TraceOutcome outcome = TraceOutcome::Error);
    /// Invalid input: nothing reached Redis or SQLite.
    void reject(const QList<FieldError> &errors);

    bool redisUp() const;
    CacheKeys keys() const;
    qint64 ttlSeconds() const;
    static ServiceStatus statusOf(const StoreResult &r);

private:
    QPointer<ProductService> m_service;
    QPointer<TracedRedis> m_redis;
    QPointer<TracedStore> m_store;
    QPointer<QObject> m_context;
    bool m_hasContext = false;
    CatalogCallback m_done;
};

using CatalogCallPtr = std::shared_ptr<CatalogCall>;
