// DemoScript: the steps, as continuations.
#include "demoscript.h"

#include "demokeys.h"
#include "productservice.h"
#include "producttags.h"

#include <memory>

DemoScript::DemoScript(ProductService *service, ProductTags *tags, DemoKeys *demoKeys, QObject *parent)
    : QObject(parent)
    , m_service(service)
    , m_tags(tags)
    , m_demoKeys(demoKeys)
{ }

void DemoScript::start()
{
    ProductService *service = m_service;
    // Three pretend visitors take turns, so the unique-viewers counts differ.
    const auto get = [this, service](qint64 id) {
        return [this, service, id](std::function<void()> done) {
            static const QByteArray visitors[] = { "demo-alice", "demo-bob", "demo-carol" };
            const QByteArray viewer = visitors[m_visitor++ % 3];
            service->get(id, viewer, this, [done](const ServiceResult &) { done(); });
        };
    };
    const auto shortKeys = [this](std::function<void()> done) { m_demoKeys->write(this, std::move(done)); };
    // Write-behind: three saves land in the queue at once (the queue depth
    // rises), the worker drains it on its interval; the strategy goes back
    // to what it was once the queue is empty.
    const auto writeBehindSaves = [this, service](std::function<void()> done) {
        m_previousStrategy = service->strategy();
        service->setStrategy(StrategyKind::WriteBehind);
        auto remaining = std::make_shared<int>(3);
        for (qint64 id : { 4, 5, 6 }) {
            service->get(id, this, [this, service, id, remaining, done](const ServiceResult &r) {
                const auto one = [remaining, done] {
                    if (--*remaining == 0)
                        done();
                };
                if (!r.product)
                    return one();
                service->update(
                    id, r.product->name, r.product->price + 10, 0, this, [one](const ServiceResult &) { one(); });
            });
        }
    };
    const auto restoreStrategy = [this, service](std::function<void()> done) {
        if (service->queueDepth() == 0) {
            service->setStrategy(m_previousStrategy);
            return done();
        }
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection
            = connect(service, &ProductService::queueDepthChanged, this, [this, service, connection, done](int depth) {
                  if (depth != 0)
                      return;
                  disconnect(*connection);
                  service->setStrategy(m_previousStrategy);
                  done();
              });
    };
    // Tags live in SQLite and are cached as Redis sets: give a few products some.
    const auto tag = [this](qint64 id, QStringList names) {
        return [this, id, names](std::function<void()> done) {
            ProductTags *tags = m_tags;
            if (!tags)
                return done();
            tags->setTags(id, names, this, [done](const CatalogResult &) { done(); });
        };
    };
    const auto adjust = [this, service](qint64 id, qint64 delta) {
        return [this, service, id, delta](std::function<void()> done) {
            service->adjustPrice(id, delta, this, [done](const ServiceResult &) { done(); });
        };
    };
    m_steps = {
        get(1),
        get(2),
        get(3),
        tag(1, { QStringLiteral("coffee"), QStringLiteral("machine") }),
        tag(2, { QStringLiteral("coffee"), QStringLiteral("grinder") }),
        tag(6, { QStringLiteral("coffee") }),
        shortKeys,
        writeBehindSaves,
        get(1),
        get(4),
        get(2),
        [this, service](std::function<void()> done) {
            service->get(3, this, [this, service, done](const ServiceResult &r) {
                if (!r.product)
                    return done();
                service->update(
                    3, r.product->name, r.product->price + 100, 0, this, [done](const ServiceResult &) { done(); });
            });
        },
        get(5),
        get(1),
        adjust(5, -50),
        restoreStrategy,
        get(3),
        get(6),
        get(7),
        get(2),
        get(8),
        get(4),
        get(9),
    };
    m_step = 0;
    m_running = true;
    next();
}

void DemoScript::later(int ms)
{
    QTimer::singleShot(ms, this, &DemoScript::next);
}

void DemoScript::next()
{
    if (m_step >= m_steps.size()) {
        m_running = false;
        emit finished();
        return;
    }
    const auto step = m_steps.at(m_step++);
    // A quick first burst so a screenshot after two seconds has content,
    // then a calmer pace a person can follow.
    const int pause = m_step < 9 ? 120 : 700;
    step([this, pause] {
        if (m_step == 9)
            emit burstFinished();
        later(pause);
    });
}
