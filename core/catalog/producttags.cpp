// ProductTags: cache-aside over product_tags with Redis sets.
#include "producttags.h"

#include "catalogcall.h"
#include "productrepository.h"
#include "productservice.h"
#include "tagvalidator.h"

#include <algorithm>

namespace {

const QByteArray Marker = QByteArrayLiteral("#none");

TraceOutcome setOutcome(const RedisReply &r)
{
    return r.isArray() && r.size() > 0 ? TraceOutcome::Hit : TraceOutcome::Miss;
}

} // namespace

ProductTags::ProductTags(ProductService *service, QObject *parent)
    : QObject(parent)
    , m_service(service)
    , m_redisCalls(new TracedRedis(service->redis(), nullptr, this))
    , m_storeCalls(new TracedStore(service->repository(), nullptr, nullptr, this))
{
    connect(service, &ProductService::productRemoved, this, &ProductTags::onProductRemoved);
    connect(service->redis(), &RedisClient::connected, this, &ProductTags::onRedisConnected);
    connect(service->repository(), &ProductRepository::tagsChanged, this, &ProductTags::onRepositoryTagsChanged);
}

void ProductTags::productsWithTag(const QString &tag, QObject *context, CatalogCallback done)
{
    auto call = CatalogCall::begin(m_service, m_redisCalls, m_storeCalls, QStringLiteral("tag-products"), 0, context, std::move(done));
    QString name = tag;
    if (auto errors = TagValidator::validateTag(name); !errors.isEmpty()) {
        call->reject(errors);
        return;
    }
    call->note(QStringLiteral("products tagged \"%1\"").arg(name));
    const QByteArray key = call->keys().tag(name);

    auto fromDb = [this, call, name, key](bool fillCache) {
        const quint64 epoch = m_epoch;
        call->sql([name](ProductRepository &repo, QObject *ctx,
                      StoreCallback cb) { repo.productsWithTag(name, ctx, std::move(cb)); },
            [this, call, key, epoch, fillCache](const StoreResult &s) {
                if (!s.ok()) {
                    call->fail(CatalogCall::statusOf(s), s.error);
                    return;
                }
                CatalogResult r;
                r.products = s.products.mid(0, MaxListed);
                if (s.products.size() > MaxListed)
                    r.warnings << tr("Showing %1 of %2 products.").arg(MaxListed).arg(s.products.size());
                if (!fillCache) {
                    call->finish(r, TraceOutcome::Miss);
                    return;
                }
                QList<QByteArray> members;
                for (const Product &p : s.products)
                    members << QByteArray::number(p.id);
                fill(call, key, members, epoch, [call, r] { call->finish(r, TraceOutcome::Miss); });
            });
    };

    if (!call->redisUp()) {
        call->note(
            QStringLiteral("cache unavailable: Redis is not connected; reading SQLite"), TraceOutcome::Unavailable);
        fromDb(false);
        return;
    }
    call->redis({ "SMEMBERS", key }, setOutcome, [this, call, fromDb](const RedisReply &reply) {
        if (reply.isError()) {
            call->note(QStringLiteral("cache unavailable (%1); reading SQLite").arg(reply.errorMessage()),
                TraceOutcome::Unavailable);
            fromDb(false);
            return;
        }
        if (!reply.isArray() || reply.size() == 0) {
            fromDb(true);
            return;
        }
        QList<qint64> ids;
        for (const RedisReply &m : reply.elements()) {
            bool ok = false;
            const qint64 id = m.bytes().toLongLong(&ok);
            if (ok && id > 0)
                ids << id;
        }
        std::sort(ids.begin(), ids.end());
        CatalogResult r;
        r.fromCache = true;
        if (ids.size() > MaxListed) {
            r.warnings << tr("Showing %1 of %2 products.").arg(MaxListed).arg(ids.size());
            ids = ids.mid(0, MaxListed);
        }
        call->resolve(ids, [call, r](const QList<Product> &products, int) mutable {
            r.products = products;
            call->finish(r, TraceOutcome::Hit);
        });
    });
}

