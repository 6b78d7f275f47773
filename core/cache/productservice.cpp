// ProductService: dispatches calls to the strategy selected when they
// start, owns the background machinery, and turns finished operations into
// traces, metrics, signals and callbacks.
#include "productservice.h"

#include "cacheasidestrategy.h"
#include "cachebackend.h"
#include "cachescripts.h"
#include "invalidationbus.h"
#include "nocachestrategy.h"
#include "productrepository.h"
#include "readthroughstrategy.h"
#include "redisclient.h"
#include "writebehindqueue.h"
#include "writebehindstrategy.h"
#include "writethroughstrategy.h"

#include <QDateTime>
#include <QPointer>
#include <QTimer>
#include <QUuid>

namespace {
// Marks "inside a public call" so results found synchronously (invalid
// input, Redis down) are still delivered on a later event-loop turn.
struct CallScope
{
    explicit CallScope(int &depth)
        : m_depth(depth)
    {
        ++m_depth;
    }
    ~CallScope() { --m_depth; }
    int &m_depth;
};

TraceOutcome overallOutcome(const Operation &op, const ServiceResult &r)
{
    switch (r.status) {
    case ServiceStatus::Ok:
        if (op.what() == OperationKind::Get) {
            if (r.fromCache)
                return TraceOutcome::Hit;
            return op.kind() == StrategyKind::None ? TraceOutcome::Ok : TraceOutcome::Miss;
        }
        if (op.trace.hasStep(TraceOutcome::Queue) && op.kind() == StrategyKind::WriteBehind
            && op.what() != OperationKind::Flush)
            return TraceOutcome::Queue;
        return TraceOutcome::Ok;
    case ServiceStatus::NotFound:
        return r.fromCache ? TraceOutcome::NegativeHit : TraceOutcome::NotFound;
    case ServiceStatus::Invalid:
        return TraceOutcome::Invalid;
    case ServiceStatus::Conflict:
        return TraceOutcome::Conflict;
    case ServiceStatus::Unavailable:
        return TraceOutcome::Unavailable;
    case ServiceStatus::Error:
        return TraceOutcome::Error;
    }
    return TraceOutcome::Error;
}
} // namespace

