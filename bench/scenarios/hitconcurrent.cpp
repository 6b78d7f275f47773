// hit-concurrent: 64 gets in flight vs a 64-deep pipeline (see hitconcurrent.h).
#include "hitconcurrent.h"

#include "benchloop.h"
#include "benchserver.h"
#include "productservice.h"

#include <QDir>
#include <QElapsedTimer>

#include <hiredis/hiredis.h>

namespace {
// Ids 1..64 are all warm, so every call is a hit on its own key.
qint64 idFor(qint64 i)
{
    return 1 + i % HitConcurrentScenario::Depth;
}
} // namespace

QString HitConcurrentScenario::description() const
{
    return QStringLiteral("64 ProductService::get calls in flight, warm | raw hiredis HGETALL pipelined 64 deep");
}

bool HitConcurrentScenario::setUp(const BenchContext &ctx, QString *error)
{
    m_ctx = ctx;
    if (!m_fixture.openDatabase(QDir(ctx.workDir).filePath(QStringLiteral("hitc.sqlite")), Depth, error))
        return false;
    m_fixture.setSettingsOverride(ctx.settings);
    if (!m_fixture.startService(ctx.server->url(), StrategyKind::CacheAside, error))
        return false;
    m_fixture.applySettings([](CacheSettings &s) { s.ttlSeconds = 3600; });
    for (qint64 id = 1; id <= Depth; ++id) {
        if (!m_fixture.getOnce(id, nullptr, error))
            return false;
    }
    return m_raw.connect(ctx.server->url(), error);
}

Sample HitConcurrentScenario::runBaseline(int)
{
    QList<QList<QByteArray>> cmds;
    for (qint64 i = 0; i < Depth; ++i)
        cmds << QList<QByteArray> { QByteArrayLiteral("HGETALL"),
            QByteArrayLiteral("product:") + QByteArray::number(idFor(i)) };
    QElapsedTimer clock;
    clock.start();
    qint64 done = 0;
    while (done < m_ctx.n) {
        const qint64 batch = std::min<qint64>(Depth, m_ctx.n - done);
        for (qint64 i = 0; i < batch; ++i)
            m_raw.append(cmds.at(i));
        for (qint64 i = 0; i < batch; ++i) {
            RawReplyPtr r = m_raw.read();
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
                return Sample::failed(QStringLiteral("HGETALL failed: %1").arg(m_raw.lastError()));
        }
        done += batch;
    }
    return Sample::throughput(done, double(clock.nsecsElapsed()) / 1e9);
}

Sample HitConcurrentScenario::runCacheLab(int)
{
    ProductService *service = m_fixture.service();
    qint64 issued = 0;
    qint64 done = 0;
    qint64 misses = 0;
    QString failure;
    QElapsedTimer clock;
    // Keep exactly 64 calls in flight: each completion issues the next one.
    std::function<void(const std::function<void()> &)> issue;
    const bool finished = BenchLoop::runLoop(
        [&](const std::function<void()> &quit) {
            clock.start();
            issue = [&, quit](const std::function<void()> &) {
                const qint64 id = idFor(issued++);
                service->get(id, nullptr, [&, quit](const ServiceResult &r) {
                    if (!r.ok() && failure.isEmpty())
                        failure = QStringLiteral("get: %1").arg(r.error);
                    if (!r.fromCache)
                        ++misses;
                    ++done;
                    if (done == m_ctx.n || !failure.isEmpty()) {
                        quit();
                        return;
                    }
                    if (issued < m_ctx.n)
                        issue(quit);
                });
            };
            for (int i = 0; i < Depth && issued < m_ctx.n; ++i)
                issue(quit);
        },
        600000);
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    if (!failure.isEmpty())
        return Sample::failed(failure);
    if (!finished)
        return Sample::failed(QStringLiteral("timed out after %1 of %2 gets").arg(done).arg(m_ctx.n));
    // Let callbacks still queued (none expected) drain before the next round.
    BenchLoop::waitUntil([&] { return done >= issued; }, 10000);
    Sample s = Sample::throughput(done, seconds);
    s.extra.insert(QStringLiteral("misses"), misses);
    return s;
}

void HitConcurrentScenario::tearDown()
{
    m_raw.close();
    m_fixture.shutdown();
}
