// MissProtection: the Bloom filter, then the stampede guard, then the load.
#include "missprotection.h"

#include "cachebackend.h"

MissProtection::MissProtection(CacheBackend &backend)
    : m_backend(backend)
    , m_singleFlight(&backend.metrics().coalesced)
    , m_lock(backend)
{ }

bool MissProtection::refreshEarly(const OperationPtr &op, const CacheEntry &entry)
{
    const CacheSettings &s = m_backend.settings();
    return s.stampede == StampedeMode::EarlyRefresh && m_xfetch.refreshEarly(op, entry, s.xfetchBeta);
}

void MissProtection::resolve(
    const OperationPtr &op, qint64 id, const CacheEntry &entry, const MissLoad &load, LoadDone then)
{
    if (refreshEarly(op, entry))
        load(op, id, std::move(then));
    else if (entry.answers())
        then(LoadResult::fromEntry(id, entry));
    else if (entry.unreachable())
        m_backend.readAround(op, id, std::move(then));
    else
        this->load(op, id, load, std::move(then));
}

void MissProtection::load(const OperationPtr &op, qint64 id, const MissLoad &load, LoadDone then)
{
    if (!m_backend.host().hasExistenceCheck() || !m_backend.cacheUp()) {
        guarded(op, id, load, std::move(then));
        return;
    }
    // An id the Bloom filter has never seen cannot be in SQLite. Unsure
    // (no answer within the read deadline) means "may exist".
    auto answered = std::make_shared<bool>(false);
    auto shared = std::make_shared<LoadDone>(std::move(then));
    m_backend.readDeadlines().arm(
        op, answered, "the Bloom filter", {}, [this, op, id, load, shared] { guarded(op, id, load, *shared); });
    m_backend.host().checkExistence(op, id, [this, op, id, load, shared, answered](bool mayExist) {
        if (std::exchange(*answered, true))
            return;
        if (mayExist) {
            guarded(op, id, load, *shared);
            return;
        }
        LoadResult r;
        r.status = ServiceStatus::NotFound;
        r.error = QStringLiteral("Product %1 does not exist.").arg(id);
        (*shared)(r);
    });
}

void MissProtection::guarded(const OperationPtr &op, qint64 id, const MissLoad &load, LoadDone then)
{
    switch (m_backend.settings().stampede) {
    case StampedeMode::SingleFlight:
        m_singleFlight.load(op, id, m_backend.keys().product(id), load, std::move(then));
        return;
    case StampedeMode::RedisLock:
        m_lock.load(op, id, load, std::move(then));
        return;
    case StampedeMode::Off:
    case StampedeMode::EarlyRefresh:
        load(op, id, std::move(then));
        return;
    }
}