ProductService::ProductService(RedisClient *redis, ProductRepository *repository, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_repository(repository)
    , m_instanceId(QUuid::createUuid().toString(QUuid::WithoutBraces))
    , m_viewerId("window-" + m_instanceId.left(8).toLatin1())
{
    qRegisterMetaType<ProductWrite>();
    qRegisterMetaType<OperationTrace>();
    qRegisterMetaType<StrategyKind>();
    qRegisterMetaType<CacheSettings>();
    qRegisterMetaType<EvictionSettings>();
    qRegisterMetaType<MetricsSnapshot>();
    qRegisterMetaType<QList<QByteArray>>();

    m_backend = std::make_unique<CacheBackend>(redis, repository);
    m_backend->setSettings(m_settings);
    // CacheBackend and the write-behind worker still start their background
    // operations by name ("flush", "recover", "change-log-replay",
    // "deferred-invalidate"): this is where such a name becomes its kind.
    m_backend->beginBackground = [this](const QString &name, qint64 productId) {
        const OperationKind what = operationKindFromName(name);
        const bool wb = what == OperationKind::Flush || what == OperationKind::Recover;
        return beginWith(wb ? StrategyKind::WriteBehind : m_strategy, what, productId, nullptr, {});
    };
    m_backend->drainFirst = [this](const OperationPtr &op, std::function<void()> next) {
        drainThen(op, std::move(next));
    };
    m_backend->dropAll = [this](const OperationPtr &op, std::function<void()> then) {
        scanKeys(op, m_backend->keys().droppablePatterns(), {}, QByteArrayLiteral("0"),
            [this, op, then = std::move(then)](const QList<QByteArray> &keys) {
                dropKeys(op, keys, [then](qint64, qint64) { then(); });
            });
    };
    m_queue = std::make_unique<WriteBehindQueue>(*m_backend);
    m_strategies.push_back(std::make_unique<NoCacheStrategy>(*m_backend));
    m_strategies.push_back(std::make_unique<CacheAsideStrategy>(*m_backend));
    m_strategies.push_back(std::make_unique<ReadThroughStrategy>(*m_backend));
    m_strategies.push_back(std::make_unique<WriteThroughStrategy>(*m_backend));
    m_strategies.push_back(std::make_unique<WriteBehindStrategy>(*m_backend, *m_queue));

    m_bus = std::make_unique<InvalidationBus>(redis, m_instanceId);
    m_backend->publish = [this](const QList<qint64> &ids, const QList<qint64> &versions, bool all) {
        m_bus->publish(ids, versions, all);
    };
    m_bus->configure(
        m_settings.invalidationChannel.toUtf8(), m_backend->keys().prefix(), m_settings.publishInvalidations);

    connect(redis, &RedisClient::connected, this, &ProductService::onRedisConnected);
    connect(redis, &RedisClient::disconnected, this, &ProductService::onRedisDisconnected);
    connect(repository, &ProductRepository::changed, this, &ProductService::onStoreChanged);
    connect(m_bus.get(), &InvalidationBus::remoteInvalidation, this, &ProductService::onRemoteInvalidation);
    connect(m_queue.get(), &WriteBehindQueue::depthChanged, this, &ProductService::queueDepthChanged);
    connect(m_queue.get(), &WriteBehindQueue::flushed, this, [this](const QList<qint64> &ids) {
        for (qint64 id : ids)
            emit productChanged(id);
    });
    connect(m_backend.get(), &CacheBackend::pendingInvalidationsChanged, this,
        &ProductService::pendingInvalidationsChanged);
    connect(m_backend.get(), &CacheBackend::keysInvalidated, this, &ProductService::keysInvalidated);

    m_metricsTimer.setSingleShot(true);
    m_metricsTimer.setInterval(200);
    connect(&m_metricsTimer, &QTimer::timeout, this, &ProductService::metricsChanged);

    m_cacheAvailable = redis->isConnected();
    if (m_cacheAvailable)
        QTimer::singleShot(0, this, &ProductService::onRedisConnected);
}

ProductService::~ProductService() = default;

// --- plumbing ----------------------------------------------------------------------------------

CacheStrategy *ProductService::strategyObject(StrategyKind kind) const
{
    return m_strategies.at(size_t(kind)).get();
}

std::shared_ptr<Operation> ProductService::begin(
    OperationKind operation, qint64 productId, QObject *context, ServiceCallback done)
{
    return beginWith(m_strategy, operation, productId, context, std::move(done));
}

std::shared_ptr<Operation> ProductService::beginWith(
    StrategyKind strategy, OperationKind operation, qint64 productId, QObject *context, ServiceCallback done)
{
    auto op = std::make_shared<Operation>(m_nextOperationId++, operation, strategy, productId);
    op->strategy = strategyObject(strategy);
    op->context = context;
    op->hasContext = context != nullptr;
    op->done = std::move(done);
    op->finisher = [this](Operation &o, ServiceResult r) { finish(o, std::move(r)); };
    return op;
}

std::shared_ptr<Operation> ProductService::beginChild(
    const std::shared_ptr<Operation> &parent, OperationKind operation, std::function<void(ServiceResult)> then)
{
    // A step of a larger call run through the ordinary strategy code: its
    // trace steps are folded into the parent's trace and its result goes to
    // the parent instead of a caller; it emits nothing by itself.
    auto child = std::make_shared<Operation>(m_nextOperationId++, operation, parent->kind(), parent->trace.productId);
    child->strategy = parent->strategy;
    child->finisher = [parent, then = std::move(then)](Operation &o, ServiceResult r) {
        if (!parent->isFinished())
            parent->trace.steps.append(o.trace.steps);
        then(std::move(r));
    };
    return child;
}

void ProductService::finish(Operation &op, ServiceResult result)
{
    OperationTrace &t = op.trace;
    t.outcome = overallOutcome(op, result);
    if (result.status != ServiceStatus::Ok && result.status != ServiceStatus::NotFound)
        t.error = result.error;
    result.retries = std::max(result.retries, op.retries);
    result.trace = t;
    const bool failed = result.status == ServiceStatus::Error || result.status == ServiceStatus::Unavailable;
    m_backend->metrics().recordOperation(t.operation, t.strategy, t.totalMicros, failed);
    if (!m_metricsTimer.isActive())
        m_metricsTimer.start();

    if (result.ok()) {
        ProductWrite w;
        w.operation = t.operation;
        w.strategy = op.kind();
        w.queued = op.kind() == StrategyKind::WriteBehind;
        switch (op.what()) {
        case OperationKind::Delete:
            m_backend->forgetViews(t.productId);
            emit productRemoved(t.productId);
            w.kind = ProductWrite::Kind::Deleted;
            w.id = t.productId;
            emit productWritten(w);
            break;
        case OperationKind::Create:
        case OperationKind::Update:
        case OperationKind::UpdateTx:
        case OperationKind::Upsert:
        case OperationKind::AdjustPrice:
            if (!result.product)
                break;
            emit productChanged(result.product->id);
            w.kind = op.what() == OperationKind::Create ? ProductWrite::Kind::Created : ProductWrite::Kind::Updated;
            w.id = result.product->id;
            w.version = result.product->version;
            emit productWritten(w);
            break;
        default:
            break;
        }
    }

    // The result carries the trace, so the deferred call needs no second
    // copy of it; the result itself is moved in, not copied.
    auto deliver = [this, result = std::move(result), done = std::move(op.done), context = op.context,
                       hasContext = op.hasContext] {
        emit traceRecorded(result.trace);
        if (done && (!hasContext || context))
            done(result);
    };
    if (m_inCall > 0)
        QTimer::singleShot(0, this, std::move(deliver));
    else
        deliver();
}

quint64 ProductService::recordTrace(OperationTrace trace)
{
    trace.id = m_nextOperationId++;
    const bool failed = trace.outcome == TraceOutcome::Error || trace.outcome == TraceOutcome::Unavailable;
    m_backend->metrics().recordOperation(trace.operation, trace.strategy, trace.totalMicros, failed);
    if (!m_metricsTimer.isActive())
        m_metricsTimer.start();
    emit traceRecorded(trace);
    return trace.id;
}

void ProductService::rejectInvalid(const std::shared_ptr<Operation> &op, const QList<FieldError> &errors)
{
    op->note(QStringLiteral("rejected before reaching Redis or SQLite: %1").arg(ProductValidator::describe(errors)),
        TraceOutcome::Invalid);
    ServiceResult r;
    r.status = ServiceStatus::Invalid;
    r.fieldErrors = errors;
    r.error = ProductValidator::describe(errors);
    op->finish(r);
}

void ProductService::setCacheAvailable(bool available)
{
    if (m_cacheAvailable == available)
        return;
    m_cacheAvailable = available;
    emit cacheAvailabilityChanged(available);
}

void ProductService::onRedisConnected()
{
    if (!m_redis->isConnected())
        return;
    setCacheAvailable(true);
    m_backend->loadScripts();
    m_backend->resetIdFloor();
    // Changes whose invalidation never reached Redis (it was away, or the
    // process that made them died) are in SQLite's change table: replay
    // them first; write-behind writes wait for it.
    m_backend->replayChangeLog();
    m_queue->recover();
    m_backend->replayPendingInvalidations();
}

void ProductService::onRedisDisconnected()
{
    setCacheAvailable(false);
}

// --- strategy and settings ---------------------------------------------------------------------

void ProductService::setStrategy(StrategyKind strategy)
{
    if (m_strategy == strategy)
        return;
    const StrategyKind old = m_strategy;
    m_strategy = strategy;
    // Leaving write-behind: drain now rather than at the next interval. The
    // worker keeps running either way.
    if (old == StrategyKind::WriteBehind && m_queue->depth() > 0)
        m_queue->flushNow();
    emit strategyChanged(strategy);
}

bool ProductService::setStrategyByName(const QString &name)
{
    const auto kind = strategyFromName(name);
    if (!kind)
        return false;
    setStrategy(*kind);
    return true;
}

void ProductService::setSettings(const CacheSettings &settings)
{
    const CacheSettings s = settings.clamped();
    if (s == m_settings)
        return;
    m_settings = s;
    m_backend->setSettings(s);
    m_bus->configure(s.invalidationChannel.toUtf8(), m_backend->keys().prefix(), s.publishInvalidations);
    emit settingsChanged(s);
}

void ProductService::setArtificialDbLatency(int ms)
{
    m_repository->setArtificialLatency(std::clamp(ms, 0, 2000));
}

int ProductService::artificialDbLatency() const
{
    return m_repository->artificialLatency();
}

void ProductService::setFillHookForTesting(std::function<void(qint64, std::function<void()>)> hook)
{
    m_backend->setFillHook(std::move(hook));
}

void ProductService::setWriteBehindVersionHookForTesting(std::function<void(qint64, std::function<void()>)> hook)
{
    m_backend->setWriteBehindVersionHook(std::move(hook));
}

int ProductService::queueDepth() const
{
    return m_queue->depth();
}

QSet<qint64> ProductService::pendingInvalidations() const
{
    QSet<qint64> out;
    const auto pending = m_backend->pendingInvalidations();
    for (auto it = pending.cbegin(); it != pending.cend(); ++it)
        out.insert(it.key());
    return out;
}

MetricsSnapshot ProductService::metrics() const
{
    MetricsSnapshot m = m_backend->metrics().snapshot();
    m.queueDepth = m_queue->depth();
    return m;
}

void ProductService::resetMetrics()
{
    m_backend->metrics().reset();
    emit metricsChanged();
}

// --- product operations --------------------------------------------------------------------------

void ProductService::get(qint64 id, QObject *context, ServiceCallback done)
{
    get(id, m_viewerId, context, std::move(done));
}

void ProductService::get(qint64 id, const QByteArray &viewer, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Get, id, context, std::move(done));
    op->viewer = viewer.isEmpty() ? m_viewerId : viewer;
    if (const auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return rejectInvalid(op, errors);
    op->strategy->get(op, id);
}

void ProductService::list(QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::List, 0, context, std::move(done));
    op->strategy->list(op);
}