void ProductTags::tagsOf(qint64 id, QObject *context, CatalogCallback done, quint64 causedBy)
{
    auto call = CatalogCall::begin(m_service, m_redisCalls, m_storeCalls, QStringLiteral("tags-of"), id, context, std::move(done));
    call->op->trace.causedBy = causedBy;
    if (auto errors = ProductValidator::validateId(id); !errors.isEmpty()) {
        call->reject(errors);
        return;
    }
    const QByteArray key = call->keys().tagsOf(id);

    auto fromDb = [this, call, id, key](bool fillCache) {
        const quint64 epoch = m_epoch;
        call->sql(
            [id](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.tagsOf(id, ctx, std::move(cb)); },
            [this, call, key, epoch, fillCache](const StoreResult &s) {
                if (s.status == StoreStatus::NotFound) {
                    // Not cached: a product id that does not exist yet may be created later.
                    CatalogResult r;
                    r.status = ServiceStatus::NotFound;
                    r.error = s.error;
                    call->finish(r, TraceOutcome::NotFound);
                    return;
                }
                if (!s.ok()) {
                    call->fail(CatalogCall::statusOf(s), s.error);
                    return;
                }
                CatalogResult r;
                r.tags = s.tags;
                if (!fillCache) {
                    call->finish(r, TraceOutcome::Miss);
                    return;
                }
                QList<QByteArray> members;
                for (const QString &t : s.tags)
                    members << t.toUtf8();
                fill(call, key, members, epoch, [call, r] { call->finish(r, TraceOutcome::Miss); });
            });
    };

    if (!call->redisUp()) {
        call->note(
            QStringLiteral("cache unavailable: Redis is not connected; reading SQLite"), TraceOutcome::Unavailable);
        fromDb(false);
        return;
    }
    call->redis({ "SMEMBERS", key }, setOutcome, [call, fromDb](const RedisReply &reply) {
        if (reply.isError()) {
            call->note(QStringLiteral("cache unavailable (%1); reading SQLite").arg(reply.errorMessage()),
                TraceOutcome::Unavailable);
            fromDb(false);
            return;
        }
        if (!reply.isArray() || reply.size() == 0) {
            fromDb(true);
            return;
        }
        CatalogResult r;
        r.fromCache = true;
        for (const RedisReply &m : reply.elements()) {
            if (m.bytes() != Marker)
                r.tags << QString::fromUtf8(m.bytes());
        }
        r.tags.sort();
        call->finish(r, TraceOutcome::Hit);
    });
}

void ProductTags::setTags(qint64 id, const QStringList &tags, QObject *context, CatalogCallback done)
{
    auto call = CatalogCall::begin(m_service, m_redisCalls, m_storeCalls, QStringLiteral("set-tags"), id, context, std::move(done));
    QStringList clean = tags;
    QList<FieldError> errors = ProductValidator::validateId(id);
    errors += TagValidator::validateTags(clean);
    if (!errors.isEmpty()) {
        call->reject(errors);
        return;
    }
    ++m_ownWrites[id];
    call->sql([id, clean](ProductRepository &repo, QObject *ctx,
                  StoreCallback cb) { repo.setTags(id, clean, ctx, std::move(cb)); },
        [this, call, id](const StoreResult &s) {
            if (--m_ownWrites[id] <= 0)
                m_ownWrites.remove(id);
            if (!s.ok()) {
                CatalogResult r;
                r.status = CatalogCall::statusOf(s);
                r.error = s.error;
                r.fieldErrors = s.fieldErrors;
                call->finish(r,
                    r.status == ServiceStatus::NotFound      ? TraceOutcome::NotFound
                        : r.status == ServiceStatus::Invalid ? TraceOutcome::Invalid
                                                             : TraceOutcome::Error);
                return;
            }
            QStringList affected = s.previousTags + s.tags;
            affected.removeDuplicates();
            affected.sort();
            const CacheKeys k = call->keys();
            QList<QByteArray> keys { k.tagsOf(id) };
            for (const QString &t : std::as_const(affected))
                keys << k.tag(t);
            CatalogResult r;
            r.tags = s.tags;
            invalidate(call, keys, [this, call, r, id, affected] {
                emit tagsChanged(id, affected);
                call->finish(r, TraceOutcome::Ok);
            });
        });
}

