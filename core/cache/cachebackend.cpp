// CacheBackend: the building blocks the strategies share. The read path
// lives in ProductCache and stampede/, tracing in core/trace, views in
// ViewRecorder, the change-log mark in InvalidationWatermark. What is left
// here: versioned SQL writes (reserve, claim, offline stride, id
// allocation) and invalidation after a write. (Over 500 lines: those two
// are the next to move out, as VersionedWrites and WriteInvalidation.)
#include "cachebackend.h"
#include "versionedwrites.h"
#include "writeinvalidation.h"

#include "cachescripts.h"
#include "invalidationwatermark.h"
#include "missprotection.h"
#include "viewrecorder.h"
#include "producthash.h"

#include <QPointer>
#include "productrepository.h"
#include "timestamp.h"

#include <cmath>
#include <QDateTime>
#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

CacheBackend::CacheBackend(RedisClient *redis, ProductRepository *repository, BackendHost &host, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_repository(repository)
    , m_host(host)
    , m_tracedRedis(new TracedRedis(redis, &m_metrics.redisCommands, this))
    , m_tracedStore(new TracedStore(repository, &m_metrics.dbReads, &m_metrics.dbWrites, this))
{
    m_writes = new VersionedWrites(*this, this);
    m_invalidation = new WriteInvalidation(*this, this);
    connect(m_invalidation, &WriteInvalidation::pendingChanged, this, &CacheBackend::pendingInvalidationsChanged);
    connect(m_invalidation, &WriteInvalidation::keysInvalidated, this, &CacheBackend::keysInvalidated);
    m_views = new ViewRecorder(*this, this);
    m_watermark = new InvalidationWatermark(*this, this);
    m_deadlines = new ReadDeadlines(&m_metrics.readDeadlines, this);
    m_cache = std::make_unique<ProductCache>(*this);
    m_protection = std::make_unique<MissProtection>(*this);
}

CacheBackend::~CacheBackend() = default;

void CacheBackend::setSettings(const CacheSettings &settings)
{
    m_settings = settings;
    m_keys = CacheKeys(settings.keyPrefix);
    m_deadlines->setDeadlineMs(settings.readDeadlineMs);
}

bool CacheBackend::cacheUp() const
{
    return m_redis && m_redis->isConnected();
}

// --- Redis with tracing --------------------------------------------------------------------

void CacheBackend::loadScripts()
{
    QList<RedisCommand> cmds;
    for (const RedisScript *s : CacheScripts::all())
        cmds << s->load();
    m_metrics.redisCommands += quint64(cmds.size());
    m_redis->pipeline(cmds, this, [](const QList<RedisReply> &) {});
}

// --- cache blocks --------------------------------------------------------------------------

void CacheBackend::readAround(const OperationPtr &op, qint64 id, std::function<void(const LoadResult &)> then)
{
    op->note(QStringLiteral("cache unavailable: reading SQLite directly"), TraceOutcome::Unavailable);
    m_tracedStore->get(op, id, [then = std::move(then)](const StoreResult &s) { then(LoadResult::fromStore(s)); });
}

void CacheBackend::loadAndFill(
    const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then)
{
    m_protection->load(
        op, id,
        [this, loader](const OperationPtr &op, qint64 id, LoadDone done) {
            m_cache->loadThenFill(op, id, loader, std::move(done));
        },
        std::move(then));
}

void CacheBackend::replayChangeLog()
{
    if (!cacheUp())
        return;
    // Where the shared id counter stands: a create made while Redis is away
    // takes its id far above it (a restarted instance knows no other value).
    m_writes->readIdCounter();
    m_watermark->replay();
}

void CacheBackend::flushViews()
{
    m_views->flush();
}

void CacheBackend::forgetViews(qint64 id)
{
    m_views->forget(id);
}

void CacheBackend::noteChangesSeen(qint64 seq)
{
    m_watermark->noteChangesSeen(seq);
}

void CacheBackend::holdWriteTicket(const OperationPtr &op)
{
    m_watermark->hold(op);
}

void CacheBackend::afterReplay(std::function<void()> next)
{
    m_watermark->afterReplay(std::move(next));
}

bool CacheBackend::isReplaying() const
{
    return m_watermark->isReplaying();
}

ServiceResult CacheBackend::fromStore(const StoreResult &r)
{
    ServiceResult out;
    switch (r.status) {
    case StoreStatus::Ok:
        out.status = ServiceStatus::Ok;
        break;
    case StoreStatus::NotFound:
        out.status = ServiceStatus::NotFound;
        break;
    case StoreStatus::Invalid:
        out.status = ServiceStatus::Invalid;
        break;
    case StoreStatus::Conflict:
        out.status = ServiceStatus::Conflict;
        break;
    case StoreStatus::Error:
        out.status = ServiceStatus::Error;
        break;
    }
    out.error = r.error;
    out.fieldErrors = r.fieldErrors;
    out.product = r.product;
    out.products = r.products;
    out.count = r.rowsAffected;
    return out;
}

void CacheBackend::finishGet(const OperationPtr &op, qint64 id, const LoadResult &r)
{
    ServiceResult res;
    res.status = r.status;
    res.product = r.product;
    res.fromCache = r.fromCache;
    res.error = r.status == ServiceStatus::Ok ? QString() : r.error;
    if (r.status == ServiceStatus::NotFound && res.error.isEmpty())
        res.error = QStringLiteral("Product %1 does not exist.").arg(id);
    if (r.status == ServiceStatus::Ok)
        m_views->record(op, id);
    op->finish(std::move(res));
}

CacheBackend::Loader CacheBackend::dbLoader()
{
    return [this](const OperationPtr &op, qint64 id, std::function<void(const StoreResult &)> done) {
        m_tracedStore->get(op, id, std::move(done));
    };
}
