// ProductRepository: the asynchronous front of the product store.
//
// Each call becomes a job queued to the DatabaseWorker on m_thread; the
// worker reports back with a queued signal, so results arrive on the
// repository's thread in the order the calls were made (one worker thread,
// one FIFO event queue each way). Callbacks never leave this thread: only
// the job and a job id travel to the worker, which keeps whatever a
// callback captured away from the database thread.
#include "productrepository.h"

#include "databaseworker.h"

#include <QMetaObject>

static_assert(ProductRepository::SchemaVersion == DatabaseWorker::SchemaVersion);

ProductRepository::ProductRepository(const QString &path, QObject *parent)
    : QObject(parent)
    , m_path(path)
    , m_worker(new DatabaseWorker)
{
    qRegisterMetaType<StoreResult>();
    qRegisterMetaType<ProductChange>();
    qRegisterMetaType<QList<ProductChange>>();

    m_thread.setObjectName(QStringLiteral("cachelab-db"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &DatabaseWorker::jobFinished, this, &ProductRepository::deliver, Qt::QueuedConnection);
    connect(m_worker, &DatabaseWorker::changesPolled, this, &ProductRepository::changed, Qt::QueuedConnection);
    connect(m_worker, &DatabaseWorker::pollFailed, this, &ProductRepository::errorOccurred, Qt::QueuedConnection);
    m_thread.start();
}

ProductRepository::~ProductRepository()
{
    // Queued jobs still run (a write the caller was promised is not lost),
    // without their artificial latency; their callbacks are not delivered
    // because the repository is going away.
    m_worker->requestStop();
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker] {
            worker->shutdown();
            QThread::currentThread()->quit();
        },
        Qt::QueuedConnection);
    m_thread.wait();
    m_pending.clear();
}

void ProductRepository::dispatch(std::function<StoreResult(DatabaseWorker &)> job, QObject *context, StoreCallback done)
{
    const quint64 id = ++m_nextJobId;
    m_pending.insert(id, Pending { QPointer<QObject>(context), context != nullptr, std::move(done) });
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, id, job = std::move(job), latency = m_latencyMs] { worker->runJob(id, job, latency); },
        Qt::QueuedConnection);
}

void ProductRepository::deliver(
    quint64 jobId, const StoreResult &result, const QList<ProductChange> &changes, bool isOpen, bool isReadOnly)
{
    m_open = isOpen;
    m_readOnly = isReadOnly;
    const Pending pending = m_pending.take(jobId);
    if (!changes.isEmpty())
        emit changed(changes);
    // Last statement: the callback may delete this repository.
    if (pending.done && (!pending.hadContext || pending.context))
        pending.done(result);
}

void ProductRepository::open(QObject *context, StoreCallback done)
{
    dispatch([path = m_path](DatabaseWorker &w) { return w.open(path); }, context, std::move(done));
}

void ProductRepository::get(qint64 id, QObject *context, StoreCallback done)
{
    dispatch([id](DatabaseWorker &w) { return w.get(id); }, context, std::move(done));
}

void ProductRepository::list(QObject *context, StoreCallback done)
{
    dispatch([](DatabaseWorker &w) { return w.list(); }, context, std::move(done));
}

void ProductRepository::listIds(QObject *context, StoreCallback done)
{
    dispatch([](DatabaseWorker &w) { return w.listIds(); }, context, std::move(done));
}

void ProductRepository::create(const QString &name, qint64 price, QObject *context, StoreCallback done)
{
    dispatch([name, price](DatabaseWorker &w) { return w.create(name, price); }, context, std::move(done));
}

void ProductRepository::update(
    qint64 id, const QString &name, qint64 price, qint64 expectedVersion, QObject *context, StoreCallback done)
{
    dispatch(
        [id, name, price, expectedVersion](DatabaseWorker &w) { return w.update(id, name, price, expectedVersion); },
        context, std::move(done));
}

void ProductRepository::upsert(qint64 id, const QString &name, qint64 price, QObject *context, StoreCallback done)
{
    dispatch([id, name, price](DatabaseWorker &w) { return w.upsert(id, name, price); }, context, std::move(done));
}

void ProductRepository::applyVersioned(
    const QList<Product> &upserts, const QList<qint64> &deletes, QObject *context, StoreCallback done)
{
    dispatch(
        [upserts, deletes](DatabaseWorker &w) { return w.applyVersioned(upserts, deletes); }, context, std::move(done));
}

void ProductRepository::applyVersioned(const QList<Product> &upserts, const QList<qint64> &deletes,
    const QList<qint64> &deleteVersions, QObject *context, StoreCallback done)
{
    dispatch([upserts, deletes, deleteVersions](
                 DatabaseWorker &w) { return w.applyVersioned(upserts, deletes, deleteVersions); },
        context, std::move(done));
}