void ProductTags::allTags(QObject *context, CatalogCallback done)
{
    auto call = CatalogCall::begin(m_service, m_redisCalls, m_storeCalls, QStringLiteral("all-tags"), 0, context, std::move(done));
    call->sql([](ProductRepository &repo, QObject *ctx, StoreCallback cb) { repo.allTags(ctx, std::move(cb)); },
        [call](const StoreResult &s) {
            if (!s.ok()) {
                call->fail(CatalogCall::statusOf(s), s.error);
                return;
            }
            CatalogResult r;
            r.tagCounts = s.tagCounts;
            call->finish(r, TraceOutcome::Ok);
        });
}

void ProductTags::invalidate(
    const std::shared_ptr<CatalogCall> &call, const QList<QByteArray> &keys, std::function<void()> then)
{
    ++m_epoch;
    auto remember = [this, call, keys](const QString &why) {
        for (const QByteArray &k : keys)
            m_pending.insert(k);
        call->note(QStringLiteral("cache unavailable (%1): %2 key(s) will be deleted when Redis is back")
                       .arg(why)
                       .arg(keys.size()),
            TraceOutcome::Deferred);
    };
    if (!call->redisUp()) {
        remember(QStringLiteral("Redis is not connected"));
        then();
        return;
    }
    RedisCommand del { "DEL" };
    del += keys;
    call->redis(
        del, [](const RedisReply &) { return TraceOutcome::Invalidate; },
        [this, remember, keys, then](const RedisReply &r) {
            if (r.isClientError())
                remember(r.errorMessage());
            else
                ++m_epoch; // a fill that read SQLite before the DEL landed must not write either
            then();
        });
}

void ProductTags::fill(const std::shared_ptr<CatalogCall> &call, const QByteArray &key,
    const QList<QByteArray> &members, quint64 epoch, std::function<void()> then)
{
    if (epoch != m_epoch || m_pending.contains(key)) {
        call->note(QStringLiteral("fill skipped: tags changed while SQLite was read"), TraceOutcome::StaleSkip);
        then();
        return;
    }
    RedisCommand sadd { "SADD", key };
    if (members.isEmpty())
        sadd << Marker;
    else
        sadd += members;
    const QList<RedisCommand> cmds { { "DEL", key }, sadd, { "EXPIRE", key, QByteArray::number(call->ttlSeconds()) } };
    call->transaction(cmds, members.isEmpty() ? QStringLiteral("fill (empty marker)") : QStringLiteral("fill"),
        TraceOutcome::Fill, [then](const RedisReply &) { then(); });
}

void ProductTags::onRepositoryTagsChanged(qint64 id, const QStringList &affected)
{
    // setTags() above invalidates in its own trace; this is for other writers.
    if (m_ownWrites.value(id) > 0)
        return;
    auto call = CatalogCall::begin(m_service, m_redisCalls, m_storeCalls, QStringLiteral("tags-changed"), id, nullptr, {});
    call->note(QStringLiteral("tags of product %1 changed outside ProductTags").arg(id));
    const CacheKeys k = call->keys();
    QList<QByteArray> keys { k.tagsOf(id) };
    for (const QString &t : affected)
        keys << k.tag(t);
    invalidate(call, keys, [this, call, id, affected] {
        emit tagsChanged(id, affected);
        call->finish({}, TraceOutcome::Invalidate);
    });
}