void ProductService::save(const Product &product, QObject *context, ServiceCallback done)
{
    if (product.id <= 0)
        create(product.name, product.price, context, std::move(done));
    else
        update(product.id, product.name, product.price, product.version, context, std::move(done));
}

void ProductService::create(const QString &name, qint64 price, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Create, 0, context, std::move(done));
    QString clean = name;
    if (const auto errors = ProductValidator::validate(0, clean, price, false); !errors.isEmpty())
        return rejectInvalid(op, errors);
    afterPendingWrites(op, [op, clean, price] { op->strategy->create(op, clean, price); });
}

void ProductService::upsert(qint64 id, const QString &name, qint64 price, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Upsert, id, context, std::move(done));
    QString clean = name;
    if (const auto errors = ProductValidator::validate(id, clean, price, true); !errors.isEmpty())
        return rejectInvalid(op, errors);
    afterPendingWrites(op, [op, id, clean, price] { op->strategy->upsert(op, id, clean, price); });
}

void ProductService::afterPendingWrites(const std::shared_ptr<Operation> &op, std::function<void()> next)
{
    if (op->kind() == StrategyKind::WriteBehind || !m_backend->cacheUp()) {
        next();
        return;
    }
    // (The queue is shared: a write of this id queued by another instance is
    // found by the version reservation, which flushes it first.)
    if (m_queue->depth() <= 0) {
        next();
        return;
    }
    drainThen(op, std::move(next));
}

void ProductService::drainThen(const std::shared_ptr<Operation> &op, std::function<void()> next)
{
    // Write-behind items are still queued (the strategy was switched away):
    // let them reach SQLite first. Otherwise SQLite could hand out an id a
    // queued create already uses, or a later flush of an older queued
    // version could be refused while the cache keeps it, or overwrite this write.
    op->note(QStringLiteral("write-behind items pending: flushing them before writing to SQLite"));
    m_queue->drain([op, next = std::move(next)](const ServiceResult &r) {
        if (r.ok()) {
            next();
            return;
        }
        // Writing now could let a queued older version overwrite this write
        // later, or this write hide a queued one: refuse, change nothing.
        op->fail(r.status == ServiceStatus::Unavailable ? ServiceStatus::Unavailable : ServiceStatus::Error,
            QStringLiteral("Write-behind writes are still queued and could not be flushed first (%1). Nothing was "
                           "changed; try again once the queue drains.")
                .arg(r.error));
    });
}

void ProductService::update(
    qint64 id, const QString &name, qint64 price, qint64 expectedVersion, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Update, id, context, std::move(done));
    QString clean = name;
    if (const auto errors = ProductValidator::validate(id, clean, price, true); !errors.isEmpty())
        return rejectInvalid(op, errors);
    afterPendingWrites(op, [op, id, clean, price, expectedVersion] {
        op->strategy->update(op, id, clean, price, std::max<qint64>(0, expectedVersion));
    });
}

void ProductService::updateInTransaction(
    qint64 id, const QString &name, qint64 price, qint64 expectedVersion, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::UpdateTx, id, context, std::move(done));
    QString clean = name;
    if (const auto errors = ProductValidator::validate(id, clean, price, true); !errors.isEmpty())
        return rejectInvalid(op, errors);
    afterPendingWrites(op, [this, op, id, clean, price, expectedVersion] {
        updateInTransactionNow(op, id, clean, price, expectedVersion);
    });
}

