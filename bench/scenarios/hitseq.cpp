// hit-seq: sequential cache hits, service vs raw hiredis (see hitseq.h).
#include "hitseq.h"

#include "benchloop.h"
#include "benchserver.h"
#include "productservice.h"

#include <QDir>
#include <QElapsedTimer>

#include <hiredis/hiredis.h>

QString HitSeqScenario::description() const
{
    return QStringLiteral("ProductService::get(1), warm, one at a time, cache-aside | raw hiredis HGETALL loop");
}

bool HitSeqScenario::setUp(const BenchContext &ctx, QString *error)
{
    m_ctx = ctx;
    m_key = QByteArrayLiteral("product:1");
    if (!m_fixture.openDatabase(QDir(ctx.workDir).filePath(QStringLiteral("hit.sqlite")), 100, error))
        return false;
    m_fixture.setSettingsOverride(ctx.settings);
    if (!m_fixture.startService(ctx.server->url(), StrategyKind::CacheAside, error))
        return false;
    // A TTL longer than the run, so no round sees a miss by expiry.
    m_fixture.applySettings([](CacheSettings &s) { s.ttlSeconds = 3600; });
    bool fromCache = true;
    if (!m_fixture.getOnce(1, &fromCache, error) || !m_fixture.getOnce(1, &fromCache, error))
        return false;
    if (!fromCache) {
        *error = QStringLiteral("the second get(1) was not a cache hit");
        return false;
    }
    return m_raw.connect(ctx.server->url(), error);
}

Sample HitSeqScenario::runBaseline(int)
{
    const QList<QByteArray> cmd { QByteArrayLiteral("HGETALL"), m_key };
    QElapsedTimer clock;
    clock.start();
    for (qint64 i = 0; i < m_ctx.n; ++i) {
        RawReplyPtr r = m_raw.command(cmd);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
            return Sample::failed(QStringLiteral("HGETALL failed: %1").arg(m_raw.lastError()));
    }
    return Sample::throughput(m_ctx.n, double(clock.nsecsElapsed()) / 1e9);
}

Sample HitSeqScenario::runServiceLoop()
{
    ProductService *service = m_fixture.service();
    qint64 done = 0;
    qint64 misses = 0;
    QString failure;
    QElapsedTimer clock;
    std::function<void(const std::function<void()> &)> next;
    const bool finished = BenchLoop::runLoop(
        [&](const std::function<void()> &quit) {
            clock.start();
            next = [&, quit](const std::function<void()> &) {
                service->get(1, nullptr, [&, quit](const ServiceResult &r) {
                    if (!r.ok()) {
                        failure = QStringLiteral("get(1): %1").arg(r.error);
                        quit();
                        return;
                    }
                    if (!r.fromCache)
                        ++misses;
                    if (++done == m_ctx.n) {
                        quit();
                        return;
                    }
                    next(quit);
                });
            };
            next(quit);
        },
        600000);
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    if (!finished)
        return Sample::failed(QStringLiteral("timed out after %1 of %2 gets").arg(done).arg(m_ctx.n));
    if (!failure.isEmpty())
        return Sample::failed(failure);
    Sample s = Sample::throughput(done, seconds);
    s.extra.insert(QStringLiteral("misses"), misses);
    return s;
}

Sample HitSeqScenario::runCacheLab(int)
{
    return runServiceLoop();
}

void HitSeqScenario::tearDown()
{
    m_raw.close();
    m_fixture.shutdown();
}