void ProductTags::onProductRemoved(qint64 id)
{
    ++m_epoch;
    auto call = CatalogCall::begin(m_service, m_redisCalls, m_storeCalls, QStringLiteral("tags-forget"), id, nullptr, {});
    const CacheKeys k = call->keys();
    if (!call->redisUp()) {
        // The tag sets keep the id until their TTL; readers skip ids without a row.
        m_pending.insert(k.tagsOf(id));
        call->note(QStringLiteral("cache unavailable: product %1 stays in its cached tag sets until they expire "
                                  "(lists skip missing products)")
                       .arg(id),
            TraceOutcome::Deferred);
        call->finish({}, TraceOutcome::Deferred);
        return;
    }
    call->redis({ "SMEMBERS", k.tagsOf(id) }, setOutcome, [this, call, id, k](const RedisReply &reply) {
        if (reply.isError()) {
            call->finish({}, TraceOutcome::Error);
            return;
        }
        QList<QByteArray> tags;
        for (const RedisReply &m : reply.elements()) {
            if (m.bytes() != Marker)
                tags << m.bytes();
        }
        if (reply.size() == 0) {
            call->note(QStringLiteral("its tags are not cached: scanning tag sets"));
            scanAndRemove(call, id, "0", 0);
            return;
        }
        QList<RedisCommand> cmds;
        for (const QByteArray &t : tags)
            cmds << RedisCommand { "SREM", k.tag(QString::fromUtf8(t)), QByteArray::number(id) };
        cmds << RedisCommand { "DEL", k.tagsOf(id) };
        call->transaction(cmds, QStringLiteral("drop from its tag sets"), TraceOutcome::Invalidate,
            [call](const RedisReply &) { call->finish({}, TraceOutcome::Invalidate); });
    });
}

void ProductTags::scanAndRemove(
    const std::shared_ptr<CatalogCall> &call, qint64 id, const QByteArray &cursor, int rounds)
{
    // Bounded: a Redis with millions of keys is not scanned to the end for one delete.
    constexpr int MaxRounds = 50;
    const QByteArray pattern = call->keys().prefix() + "tag:*";
    call->redis(
        { "SCAN", cursor, "MATCH", pattern, "COUNT", "500" }, {}, [this, call, id, rounds](const RedisReply &reply) {
            if (reply.isError() || !reply.isArray() || reply.size() != 2) {
                call->finish({}, TraceOutcome::Error);
                return;
            }
            const QByteArray next = reply.at(0).bytes();
            QList<RedisCommand> cmds;
            for (const RedisReply &key : reply.at(1).elements())
                cmds << RedisCommand { "SREM", key.bytes(), QByteArray::number(id) };
            auto carryOn = [this, call, id, next, rounds] {
                if (next == "0" || rounds + 1 >= MaxRounds)
                    call->finish({}, TraceOutcome::Invalidate);
                else
                    scanAndRemove(call, id, next, rounds + 1);
            };
            if (cmds.isEmpty()) {
                carryOn();
                return;
            }
            call->pipeline(
                cmds, QStringLiteral("drop from tag sets"), {}, [carryOn](const QList<RedisReply> &) { carryOn(); });
        });
}

void ProductTags::onRedisConnected()
{
    if (m_pending.isEmpty())
        return;
    ++m_epoch;
    const QList<QByteArray> keys(m_pending.cbegin(), m_pending.cend());
    m_pending.clear();
    auto call = CatalogCall::begin(m_service, m_redisCalls, m_storeCalls, QStringLiteral("tags-deferred-invalidate"), 0, nullptr, {});
    RedisCommand del { "DEL" };
    del += keys;
    call->redis(
        del, [](const RedisReply &) { return TraceOutcome::Invalidate; },
        [this, call, keys](const RedisReply &r) {
            if (r.isClientError()) {
                for (const QByteArray &k : keys)
                    m_pending.insert(k);
            }
            call->finish({}, r.isError() ? TraceOutcome::Error : TraceOutcome::Invalidate);
        });
}