void ProductService::updateInTransactionNow(
    const std::shared_ptr<Operation> &op, qint64 id, const QString &clean, qint64 price, qint64 expectedVersion)
{
    if (op->kind() == StrategyKind::None || op->kind() == StrategyKind::WriteBehind) {
        op->note(op->kind() == StrategyKind::None
                ? QStringLiteral("strategy none: SQLite only")
                : QStringLiteral("write-behind: the queued write is the transaction"));
        op->strategy->update(op, id, clean, price, std::max<qint64>(0, expectedVersion));
        return;
    }
    // SQLite first, and checked: the article wrote Redis first and ignored
    // the SQL error, leaving cache and database disagreeing (bug 2).
    CacheBackend &b = *m_backend;
    b.writeSql(op, QStringLiteral("UPDATE product %1").arg(id),
        CacheBackend::updateCall(id, clean, price, std::max<qint64>(0, expectedVersion)), false,
        [this, op](const StoreResult &r) {
            ServiceResult res = CacheBackend::fromStore(r);
            if (!r.ok() || !r.product) {
                op->finish(res);
                return;
            }
            const Product p = *r.product;
            CacheBackend &b = *m_backend;
            if (!b.cacheUp()) {
                b.invalidateAfterWrite(op, p.id, p.version, [op, res](qint64) { op->finish(res); });
                return;
            }
            const QByteArray key = b.keys().product(p.id);
            const QByteArray guard = b.keys().guard(p.id);
            const qint64 ttl = b.ttlMs();
            auto refused = std::make_shared<QString>();
            auto build = [p, key, ttl, refused](const QList<RedisReply> &reads) -> QList<RedisCommand> {
                const RedisReply &h = reads.value(0);
                const RedisReply &g = reads.value(1);
                if (h.size() > 1 && !h.at(1).isNil()) {
                    *refused = QStringLiteral("the hash holds an unflushed write-behind value");
                    return {};
                }
                if (h.size() > 0 && !h.at(0).isNil() && h.at(0).toInteger() > p.version) {
                    *refused = QStringLiteral("the hash holds newer version %1").arg(h.at(0).toInteger());
                    return {};
                }
                if (!g.isNil() && g.toInteger() > p.version) {
                    *refused = QStringLiteral("a newer change (guard %1) was recorded").arg(g.toInteger());
                    return {};
                }
                // HSET and PEXPIRE inside one MULTI: no crash can leave a
                // hash without its TTL (article bug 1).
                return { { QByteArrayLiteral("HSET"), key, QByteArrayLiteral("id"), QByteArray::number(p.id),
                             QByteArrayLiteral("name"), p.name.toUtf8(), QByteArrayLiteral("price"),
                             QByteArray::number(p.price), QByteArrayLiteral("version"), QByteArray::number(p.version),
                             QByteArrayLiteral("updated_at"),
                             p.updatedAt.toUTC().toString(Qt::ISODateWithMs).toLatin1() },
                    { QByteArrayLiteral("HDEL"), key, QByteArrayLiteral("absent"), QByteArrayLiteral("delta"),
                        QByteArrayLiteral("expires_at") },
                    { QByteArrayLiteral("PEXPIRE"), key, QByteArray::number(ttl) } };
            };
            QElapsedTimer clock;
            clock.start();
            b.metrics().redisCommands += 3;
            m_redis->watchTransaction({ key, guard },
                { { QByteArrayLiteral("HMGET"), key, QByteArrayLiteral("version"), QByteArrayLiteral("dirty") },
                    { QByteArrayLiteral("GET"), guard } },
                build, 3, m_backend.get(),
                [this, op, p, res, key, ttl, refused, clock](const RedisReply &exec, int attempts) {
                    CacheBackend &b = *m_backend;
                    const qint64 us = clock.nsecsElapsed() / 1000;
                    const QString text = QStringLiteral(
                        "WATCH %1 | HMGET version dirty | GET guard | MULTI HSET %1 ... | PEXPIRE %1 %2 | EXEC")
                                             .arg(QString::fromUtf8(key))
                                             .arg(ttl);
                    if (exec.isArray()) {
                        b.metrics().redisCommands += 5;
                        ++b.metrics().fills;
                        op->step(TraceSystem::Redis, text, TraceOutcome::Fill, us,
                            attempts > 1 ? QStringLiteral("%1 attempts").arg(attempts) : QString());
                        if (b.publish)
                            b.publish({ p.id }, { p.version }, false);
                        op->finish(res);
                        return;
                    }
                    if (!refused->isEmpty()) {
                        ++b.metrics().staleSkips;
                        op->step(TraceSystem::Redis, text, TraceOutcome::StaleSkip, us, *refused);
                        op->finish(res);
                        return;
                    }
                    // Lost every WATCH race or Redis failed: the safe fallback is to invalidate.
                    op->step(TraceSystem::Redis, text, exec.isError() ? TraceOutcome::Error : TraceOutcome::Conflict,
                        us, exec.isError() ? exec.errorMessage() : QStringLiteral("WATCH lost %1 times").arg(attempts));
                    b.invalidateAfterWrite(op, p.id, p.version, [op, res](qint64) { op->finish(res); });
                });
        });
}

void ProductService::remove(qint64 id, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Delete, id, context, std::move(done));
    if (const auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return rejectInvalid(op, errors);
    afterPendingWrites(op, [op, id] { op->strategy->remove(op, id); });
}

void ProductService::adjustPrice(qint64 id, qint64 delta, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::AdjustPrice, id, context, std::move(done));
    QList<FieldError> errors = ProductValidator::validateId(id);
    if (delta == 0)
        errors.append({ QStringLiteral("delta"), QStringLiteral("Adjust the price by a non-zero amount.") });
    if (!errors.isEmpty())
        return rejectInvalid(op, errors);
    afterPendingWrites(op, [this, op, id, delta] { adjustAttempt(op, id, delta, 1); });
}

