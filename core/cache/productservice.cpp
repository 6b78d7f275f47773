// ProductService: dispatches calls to the strategy selected when they
// start or to the feature that does them (core/cache/features/), owns the
// background machinery, and turns finished operations into traces, metrics,
// signals and callbacks. It is the BackendHost of its CacheBackend and the
// TraceSink of everything else that sends Redis commands.
// (Over 500 lines: it is the one door to the cache layer, about forty public
// calls of a few lines each that only pick who does the work; the work itself
// lives in strategies/ and features/.)
#include "productservice.h"

#include "cacheasidestrategy.h"
#include "cachebackend.h"
#include "versionedwrites.h"
#include "writeinvalidation.h"
#include "cacheinvalidator.h"
#include "cachewarmer.h"
#include "evictionconfig.h"
#include "invalidationbus.h"
#include "nocachestrategy.h"
#include "pendingwritebarrier.h"
#include "priceadjuster.h"
#include "productrepository.h"
#include "readthroughstrategy.h"
#include "recentproducts.h"
#include "redisclient.h"
#include "rejectinvalid.h"
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

// The callback, dropped when its context object is gone (a call without a
// context is always answered).
ServiceCallback guarded(QObject *context, ServiceCallback done)
{
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    return [guard, hasContext, done = std::move(done)](const ServiceResult &r) {
        if (done && (!hasContext || guard))
            done(r);
    };
}

