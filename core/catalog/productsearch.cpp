// ProductSearch: RediSearch when the server has it, else SQLite FTS5 with
// generation-keyed result caching in Redis.
#include "productsearch.h"

#include "catalogcall.h"
#include "productrepository.h"
#include "productservice.h"
#include "searchquery.h"

#include <QCryptographicHash>

namespace {

const QString RediSearchName = QStringLiteral("RediSearch");
const QString FtsName = QStringLiteral("SQLite FTS5");
const QString LikeName = QStringLiteral("SQLite LIKE");

// Module names RediSearch has registered under over its versions.
bool isSearchModule(const QByteArray &name)
{
    const QByteArray n = name.toLower();
    return n == "search" || n == "ft" || n == "searchlight";
}

// A word for RediSearch's query syntax: every character that is not a
// letter or digit is escaped, so user text cannot become an operator.
QByteArray rediSearchTerm(const QString &word)
{
    QString out;
    for (const QChar c : word) {
        if (!c.isLetterOrNumber())
            out += QLatin1Char('\\');
        out += c;
    }
    return out.toUtf8();
}

} // namespace

ProductSearch::ProductSearch(ProductService *service, QObject *parent)
    : QObject(parent)
    , m_service(service)
    , m_redisCalls(new TracedRedis(service->redis(), nullptr, this))
    , m_storeCalls(new TracedStore(service->repository(), nullptr, nullptr, this))
{
    connect(service, &ProductService::productChanged, this, &ProductSearch::onProductChanged);
    connect(service, &ProductService::productRemoved, this, &ProductSearch::onProductChanged);
    connect(service->redis(), &RedisClient::connected, this, &ProductSearch::onRedisConnected);
    if (service->redis()->isConnected())
        QMetaObject::invokeMethod(this, &ProductSearch::detectEngine, Qt::QueuedConnection);
}

QString ProductSearch::engineName() const
{
    if (m_rediSearch)
        return RediSearchName;
    return m_fullText ? FtsName : LikeName;
}

void ProductSearch::setEngine(bool rediSearch, bool fullText)
{
    const QString before = engineName();
    m_rediSearch = rediSearch;
    m_fullText = fullText;
    if (engineName() != before)
        emit engineChanged(engineName());
}

void ProductSearch::onProductChanged()
{
    // At once, not batched: productChanged() is emitted before the writer's
    // callback, so this INCR is on the wire before any search that caller
    // makes next, and that search already reads the new generation.
    bumpGeneration();
}

void ProductSearch::bumpGeneration()
{
    RedisClient *redis = m_service->redis();
    if (!redis->isConnected()) {
        m_bumpPending = true;
        return;
    }
    const QByteArray key = CacheKeys(m_service->settings().keyPrefix).searchGeneration();
    redis->command({ "INCR", key }, this, [this](const RedisReply &r) {
        if (r.isClientError())
            m_bumpPending = true; // sent again on reconnect
    });
}

void ProductSearch::onRedisConnected()
{
    // Changes made while Redis was away: results cached before them must
    // not be served now. Sent before anything else this object asks.
    if (m_bumpPending) {
        m_bumpPending = false;
        bumpGeneration();
    }
    detectEngine();
}

