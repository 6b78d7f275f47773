// LabBackend: CacheLab's own service stack for a lab, on the lab's private
// redis-server and a throw-away SQLite file: one Backend per "instance", all
// sharing the server and the file, as two CacheLab windows on one machine
// would. The stampede and stale-set labs run their experiments through it,
// so what they show is what the dashboard's strategies really do.
#pragma once

#include "redisurl.h"

#include <QObject>
#include <QTemporaryDir>
#include <functional>
#include <memory>
#include <vector>

class Backend;
class ProductService;

class LabBackend final : public QObject
{
    Q_OBJECT

public:
    explicit LabBackend(QObject *parent = nullptr);
    ~LabBackend() override;

    /// Starts `instances` Backends on the server, one after the other (the
    /// first seeds the demo products); done("") once all are ready, or
    /// done(message) on the first failure.
    void start(const RedisUrl &server, int instances, std::function<void(const QString &error)> done);
    int instances() const { return int(m_backends.size()); }
    ProductService *service(int instance) const;
    Backend *backend(int instance) const;

private:
    void startNext(int left, std::function<void(const QString &)> done);

    QTemporaryDir m_dir;
    RedisUrl m_url;
    std::vector<std::unique_ptr<Backend>> m_backends;
};