ServiceCallback evictionCallback(const std::shared_ptr<EvictionSettings> &reported, EvictionCallback done)
{
    return [reported, done = std::move(done)](const ServiceResult &r) {
        if (done)
            done(*reported, r);
    };
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

    BackendHost &host = *this;
    m_backend = std::make_unique<CacheBackend>(redis, repository, host);
    m_backend->setSettings(m_settings);
    m_queue = std::make_unique<WriteBehindQueue>(*m_backend);
    m_barrier = std::make_unique<PendingWriteBarrier>(*m_backend, *m_queue);
    m_strategies.push_back(std::make_unique<NoCacheStrategy>(*m_backend));
    m_strategies.push_back(std::make_unique<CacheAsideStrategy>(*m_backend));
    m_strategies.push_back(std::make_unique<ReadThroughStrategy>(*m_backend));
    m_strategies.push_back(std::make_unique<WriteThroughStrategy>(*m_backend));
    m_strategies.push_back(std::make_unique<WriteBehindStrategy>(*m_backend, *m_queue));

    m_bus = std::make_unique<InvalidationBus>(redis, m_instanceId);
    m_bus->configure(
        m_settings.invalidationChannel.toUtf8(), m_backend->keys().prefix(), m_settings.publishInvalidations);

    OperationStarter &starter = *this;
    m_invalidator = std::make_unique<CacheInvalidator>(*m_backend, *m_bus, starter, this);
    m_eviction = std::make_unique<EvictionConfig>(*m_backend, *m_queue, this);
    m_recent = std::make_unique<RecentProducts>(*m_backend);
    m_warmer = std::make_unique<CacheWarmer>(*m_backend);
    m_priceAdjuster
        = std::make_unique<PriceAdjuster>(starter, *strategyObject(StrategyKind::None));

    connect(redis, &RedisClient::connected, this, &ProductService::onRedisConnected);
    connect(redis, &RedisClient::disconnected, this, &ProductService::onRedisDisconnected);
    connect(repository, &ProductRepository::changed, m_invalidator.get(), &CacheInvalidator::onStoreChanged);
    connect(m_bus.get(), &InvalidationBus::remoteInvalidation, m_invalidator.get(),
        &CacheInvalidator::onRemoteInvalidation);
    connect(m_queue.get(), &WriteBehindQueue::depthChanged, this, &ProductService::queueDepthChanged);
    connect(m_queue.get(), &WriteBehindQueue::flushed, this, [this](const QList<qint64> &ids) {
        for (qint64 id : ids)
            emit productChanged(id);
    });
    connect(m_backend.get(), &CacheBackend::pendingInvalidationsChanged, this,
        &ProductService::pendingInvalidationsChanged);
    connect(m_backend.get(), &CacheBackend::keysInvalidated, this, &ProductService::keysInvalidated);
    connect(m_invalidator.get(), &CacheInvalidator::keysInvalidated, this, &ProductService::keysInvalidated);
    connect(m_invalidator.get(), &CacheInvalidator::productChanged, this, &ProductService::productChanged);
    connect(m_invalidator.get(), &CacheInvalidator::productRemoved, this, &ProductService::productRemoved);
    connect(m_eviction.get(), &EvictionConfig::evictionSettingsChanged, this,
        &ProductService::evictionSettingsChanged);
    connect(m_eviction.get(), &EvictionConfig::warning, this, &ProductService::warning);

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

OperationPtr ProductService::beginBackground(OperationKind operation, qint64 productId, ServiceCallback done)
{
    // The write-behind worker's own operations are write-behind whatever the
    // current strategy is (the queue keeps draining after a switch).
    const bool worker = operation == OperationKind::Flush || operation == OperationKind::Recover;
    OperationPtr op
        = beginWith(worker ? StrategyKind::WriteBehind : m_strategy, operation, productId, nullptr, std::move(done));
    op->trace.background = true;
    return op;
}

void ProductService::drainQueuedWrites(const OperationPtr &op, std::function<void()> next)
{
    m_barrier->drainThen(op, std::move(next));
}

void ProductService::dropAllProductKeys(const OperationPtr &op, std::function<void()> then)
{
    m_invalidator->dropAll(op, std::move(then));
}

void ProductService::publishInvalidation(const QList<qint64> &ids, const QList<qint64> &versions, bool all)
{
    m_bus->publish(ids, versions, all);
}

void ProductService::checkExistence(const OperationPtr &op, qint64 id, std::function<void(bool mayExist)> then)
{
    if (m_existenceCheck)
        m_existenceCheck(op, id, std::move(then));
    else
        then(true);
}

OperationPtr ProductService::beginChild(
    const OperationPtr &parent, OperationKind operation, std::function<void(ServiceResult)> then)
{
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
    t.outcome = op.outcomeFor(result);
    if (result.status != ServiceStatus::Ok && result.status != ServiceStatus::NotFound)
        t.error = result.error;
    result.retries = std::max(result.retries, op.retries);
    for (const QString &w : std::as_const(op.warnings)) {
        if (!result.warnings.contains(w))
            result.warnings << w;
    }
    result.trace = t;
    count(t);

    if (const auto w = ProductWrite::of(op, result)) {
        if (w->kind == ProductWrite::Kind::Deleted) {
            m_backend->forgetViews(w->id);
            emit productRemoved(w->id);
        } else {
            emit productChanged(w->id);
        }
        emit productWritten(*w);
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
    count(trace);
    emit traceRecorded(trace);
    return trace.id;
}

void ProductService::count(const OperationTrace &trace)
{
    const bool failed = trace.outcome == TraceOutcome::Error || trace.outcome == TraceOutcome::Unavailable;
    m_backend->metrics().recordOperation(trace.operation, trace.strategy, trace.totalMicros, failed);
    if (!m_metricsTimer.isActive())
        m_metricsTimer.start();
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
    m_backend->writes().resetIdFloor();
    // Changes whose invalidation never reached Redis (it was away, or the
    // process that made them died) are in SQLite's change table: replay
    // them first; write-behind writes wait for it.
    m_backend->replayChangeLog();
    m_queue->recover();
    m_backend->invalidation().replayPending();
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

void ProductService::setFillHook(std::function<void(qint64, std::function<void()>)> hook)
{
    m_backend->setFillHook(std::move(hook));
}

void ProductService::setWriteBehindVersionHookForTesting(std::function<void(qint64, std::function<void()>)> hook)
{
    m_backend->setWriteBehindVersionHook(std::move(hook));
}

void ProductService::setClaimHookForTesting(std::function<void(qint64, std::function<void()>)> hook)
{
    m_backend->setClaimHook(std::move(hook));
}

int ProductService::queueDepth() const
{
    return m_queue->depth();
}

QSet<qint64> ProductService::pendingInvalidations() const
{
    QSet<qint64> out;
    const auto pending = m_backend->invalidation().pending();
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
    m_barrier->afterPendingWrites(op, [op, clean, price] { op->strategy->save(op, ProductEdit::create(clean, price)); });
}

void ProductService::upsert(qint64 id, const QString &name, qint64 price, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Upsert, id, context, std::move(done));
    QString clean = name;
    if (const auto errors = ProductValidator::validate(id, clean, price, true); !errors.isEmpty())
        return rejectInvalid(op, errors);
    m_barrier->afterPendingWrites(op, [op, id, clean, price] { op->strategy->save(op, ProductEdit::upsert(id, clean, price)); });
}

void ProductService::update(
    qint64 id, const QString &name, qint64 price, qint64 expectedVersion, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Update, id, context, std::move(done));
    QString clean = name;
    if (const auto errors = ProductValidator::validate(id, clean, price, true); !errors.isEmpty())
        return rejectInvalid(op, errors);
    m_barrier->afterPendingWrites(op, [op, id, clean, price, expectedVersion] {
        op->strategy->save(op, ProductEdit::update(id, clean, price, std::max<qint64>(0, expectedVersion)));
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
    m_barrier->afterPendingWrites(op, [this, op, id, clean, price, expectedVersion] {
        op->strategy->updateInTransaction(op, ProductEdit::update(id, clean, price, std::max<qint64>(0, expectedVersion)));
    });
}

void ProductService::remove(qint64 id, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::Delete, id, context, std::move(done));
    if (const auto errors = ProductValidator::validateId(id); !errors.isEmpty())
        return rejectInvalid(op, errors);
    m_barrier->afterPendingWrites(op, [op, id] { op->strategy->remove(op, id); });
}

void ProductService::adjustPrice(qint64 id, qint64 delta, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    auto op = begin(OperationKind::AdjustPrice, id, context, std::move(done));
    if (const auto errors = PriceAdjuster::validate(id, delta); !errors.isEmpty())
        return rejectInvalid(op, errors);
    m_barrier->afterPendingWrites(op, [this, op, id, delta] { m_priceAdjuster->run(op, id, delta); });
}

// --- cache management ----------------------------------------------------------------------------

void ProductService::invalidate(qint64 id, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    m_invalidator->invalidate(begin(OperationKind::Invalidate, id, context, std::move(done)), id);
}

void ProductService::invalidatePattern(const QString &pattern, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    m_invalidator->invalidatePattern(begin(OperationKind::InvalidatePattern, 0, context, std::move(done)), pattern);
}

void ProductService::invalidateAll(QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    m_invalidator->invalidateAll(begin(OperationKind::InvalidateAll, 0, context, std::move(done)));
}

void ProductService::applyRemoteChange(const QString &origin, qint64 id, qint64 version, bool deleted,
    const QString &via, QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    m_invalidator->applyRemoteChange(origin, id, version, deleted, via, guarded(context, std::move(done)));
}

void ProductService::recentProducts(QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    m_recent->run(begin(OperationKind::Recent, 0, context, std::move(done)));
}

void ProductService::warmUp(QObject *context, ServiceCallback done)
{
    CallScope scope(m_inCall);
    m_warmer->run(begin(OperationKind::WarmUp, 0, context, std::move(done)));
}

void ProductService::flushWriteBehind(QObject *context, ServiceCallback done)
{
    m_queue->flushNow(guarded(context, std::move(done)));
}

void ProductService::drainWriteBehind(QObject *context, ServiceCallback done)
{
    m_queue->drain(guarded(context, std::move(done)));
}

// --- eviction ----------------------------------------------------------------------------------

void ProductService::applyEvictionSettings(const EvictionSettings &settings, QObject *context, EvictionCallback done)
{
    CallScope scope(m_inCall);
    auto reported = std::make_shared<EvictionSettings>(settings);
    auto op = begin(OperationKind::Eviction, 0, context, evictionCallback(reported, std::move(done)));
    m_eviction->apply(op, settings, reported);
}

void ProductService::readEvictionSettings(QObject *context, EvictionCallback done)
{
    CallScope scope(m_inCall);
    auto reported = std::make_shared<EvictionSettings>();
    auto op = begin(OperationKind::Eviction, 0, context, evictionCallback(reported, std::move(done)));
    m_eviction->read(op, reported);
}

// --- hooks --------------------------------------------------------------------------------------

void ProductService::setExistenceCheck(ExistenceCheck check)
{
    m_existenceCheck = std::move(check);
}

void ProductService::flushViews()
{
    m_backend->flushViews();
}