void ProductSearch::detectEngine()
{
    auto call = CatalogCall::begin(m_service, m_redisCalls, m_storeCalls, QStringLiteral("search-engine"), 0, nullptr, {});
    if (!call->redisUp()) {
        call->note(QStringLiteral("Redis is not connected: searching SQLite"), TraceOutcome::Unavailable);
        setEngine(false, m_fullText);
        call->finish({}, TraceOutcome::Unavailable);
        emit engineDetected(engineName());
        return;
    }
    call->redis({ "MODULE", "LIST" }, {}, [this, call](const RedisReply &reply) {
        bool found = false;
        if (reply.isError()) {
            // ACLs may forbid MODULE; then there is no way to know: use SQLite.
            call->note(QStringLiteral("cannot list modules (%1): using SQLite").arg(reply.errorMessage()),
                TraceOutcome::Skipped);
        }
        for (const RedisReply &module : reply.elements()) {
            for (qsizetype i = 0; i + 1 < module.size(); i += 2) {
                if (module.at(i).bytes() == "name" && isSearchModule(module.at(i + 1).bytes()))
                    found = true;
            }
        }
        if (!found) {
            call->note(QStringLiteral("no search module: SQLite FTS5 answers, Redis caches the results"));
            setEngine(false, m_fullText);
            call->finish({}, TraceOutcome::Ok);
            emit engineDetected(engineName());
            return;
        }
        const CacheKeys k = call->keys();
        const RedisCommand create { "FT.CREATE", k.searchIndex(), "ON", "HASH", "PREFIX", "1",
            k.prefix() + "product:", "SCHEMA", "name", "TEXT", "price", "NUMERIC" };
        call->redis(create, {}, [this, call](const RedisReply &r) {
            const bool ok
                = !r.isError() || r.errorMessage().contains(QLatin1String("already exists"), Qt::CaseInsensitive);
            if (ok) {
                call->note(QStringLiteral("search module loaded: FT.SEARCH answers (it sees cached products only)"));
            } else {
                call->note(
                    QStringLiteral("FT.CREATE failed (%1): using SQLite").arg(r.errorMessage()), TraceOutcome::Error);
            }
            setEngine(ok, m_fullText);
            call->finish({}, ok ? TraceOutcome::Ok : TraceOutcome::Error);
            emit engineDetected(engineName());
        });
    });
}

void ProductSearch::search(const QString &text, int limit, QObject *context, CatalogCallback done)
{
    auto call = CatalogCall::begin(m_service, m_redisCalls, m_storeCalls, QStringLiteral("search"), 0, context, std::move(done));
    QList<FieldError> errors;
    const SearchQuery query = SearchQuery::parse(text, &errors);
    if (!errors.isEmpty()) {
        call->reject(errors);
        return;
    }
    limit = qBound(1, limit, 100);
    if (query.isEmpty()) {
        call->note(QStringLiteral("no words to search for"));
        CatalogResult r;
        r.engine = engineName();
        call->finish(r, TraceOutcome::Ok);
        return;
    }
    call->note(QStringLiteral("search \"%1\" with %2").arg(query.normalized(), engineName()));
    if (m_rediSearch && call->redisUp())
        searchRediSearch(call, text, limit);
    else
        searchCached(call, text, limit);
}

void ProductSearch::searchCached(const std::shared_ptr<CatalogCall> &call, const QString &text, int limit)
{
    if (!call->redisUp()) {
        call->note(QStringLiteral("cache unavailable: Redis is not connected; searching SQLite uncached"),
            TraceOutcome::Unavailable);
        searchSql(call, text, limit, {});
        return;
    }
    const CacheKeys k = call->keys();
    call->redis({ "GET", k.searchGeneration() }, {}, [this, call, text, limit, k](const RedisReply &gen) {
        if (gen.isError()) {
            call->note(QStringLiteral("cache unavailable (%1); searching SQLite uncached").arg(gen.errorMessage()),
                TraceOutcome::Unavailable);
            searchSql(call, text, limit, {});
            return;
        }
        const qint64 generation = gen.isNil() ? 0 : gen.toInteger();
        const QByteArray digest = QCryptographicHash::hash(
            (SearchQuery::parse(text, nullptr).normalized() + QLatin1Char('|') + QString::number(limit)).toUtf8(),
            QCryptographicHash::Sha1)
                                      .toHex();
        const QByteArray key = k.searchResult(generation, digest);
        auto classify = [](const RedisReply &r) { return r.isString() ? TraceOutcome::Hit : TraceOutcome::Miss; };
        call->redis({ "GET", key }, classify, [this, call, text, limit, key](const RedisReply &cached) {
            if (cached.isError()) {
                call->note(
                    QStringLiteral("cache unavailable (%1); searching SQLite uncached").arg(cached.errorMessage()),
                    TraceOutcome::Unavailable);
                searchSql(call, text, limit, {});
                return;
            }
            if (!cached.isString()) {
                searchSql(call, text, limit, key);
                return;
            }
            QList<qint64> ids;
            for (const QByteArray &part : cached.bytes().split(',')) {
                bool ok = false;
                const qint64 id = part.toLongLong(&ok);
                if (ok && id > 0)
                    ids << id;
            }
            call->resolve(ids, [this, call](const QList<Product> &products, int) {
                CatalogResult r;
                r.products = products;
                r.fromCache = true;
                r.engine = engineName();
                call->finish(r, TraceOutcome::Hit);
            });
        });
    });
}