void ProductService::adjustAttempt(const std::shared_ptr<Operation> &op, qint64 id, qint64 delta, int attempt)
{
    // Optimistic concurrency: read, compute, write only if the version is
    // still the one read; when someone else wrote in between, read again.
    auto read = beginChild(op, OperationKind::Get, [this, op, id, delta, attempt](ServiceResult r) {
        if (!r.ok() || !r.product) {
            op->finish(std::move(r));
            return;
        }
        const Product current = *r.product;
        qint64 price = 0;
        QList<FieldError> errors;
        if (__builtin_add_overflow(current.price, delta, &price))
            errors.append({ QStringLiteral("price"), QStringLiteral("The adjusted price is out of range.") });
        else
            errors = ProductValidator::validatePrice(price);
        if (!errors.isEmpty()) {
            op->retries = attempt - 1;
            return rejectInvalid(op, errors);
        }
        op->note(QStringLiteral("attempt %1: read version %2 at price %3; writing %4 only if still version %2")
                     .arg(attempt)
                     .arg(current.version)
                     .arg(current.price)
                     .arg(price));
        auto write = beginChild(
            op, OperationKind::UpdateTx, [this, op, id, delta, attempt, current](ServiceResult w) {
                if (w.status == ServiceStatus::Conflict && attempt < MaxAdjustAttempts) {
                    op->step(TraceSystem::App,
                        QStringLiteral("version %1 is stale: another write came first; retrying").arg(current.version),
                        TraceOutcome::Conflict);
                    adjustAttempt(op, id, delta, attempt + 1);
                    return;
                }
                op->retries = attempt - 1;
                if (w.status == ServiceStatus::Conflict)
                    w.error = QStringLiteral("Gave up after %1 attempts: the price kept changing.").arg(attempt);
                w.retries = attempt - 1;
                op->finish(std::move(w));
            });
        updateInTransactionNow(write, id, current.name, price, current.version);
    });
    // (A child operation has no viewer: reading in order to write is not a view.)
    // A retry outside write-behind reads SQLite itself: the conflict may
    // have come from a cached copy that is older than the row (an outside
    // edit the change feed has not reported yet), and reading that copy
    // again would lose every attempt. Under write-behind Redis holds the
    // newest data, so it is read through the cache.
    if (attempt > 1 && op->kind() != StrategyKind::WriteBehind) {
        read->note(QStringLiteral("retry: reading SQLite directly, not a possibly stale cached copy"));
        strategyObject(StrategyKind::None)->get(read, id);
        return;
    }
    read->strategy->get(read, id);
}

// --- cache management ----------------------------------------------------------------------------

void ProductService::invalidate(qint64 id, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Invalidate, id, context, std::move(done));
    if (const auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return rejectInvalid(op, errors);
    m_backend->invalidateAfterWrite(op, id, 0, [op](qint64 removed) {
        ServiceResult r;
        r.count = removed;
        op->finish(r);
    });
}

void ProductService::scanKeys(const std::shared_ptr<Operation> &op, QList<QByteArray> patterns, QList<QByteArray> found,
    QByteArray cursor, std::function<void(const QList<QByteArray> &)> then)
{
    if (patterns.isEmpty()) {
        then(found);
        return;
    }
    const QByteArray pattern = patterns.first();
    m_backend->command(op,
        { QByteArrayLiteral("SCAN"), cursor, QByteArrayLiteral("MATCH"), pattern, QByteArrayLiteral("COUNT"),
            QByteArrayLiteral("1000") },
        {}, [this, op, patterns, found, then = std::move(then)](const RedisReply &r) mutable {
            if (r.isError() || r.size() != 2) {
                then(found);
                return;
            }
            for (const RedisReply &k : r.at(1).elements())
                found << k.bytes();
            const QByteArray next = r.at(0).bytes();
            if (next == "0")
                patterns.removeFirst();
            if (patterns.isEmpty()) {
                // SCAN may return a key more than once; report each once.
                QList<QByteArray> unique;
                QSet<QByteArray> seen;
                for (const QByteArray &k : std::as_const(found)) {
                    if (!seen.contains(k)) {
                        seen.insert(k);
                        unique << k;
                    }
                }
                then(unique);
                return;
            }
            scanKeys(op, patterns, std::move(found), next, std::move(then));
        });
}

void ProductService::dropKeys(
    const std::shared_ptr<Operation> &op, const QList<QByteArray> &keys, std::function<void(qint64, qint64)> then)
{
    // The queue keys and the id counter are never dropped, whatever the
    // pattern - this instance's or another prefix's (an empty prefix's "*"
    // matches them all).
    QList<QByteArray> droppable;
    for (const QByteArray &key : keys) {
        if (!CacheKeys::isWriteBehindKey(key))
            droppable << key;
    }
    if (droppable.isEmpty()) {
        then(0, 0);
        return;
    }
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
    for (qsizetype i = 0; i < droppable.size(); i += 500)
        calls.append({ droppable.mid(i, 500), {} });
    m_backend->scriptPipeline(op, CacheScripts::dropKeys(), calls,
        QStringLiteral("EVALSHA (drop-keys) x %1: DEL %2 key(s) unless unflushed write-behind")
            .arg(calls.size())
            .arg(droppable.size()),
        [this, droppable, then = std::move(then)](const QList<RedisReply> &replies) {
            qint64 removed = 0;
            qint64 kept = 0;
            for (const RedisReply &r : replies) {
                if (r.isArray() && r.size() == 2) {
                    removed += r.at(0).toInteger();
                    kept += r.at(1).toInteger();
                }
            }
            m_backend->metrics().invalidations += quint64(removed);
            emit keysInvalidated(droppable);
            then(removed, kept);
        });
}

