// DemoScript: a short scripted activity so a fresh window is alive at once.
//
// Gets a few products (misses that become fills), reads them again (hits),
// updates one (invalidation), views a few for the recent list, sets some
// short-lived keys that expire a few seconds later (session:demo-alice
// after 1.8 s), and saves three products under write-behind so the queue
// depth rises and drains (then the previous strategy comes back). Each step waits
// for the previous call's callback, then a short timer: nothing blocks. The
// script only calls core objects: the service, the tags and DemoKeys.
#pragma once

#include "strategykind.h"

#include <functional>
#include <QObject>
#include <QTimer>

class DemoKeys;
class ProductService;
class ProductTags;

class DemoScript final : public QObject
{
    Q_OBJECT

public:
    /// tags may be null (the tagging steps then do nothing).
    DemoScript(ProductService *service, ProductTags *tags, DemoKeys *demoKeys, QObject *parent = nullptr);

    void start();
    bool isRunning() const { return m_running; }

signals:
    /// The quick opening burst is over (the window now has keys, events and traces).
    void burstFinished();
    void finished();

private:
    void next();
    void later(int ms);

    ProductService *m_service;
    ProductTags *m_tags;
    DemoKeys *m_demoKeys;
    QList<std::function<void(std::function<void()>)>> m_steps;
    int m_step = 0;
    bool m_running = false;
    StrategyKind m_previousStrategy = StrategyKind::CacheAside;
    int m_visitor = 0;
};