void ProductSearch::searchSql(
    const std::shared_ptr<CatalogCall> &call, const QString &text, int limit, const QByteArray &key)
{
    call->sql([text, limit](ProductRepository &repo, QObject *ctx,
                  StoreCallback cb) { repo.search(text, limit, ctx, std::move(cb)); },
        [this, call, key](const StoreResult &s) {
            if (!s.ok()) {
                CatalogResult r;
                r.status = CatalogCall::statusOf(s);
                r.error = s.error;
                r.fieldErrors = s.fieldErrors;
                call->finish(r, r.status == ServiceStatus::Invalid ? TraceOutcome::Invalid : TraceOutcome::Error);
                return;
            }
            setEngine(m_rediSearch, s.fullText);
            if (!s.fullText)
                call->note(QStringLiteral("this SQLite has no FTS5: searched with LIKE"));
            CatalogResult r;
            r.products = s.products;
            r.engine = s.fullText ? FtsName : LikeName;
            if (key.isEmpty() || !call->redisUp()) {
                call->finish(r, TraceOutcome::Miss);
                return;
            }
            QByteArrayList ids;
            for (const Product &p : s.products)
                ids << QByteArray::number(p.id);
            const QByteArray ttlMs = QByteArray::number(call->ttlSeconds() * 1000);
            call->redis(
                { "SET", key, ids.join(','), "PX", ttlMs }, [](const RedisReply &) { return TraceOutcome::Fill; },
                [call, r](const RedisReply &) { call->finish(r, TraceOutcome::Miss); });
        });
}

void ProductSearch::searchRediSearch(const std::shared_ptr<CatalogCall> &call, const QString &text, int limit)
{
    const SearchQuery query = SearchQuery::parse(text, nullptr);
    QByteArrayList words;
    const QStringList terms = query.terms();
    for (qsizetype i = 0; i < terms.size(); ++i) {
        QByteArray w = rediSearchTerm(terms.at(i));
        // RediSearch wants at least two characters before a prefix '*'.
        if (i == terms.size() - 1 && terms.at(i).size() >= 2)
            w += '*';
        words << w;
    }
    const QByteArray expr = "@name:(" + words.join(' ') + ")";
    const CacheKeys k = call->keys();
    call->redis({ "FT.SEARCH", k.searchIndex(), expr, "NOCONTENT", "LIMIT", "0", QByteArray::number(limit) }, {},
        [this, call, text, limit, k](const RedisReply &reply) {
            if (reply.isError() || !reply.isArray()) {
                call->note(QStringLiteral("FT.SEARCH failed (%1): searching SQLite").arg(reply.errorMessage()),
                    TraceOutcome::Error);
                searchSql(call, text, limit, {});
                return;
            }
            QList<qint64> ids;
            for (qsizetype i = 1; i < reply.size(); ++i) {
                if (const qint64 id = k.idFromProductKey(reply.at(i).bytes()); id > 0)
                    ids << id;
            }
            call->resolve(ids, [call](const QList<Product> &products, int) {
                CatalogResult r;
                r.products = products;
                r.engine = RediSearchName;
                call->finish(r, TraceOutcome::Ok);
            });
        });
}
