// ProductCache: the cache itself, product:{id} in Redis.
//
// The three things every caching strategy does to a cached product: look it
// up, fill it after a database read (compare-and-set on the version, so a
// slow reader can never put back an older row than a writer left: the
// stale-set guard), and remember that an id does not exist (a negative
// entry). Each call writes its trace step and counts itself in the metrics;
// the read steps are armed with the read deadline.
#pragma once

#include "operation.h"
#include "product.h"
#include "producthash.h"
#include "serviceresult.h"
#include "storeresult.h"

#include <functional>
#include <optional>
#include <QRandomGenerator>

class CacheBackend;

/// What a cache lookup found.
struct CacheEntry final
{
    enum class State { Hit, Miss, Negative, Unavailable, Error };
    State state = State::Miss;
    std::optional<Product> product;
    bool dirty = false; ///< unflushed write-behind data
    qint64 deltaMs = 0; ///< XFetch: how long the last load took
    qint64 expiresAtMs = 0; ///< XFetch: when the entry expires (ms since epoch)
    QString error;

    void takeMarkers(const ProductHash &h)
    {
        dirty = h.isDirty();
        deltaMs = h.deltaMs();
        expiresAtMs = h.expiresAtMs();
    }
    /// A hit or a negative entry: the cache answers by itself.
    bool answers() const { return state == State::Hit || state == State::Negative; }
    /// Redis failed or did not answer in time: only the database can.
    bool unreachable() const { return state == State::Unavailable || state == State::Error; }
};

/// What a read produced (from the cache or through it).
struct LoadResult final
{
    ServiceStatus status = ServiceStatus::Ok;
    std::optional<Product> product;
    bool fromCache = false;
    QString error;

    /// The answer a hit or a negative entry gives.
    static LoadResult fromEntry(qint64 id, const CacheEntry &entry);
    /// The answer a database read gives (no cache involved).
    static LoadResult fromStore(const StoreResult &row);
};

class ProductCache final
{
public:
    using FillHook = std::function<void(qint64 id, std::function<void()> proceed)>;

    explicit ProductCache(CacheBackend &backend);

    /// HGETALL product:{id}, classified; counts hits, misses and negative hits.
    void lookup(const OperationPtr &op, qint64 id, std::function<void(const CacheEntry &)> then);
    /// Compare-and-set fill (CacheScripts::fill). then(filled).
    void fill(const OperationPtr &op, const Product &product, qint64 loadMs, std::function<void(bool)> then);
    /// A negative entry for an id the database does not have.
    void fillNegative(const OperationPtr &op, qint64 id, std::function<void()> then);
    /// After a database read of id: fills a found row, remembers a missing
    /// one, leaves the cache alone on an error; then() gets the answer.
    void fillFrom(const OperationPtr &op, qint64 id, const StoreResult &row, qint64 loadMs,
        std::function<void(const LoadResult &)> then);
    /// Reads a row for an id from the system of record (a SQLite read).
    using Loader = std::function<void(const OperationPtr &, qint64, std::function<void(const StoreResult &)>)>;
    /// Runs loader, then fillFrom(): the miss work of a cache that loads by itself.
    void loadThenFill(const OperationPtr &op, qint64 id, const Loader &loader, std::function<void(const LoadResult &)> then);
    /// KEYS and ARGV of the fill script for one product (warm-up pipelines it).
    QPair<QList<QByteArray>, QList<QByteArray>> fillCall(const Product &product, qint64 loadMs);
    /// Time-to-live for a fresh fill, with the configured jitter.
    qint64 ttlMs();

    /// Test hook: holds each fill until proceed() is called.
    void setFillHook(FillHook hook) { m_fillHook = std::move(hook); }

private:
    CacheBackend &m_backend;
    FillHook m_fillHook;
    QRandomGenerator m_random;
};