void ProductService::invalidatePattern(const QString &pattern, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::InvalidatePattern, 0, context, std::move(done));
    if (pattern.trimmed().isEmpty())
        return rejectInvalid(
            op, { { QStringLiteral("pattern"), QStringLiteral("Give a key pattern such as product:1*.") } });
    if (!m_backend->cacheUp()) {
        op->note(QStringLiteral("cache unavailable"), TraceOutcome::Unavailable);
        op->fail(ServiceStatus::Unavailable, QStringLiteral("Redis is unreachable; nothing was invalidated."));
        return;
    }
    const QByteArray full = m_backend->keys().prefix() + pattern.trimmed().toUtf8();
    scanKeys(op, { full }, {}, QByteArrayLiteral("0"), [this, op](const QList<QByteArray> &keys) {
        dropKeys(op, keys, [this, op, keys](qint64 removed, qint64 kept) {
            ServiceResult r;
            r.count = removed;
            if (kept > 0)
                r.warnings << QStringLiteral("%1 key(s) kept: they hold unflushed write-behind data").arg(kept);
            QList<qint64> ids;
            for (const QByteArray &k : keys) {
                if (const qint64 id = m_backend->keys().idFromProductKey(k))
                    ids << id;
            }
            if (!ids.isEmpty())
                m_bus->publish(ids, QList<qint64>(ids.size(), 0), false);
            op->finish(r);
        });
    });
}

void ProductService::invalidateAll(QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::InvalidateAll, 0, context, std::move(done));
    if (!m_backend->cacheUp()) {
        op->note(QStringLiteral("cache unavailable"), TraceOutcome::Unavailable);
        op->fail(ServiceStatus::Unavailable, QStringLiteral("Redis is unreachable; nothing was invalidated."));
        return;
    }
    QList<QByteArray> patterns = m_backend->keys().droppablePatterns();
    patterns << m_backend->keys().recent();
    scanKeys(op, patterns, {}, QByteArrayLiteral("0"), [this, op](const QList<QByteArray> &keys) {
        dropKeys(op, keys, [this, op](qint64 removed, qint64 kept) {
            ServiceResult r;
            r.count = removed;
            if (kept > 0)
                r.warnings << QStringLiteral("%1 key(s) kept: they hold unflushed write-behind data").arg(kept);
            m_bus->publish({}, {}, true);
            op->finish(r);
        });
    });
}

void ProductService::recentProducts(QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Recent, 0, context, std::move(done));
    m_backend->flushViews();
    if (op->kind() == StrategyKind::None || !m_backend->cacheUp()) {
        op->note(op->kind() == StrategyKind::None ? QStringLiteral("strategy none: the recent list lives in Redis")
                                                  : QStringLiteral("cache unavailable: the recent list lives in Redis"),
            op->kind() == StrategyKind::None ? TraceOutcome::Skipped : TraceOutcome::Unavailable);
        ServiceResult r;
        r.warnings << QStringLiteral("The recent-products list is kept in Redis and is not available now.");
        op->finish(r);
        return;
    }
    CacheBackend &b = *m_backend;
    b.command(op,
        { QByteArrayLiteral("LRANGE"), b.keys().recent(), QByteArrayLiteral("0"),
            QByteArray::number(m_settings.recentLimit - 1) },
        {}, [this, op](const RedisReply &list) {
            QList<qint64> ids;
            for (const RedisReply &e : list.elements()) {
                if (const qint64 id = e.bytes().toLongLong(); id > 0)
                    ids << id;
            }
            if (ids.isEmpty()) {
                op->finish(ServiceResult {});
                return;
            }
            // Every hash in one pipelined round trip; only misses go further.
            QList<RedisCommand> reads;
            for (qint64 id : std::as_const(ids))
                reads.append({ QByteArrayLiteral("HGETALL"), m_backend->keys().product(id) });
            m_backend->pipeline(op, reads, QStringLiteral("pipeline %1 x HGETALL product:{id}").arg(reads.size()),
                [this, op, ids](const QList<RedisReply> &hashes) {
                    auto picked = std::make_shared<QList<std::optional<Product>>>(ids.size());
                    auto remaining = std::make_shared<int>(0);
                    auto complete = [op, picked] {
                        ServiceResult r;
                        for (const auto &p : std::as_const(*picked)) {
                            if (p)
                                r.products << *p;
                        }
                        op->finish(r);
                    };
                    QList<int> misses;
                    for (int i = 0; i < ids.size(); ++i) {
                        const auto pairs
                            = i < hashes.size() ? hashes.at(i).toPairs() : QList<QPair<QByteArray, QByteArray>>();
                        bool absent = false;
                        for (const auto &kv : pairs)
                            absent = absent || kv.first == "absent";
                        if (!pairs.isEmpty() && !absent) {
                            ++m_backend->metrics().hits;
                            (*picked)[i] = CacheBackend::productFromHash(ids.at(i), pairs);
                        } else if (pairs.isEmpty()) {
                            misses << i;
                        }
                    }
                    if (misses.isEmpty()) {
                        complete();
                        return;
                    }
                    *remaining = int(misses.size());
                    for (int i : std::as_const(misses)) {
                        ++m_backend->metrics().misses;
                        m_backend->loadAndFill(op, ids.at(i), m_backend->dbLoader(),
                            [picked, remaining, complete, i](const LoadResult &lr) {
                                if (lr.status == ServiceStatus::Ok)
                                    (*picked)[i] = lr.product;
                                if (--*remaining == 0)
                                    complete();
                            });
                    }
                });
        });
}

