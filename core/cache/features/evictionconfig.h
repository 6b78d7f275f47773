// EvictionConfig: reads and applies Redis's eviction settings (maxmemory,
// maxmemory-policy, maxmemory-samples) with CONFIG GET / CONFIG SET.
//
// A Redis user without CONFIG rights (common on managed Redis) gets an
// answer that says what is missing and how to grant it, not an error that
// looks like a broken connection. Choosing an allkeys-* policy while
// write-behind items are pending is allowed, with a warning: those hashes
// and the queue itself could be evicted before they reach SQLite.
#pragma once

#include "evictionsettings.h"
#include "operation.h"

#include <memory>
#include <QObject>

class CacheBackend;
class WriteBehindQueue;

class EvictionConfig final : public QObject
{
    Q_OBJECT

public:
    EvictionConfig(CacheBackend &backend, const WriteBehindQueue &queue, QObject *parent = nullptr);

    /// CONFIG SET of the three settings, then CONFIG GET into *reported.
    void apply(
        const OperationPtr &op, const EvictionSettings &settings, const std::shared_ptr<EvictionSettings> &reported);
    /// CONFIG GET maxmemory* into *reported.
    void read(const OperationPtr &op, const std::shared_ptr<EvictionSettings> &reported);

signals:
    void evictionSettingsChanged(const EvictionSettings &settings);
    void warning(const QString &message);

private:
    void readBack(const OperationPtr &op, const std::shared_ptr<EvictionSettings> &reported);

    CacheBackend &m_backend;
    const WriteBehindQueue &m_queue;
};
