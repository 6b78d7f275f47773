// ProductSearch: product search by name, on RediSearch or SQLite FTS5.
//
// On every connect it asks the server for MODULE LIST. With the search
// module loaded it creates an index over the product hashes
// (FT.CREATE ... ON HASH PREFIX 1 <prefix>product: SCHEMA name TEXT price
// NUMERIC) and answers with FT.SEARCH. Note what that index covers: only
// products that are cached at the moment (warm-up fills them all).
//
// Without the module (the usual case) SQLite's FTS5 index answers, and
// Redis caches each answer: the ids of the result, as a string under
//   cachelab:search:{generation}:{sha1 of the normalised query}
// with the cache TTL. generation is a counter (cachelab:search:gen) that
// is INCRed whenever any product changes (ProductService's productChanged
// and productRemoved, which cover this app's writes, write-behind flushes
// and outside edits from the change feed). A search reads the generation
// before it reads SQLite and stores its answer under that generation, so
// an answer computed before a change can only ever be stored under an old
// generation that nobody reads any more: no stale result is served after
// the bump, and no list of result keys has to be tracked or deleted. Old
// generations simply expire.
//
// Results are loaded from the product:{id} hashes where cached (read
// only) and from SQLite for the rest, so a cached answer is a list of ids
// and a rename never has to touch cached results beyond the bump.
#pragma once

#include "catalogresult.h"

#include <memory>
#include <QObject>

class CatalogCall;
class ProductService;
class TracedRedis;
class TracedStore;

class ProductSearch final : public QObject
{
    Q_OBJECT

public:
    static constexpr int DefaultLimit = 20;

    /// service (not owned) must outlive this object.
    explicit ProductSearch(ProductService *service, QObject *parent = nullptr);

    /// "RediSearch", "SQLite FTS5" or "SQLite LIKE" (SQLite without FTS5,
    /// known after the first search).
    QString engineName() const;
    bool usesRediSearch() const { return m_rediSearch; }

    /// Products whose name matches every word (the last as a prefix), at
    /// most limit (1..100). Text that cleans down to no words gives an empty
    /// result; text over 200 characters is Invalid (field "query").
    /// result.fromCache: the ids came from the Redis result cache.
    void search(const QString &text, int limit, QObject *context, CatalogCallback done);
    void search(const QString &text, QObject *context, CatalogCallback done)
    {
        search(text, DefaultLimit, context, std::move(done));
    }

    /// Asks MODULE LIST again (done by itself on every connect).
    void detectEngine();

signals:
    void engineChanged(const QString &name);
    /// Answered after detectEngine() (also the automatic one).
    void engineDetected(const QString &name);

private:
    void onRedisConnected();
    void onProductChanged();
    void bumpGeneration();
    void setEngine(bool rediSearch, bool fullText);
    void searchCached(const std::shared_ptr<CatalogCall> &call, const QString &text, int limit);
    void searchRediSearch(const std::shared_ptr<CatalogCall> &call, const QString &text, int limit);
    /// SQLite search; with a key, the ids are stored there afterwards.
    void searchSql(const std::shared_ptr<CatalogCall> &call, const QString &text, int limit, const QByteArray &key);

    ProductService *m_service;
    TracedRedis *m_redisCalls; ///< children: replies are dropped with this object
    TracedStore *m_storeCalls;
    bool m_rediSearch = false;
    bool m_fullText = true; ///< SQLite has FTS5 (assumed until a search says otherwise)
    bool m_bumpQueued = false; ///< an INCR is scheduled for this event-loop turn
    bool m_bumpPending = false; ///< a change happened while Redis was unreachable
};