void ProductService::warmUp(QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::WarmUp, 0, context, std::move(done));
    if (op->kind() == StrategyKind::None || !m_backend->cacheUp()) {
        op->note(QStringLiteral("nothing to warm: %1")
                     .arg(op->kind() == StrategyKind::None ? QStringLiteral("strategy none")
                                                           : QStringLiteral("cache unavailable")),
            op->kind() == StrategyKind::None ? TraceOutcome::Skipped : TraceOutcome::Unavailable);
        ServiceResult r;
        if (op->kind() != StrategyKind::None) {
            r.status = ServiceStatus::Unavailable;
            r.error = QStringLiteral("Redis is unreachable; nothing was loaded into the cache.");
        }
        op->finish(r);
        return;
    }
    QElapsedTimer clock;
    clock.start();
    m_backend->dbList(op, [this, op, clock](const StoreResult &s) {
        if (!s.ok()) {
            op->finish(CacheBackend::fromStore(s));
            return;
        }
        const qint64 loadMs = clock.elapsed();
        auto products = std::make_shared<QList<Product>>(s.products);
        auto filled = std::make_shared<qint64>(0);
        auto next = std::make_shared<std::function<void(qsizetype)>>();
        // One pipelined batch at a time: bounded memory on both sides.
        *next = [this, op, products, filled, next, loadMs](qsizetype from) {
            if (from >= products->size()) {
                ServiceResult r;
                r.count = *filled;
                r.products = *products;
                op->finish(r);
                *next = nullptr; // break the self-reference
                return;
            }
            const qsizetype n = std::min<qsizetype>(m_settings.warmUpBatchSize, products->size() - from);
            QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
            for (qsizetype i = from; i < from + n; ++i)
                calls << m_backend->fillCall(products->at(i), loadMs);
            m_backend->scriptPipeline(op, CacheScripts::fill(), calls,
                QStringLiteral("pipeline %1 x EVALSHA (fill) products %2..%3")
                    .arg(n)
                    .arg(products->at(from).id)
                    .arg(products->at(from + n - 1).id),
                [this, next, filled, from, n](const QList<RedisReply> &replies) {
                    for (const RedisReply &r : replies) {
                        if (r.toInteger() == 1) {
                            ++*filled;
                            ++m_backend->metrics().fills;
                        } else if (r.isInteger()) {
                            ++m_backend->metrics().staleSkips;
                        }
                    }
                    (*next)(from + n);
                });
        };
        (*next)(0);
    });
}

void ProductService::flushWriteBehind(QObject *context, ServiceCallback done)
{
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    m_queue->flushNow([guard, hasContext, done = std::move(done)](const ServiceResult &r) {
        if (done && (!hasContext || guard))
            done(r);
    });
}

void ProductService::drainWriteBehind(QObject *context, ServiceCallback done)
{
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    m_queue->drain([guard, hasContext, done = std::move(done)](const ServiceResult &r) {
        if (done && (!hasContext || guard))
            done(r);
    });
}

// --- eviction ----------------------------------------------------------------------------------

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
} // namespace

namespace {
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
} // namespace

void ProductService::applyEvictionSettings(const EvictionSettings &settings, QObject *context, EvictionCallback done)
{
    CallScope scope(m_inCall);
    auto holder = std::make_shared<EvictionSettings>(settings);
    auto op = begin(OperationKind::Eviction, 0, context, [holder, done = std::move(done)](const ServiceResult &r) {
        if (done)
            done(*holder, r);
    });
    if (const QString problem = settings.validate(); !problem.isEmpty())
        return rejectInvalid(op, { { QStringLiteral("eviction"), problem } });
    if (!m_backend->cacheUp()) {
        op->fail(ServiceStatus::Unavailable,
            QStringLiteral("Redis is unreachable; the eviction settings were not changed."));
        return;
    }
    m_backend->command(op,
        { QByteArrayLiteral("CONFIG"), QByteArrayLiteral("SET"), QByteArrayLiteral("maxmemory"),
            QByteArray::number(settings.maxmemoryBytes), QByteArrayLiteral("maxmemory-policy"),
            settings.policy.toLatin1(), QByteArrayLiteral("maxmemory-samples"), QByteArray::number(settings.samples) },
        {}, [this, op, holder](const RedisReply &set) {
            if (set.isError()) {
                if (isPermissionError(set)) {
                    op->fail(ServiceStatus::Unavailable, noConfigRights(set, QStringLiteral("CONFIG SET")));
                    return;
                }
                op->fail(ServiceStatus::Error,
                    QStringLiteral("Redis refused the eviction settings: %1").arg(set.errorMessage()));
                return;
            }
            m_backend->command(op,
                { QByteArrayLiteral("CONFIG"), QByteArrayLiteral("GET"), QByteArrayLiteral("maxmemory*") }, {},
                [this, op, holder](const RedisReply &get) {
                    *holder = parseEviction(get);
                    ServiceResult r;
                    if (EvictionSettings::isAllKeysPolicy(holder->policy) && m_queue->depth() > 0) {
                        const QString w = QStringLiteral(
                            "%1 may evict keys without a TTL: %2 write-behind item(s) are still "
                            "pending, and their hashes or the queue itself could be evicted before "
                            "they reach SQLite. Prefer a volatile-* policy while write-behind is in use.")
                                              .arg(holder->policy)
                                              .arg(m_queue->depth());
                        r.warnings << w;
                        op->note(w, TraceOutcome::Skipped);
                        emit warning(w);
                    }
                    emit evictionSettingsChanged(*holder);
                    op->finish(r);
                });
        });
}

void ProductService::readEvictionSettings(QObject *context, EvictionCallback done)
{
    CallScope scope(m_inCall);
    auto holder = std::make_shared<EvictionSettings>();
    auto op = begin(OperationKind::Eviction, 0, context, [holder, done = std::move(done)](const ServiceResult &r) {
        if (done)
            done(*holder, r);
    });
    if (!m_backend->cacheUp()) {
        op->fail(ServiceStatus::Unavailable, QStringLiteral("Redis is unreachable."));
        return;
    }
    m_backend->command(op, { QByteArrayLiteral("CONFIG"), QByteArrayLiteral("GET"), QByteArrayLiteral("maxmemory*") },
        {}, [op, holder](const RedisReply &get) {
            if (get.isError()) {
                if (isPermissionError(get))
                    op->fail(ServiceStatus::Unavailable, noConfigRights(get, QStringLiteral("CONFIG GET")));
                else
                    op->fail(ServiceStatus::Error, get.errorMessage());
                return;
            }
            *holder = parseEviction(get);
            op->finish(ServiceResult {});
        });
}

