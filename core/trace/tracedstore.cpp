// TracedStore: timing, counting and the trace step of every SQLite call.
#include "tracedstore.h"

#include <QElapsedTimer>

TracedStore::TracedStore(ProductRepository *repository, quint64 *reads, quint64 *writes, QObject *parent)
    : QObject(parent)
    , m_repository(repository)
    , m_reads(reads)
    , m_writes(writes)
{ }

TraceOutcome TracedStore::outcome(const StoreResult &r)
{
    switch (r.status) {
    case StoreStatus::Ok:
        return TraceOutcome::Ok;
    case StoreStatus::NotFound:
        return TraceOutcome::NotFound;
    case StoreStatus::Invalid:
        return TraceOutcome::Invalid;
    case StoreStatus::Conflict:
        return TraceOutcome::Conflict;
    case StoreStatus::Error:
        return TraceOutcome::Error;
    }
    return TraceOutcome::Error;
}

void TracedStore::call(const OperationPtr &op, bool write, const QString &what, const StoreCall &run,
    std::function<void(const StoreResult &)> then)
{
    QElapsedTimer clock;
    clock.start();
    quint64 *counter = write ? m_writes : m_reads;
    if (counter)
        ++*counter;
    run(*m_repository, this, [op, what, clock, then = std::move(then)](const StoreResult &r) {
        if (op) {
            QString text = r.sql.isEmpty() ? what : r.sql.join(QStringLiteral("; "));
            if (text.size() > 400)
                text = text.left(397) + QStringLiteral("...");
            op->step(TraceSystem::Sql, text, outcome(r), clock.nsecsElapsed() / 1000, r.error);
        }
        then(r);
    });
}

void TracedStore::get(const OperationPtr &op, qint64 id, std::function<void(const StoreResult &)> then)
{
    call(
        op, false, QStringLiteral("SELECT product %1").arg(id),
        [id](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.get(id, ctx, std::move(cb)); },
        std::move(then));
}

void TracedStore::list(const OperationPtr &op, std::function<void(const StoreResult &)> then)
{
    call(
        op, false, QStringLiteral("SELECT all products"),
        [](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.list(ctx, std::move(cb)); },
        std::move(then));
}