void ProductRepository::insert(qint64 id, const QString &name, qint64 price, QObject *context, StoreCallback done)
{
    dispatch([id, name, price](DatabaseWorker &w) { return w.insert(id, name, price); }, context, std::move(done));
}

void ProductRepository::insertAbove(
    qint64 floor, qint64 ceiling, const QString &name, qint64 price, QObject *context, StoreCallback done)
{
    dispatch([floor, ceiling, name, price](DatabaseWorker &w) { return w.insertAbove(floor, ceiling, name, price); }, context,
        std::move(done));
}

void ProductRepository::highestId(QObject *context, StoreCallback done)
{
    dispatch([](DatabaseWorker &w) { return w.highestId(); }, context, std::move(done));
}

void ProductRepository::update(qint64 id, const QString &name, qint64 price, qint64 expectedVersion, VersionRule rule,
    QObject *context, StoreCallback done)
{
    dispatch([=](DatabaseWorker &w) { return w.update(id, name, price, expectedVersion, rule); }, context,
        std::move(done));
}

void ProductRepository::upsert(
    qint64 id, const QString &name, qint64 price, VersionRule rule, QObject *context, StoreCallback done)
{
    dispatch([=](DatabaseWorker &w) { return w.upsert(id, name, price, rule); }, context, std::move(done));
}

void ProductRepository::remove(qint64 id, VersionRule rule, QObject *context, StoreCallback done)
{
    dispatch([=](DatabaseWorker &w) { return w.remove(id, rule); }, context, std::move(done));
}

void ProductRepository::versionOf(qint64 id, QObject *context, StoreCallback done)
{
    dispatch([id](DatabaseWorker &w) { return w.versionOf(id); }, context, std::move(done));
}

void ProductRepository::restamp(qint64 id, qint64 fromVersion, qint64 toVersion, QObject *context, StoreCallback done)
{
    dispatch([id, fromVersion, toVersion](DatabaseWorker &w) { return w.restamp(id, fromVersion, toVersion); },
        context, std::move(done));
}

void ProductRepository::changesAfter(qint64 seq, int limit, QObject *context, StoreCallback done)
{
    dispatch([seq, limit](DatabaseWorker &w) { return w.changesAfter(seq, limit); }, context, std::move(done));
}

void ProductRepository::remove(qint64 id, QObject *context, StoreCallback done)
{
    dispatch([id](DatabaseWorker &w) { return w.remove(id); }, context, std::move(done));
}

void ProductRepository::seedDemoData(QObject *context, StoreCallback done)
{
    dispatch([](DatabaseWorker &w) { return w.seedDemoData(); }, context, std::move(done));
}

void ProductRepository::setTags(qint64 id, const QStringList &tags, QObject *context, StoreCallback done)
{
    // Dispatched without a context so the signal goes out even when the
    // caller's context is gone; the caller's callback still honours it.
    dispatch([id, tags](DatabaseWorker &w) { return w.setTags(id, tags); }, nullptr,
        [this, id, context = QPointer<QObject>(context), hadContext = context != nullptr,
            done = std::move(done)](const StoreResult &r) {
            if (r.ok()) {
                QStringList affected = r.previousTags + r.tags;
                affected.removeDuplicates();
                emit tagsChanged(id, affected);
            }
            if (done && (!hadContext || context))
                done(r);
        });
}

void ProductRepository::tagsOf(qint64 id, QObject *context, StoreCallback done)
{
    dispatch([id](DatabaseWorker &w) { return w.tagsOf(id); }, context, std::move(done));
}

void ProductRepository::productsWithTag(const QString &tag, QObject *context, StoreCallback done)
{
    dispatch([tag](DatabaseWorker &w) { return w.productsWithTag(tag); }, context, std::move(done));
}

void ProductRepository::allTags(QObject *context, StoreCallback done)
{
    dispatch([](DatabaseWorker &w) { return w.allTags(); }, context, std::move(done));
}

void ProductRepository::productsByIds(const QList<qint64> &ids, QObject *context, StoreCallback done)
{
    dispatch([ids](DatabaseWorker &w) { return w.productsByIds(ids); }, context, std::move(done));
}

void ProductRepository::search(const QString &text, int limit, QObject *context, StoreCallback done)
{
    dispatch([text, limit](DatabaseWorker &w) { return w.search(text, limit); }, context, std::move(done));
}

void ProductRepository::setArtificialLatency(int ms)
{
    // Read when a call is made, so it applies to calls made after this one.
    m_latencyMs = qBound(0, ms, MaxArtificialLatencyMs);
}

void ProductRepository::setChangePollInterval(int ms)
{
    m_pollIntervalMs = qMax(0, ms);
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, ms = m_pollIntervalMs] { worker->setPollInterval(ms); }, Qt::QueuedConnection);
}