// --- events from outside ----------------------------------------------------------------------------

void ProductService::onStoreChanged(const QList<ProductChange> &changes)
{
    QList<ProductChange> external;
    qint64 lastSeq = 0;
    for (const ProductChange &c : changes) {
        if (c.kind == ProductChange::Kind::Insert && c.external)
            m_backend->resetIdFloor();
        if (c.external)
            external << c;
        lastSeq = std::max(lastSeq, c.seq);
    }
    if (external.isEmpty()) {
        m_backend->noteChangesSeen(lastSeq);
        return;
    }
    for (const ProductChange &c : std::as_const(external)) {
        if (c.kind == ProductChange::Kind::Delete) {
            m_backend->forgetViews(c.id);
            emit productRemoved(c.id);
        } else
            emit productChanged(c.id);
    }
    // Changes made outside the app (sqlite3 shell, another program): drop
    // the cached copies, with a guard so a reader that loaded the old row
    // just before cannot put it back.
    auto op = beginWith(
        m_strategy, OperationKind::ChangeFeed, external.size() == 1 ? external.first().id : 0, nullptr, {});
    // The invalidations below hold the change-log mark back until they are
    // confirmed (or remembered for a reconnect).
    m_backend->holdWriteTicket(op);
    m_backend->noteChangesSeen(lastSeq);
    auto remaining = std::make_shared<int>(int(external.size()));
    auto removed = std::make_shared<qint64>(0);
    for (const ProductChange &c : std::as_const(external)) {
        const qint64 guard = c.kind == ProductChange::Kind::Delete ? CacheScripts::DeletedGuard : c.version;
        op->note(
            QStringLiteral("outside change: %1 of product %2 (version %3)")
                .arg(c.kind == ProductChange::Kind::Delete
                        ? QStringLiteral("delete")
                        : (c.kind == ProductChange::Kind::Insert ? QStringLiteral("insert") : QStringLiteral("update")))
                .arg(c.id)
                .arg(c.version));
        const bool deleted = c.kind == ProductChange::Kind::Delete;
        m_backend->invalidateAfterWrite(
            op, c.id, guard,
            [op, remaining, removed](qint64 n) {
                *removed += n;
                if (--*remaining == 0) {
                    ServiceResult r;
                    r.count = *removed;
                    op->finish(r);
                }
            },
            c.version + (deleted ? 1 : 0));
    }
}

void ProductService::onRemoteInvalidation(
    const QString &origin, const QList<qint64> &ids, const QList<qint64> &versions, bool all)
{
    remoteInvalidate(origin, m_settings.invalidationChannel, ids, versions, all, {});
}

void ProductService::applyRemoteChange(const QString &origin, qint64 id, qint64 version, bool deleted,
    const QString &via, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    if (deleted)
        m_backend->forgetViews(id);
    remoteInvalidate(origin, via, { id }, { deleted ? CacheScripts::DeletedGuard : version }, false,
        [guard, hasContext, done = std::move(done)](const ServiceResult &r) {
            if (done && (!hasContext || guard))
                done(r);
        });
}

void ProductService::remoteInvalidate(const QString &origin, const QString &via, const QList<qint64> &ids,
    const QList<qint64> &versions, bool all, ServiceCallback done)
{
    auto op = beginWith(
        m_strategy, OperationKind::RemoteInvalidate, ids.size() == 1 ? ids.first() : 0, nullptr, std::move(done));
    op->note(QStringLiteral("message from instance %1 on %2").arg(origin.left(8), via));
    if (!m_backend->cacheUp()) {
        op->fail(ServiceStatus::Unavailable, QStringLiteral("Redis is unreachable."));
        return;
    }
    if (all) {
        QList<QByteArray> patterns = m_backend->keys().droppablePatterns();
        patterns << m_backend->keys().recent();
        scanKeys(op, patterns, {}, QByteArrayLiteral("0"), [this, op](const QList<QByteArray> &keys) {
            dropKeys(op, keys, [op](qint64 removed, qint64) {
                ServiceResult r;
                r.count = removed;
                op->finish(r);
            });
        });
        return;
    }
    QList<QPair<QList<QByteArray>, QList<QByteArray>>> calls;
    for (int i = 0; i < ids.size(); ++i) {
        const qint64 guard = m_settings.staleSetGuard ? versions.value(i, 0) : 0;
        calls.append({ { m_backend->keys().product(ids.at(i)), m_backend->keys().guard(ids.at(i)) },
            { QByteArray::number(guard), QByteArray::number(qint64(m_settings.guardTtlSeconds) * 1000),
                QByteArrayLiteral("0") } });
    }
    if (calls.isEmpty()) {
        op->finish(ServiceResult {});
        return;
    }
    m_backend->scriptPipeline(
        op, CacheScripts::invalidate(), calls, {}, [this, op, ids](const QList<RedisReply> &replies) {
            qint64 removed = 0;
            QList<QByteArray> keys;
            for (int i = 0; i < replies.size() && i < ids.size(); ++i) {
                if (replies.at(i).isError()) {
                    // Not confirmed: the caller (the change stream) must not
                    // treat the change as applied.
                    op->fail(replies.at(i).isClientError() ? ServiceStatus::Unavailable : ServiceStatus::Error,
                        replies.at(i).errorMessage());
                    return;
                }
                if (replies.at(i).toInteger() > 0) {
                    ++removed;
                    keys << m_backend->keys().product(ids.at(i));
                }
            }
            m_backend->metrics().invalidations += quint64(removed);
            if (!keys.isEmpty())
                emit keysInvalidated(keys);
            ServiceResult r;
            r.count = removed;
            op->finish(r);
        });
}

void ProductService::setExistenceCheck(ExistenceCheck check)
{
    m_backend->existenceCheck = std::move(check);
}

void ProductService::flushViews()
{
    m_backend->flushViews();
}
