// CacheStrategy: the interface every caching strategy implements.
//
// One class per strategy (NoCacheStrategy, CacheAsideStrategy,
// ReadThroughStrategy, WriteThroughStrategy, WriteBehindStrategy). A
// strategy gets an Operation that already passed validation and finishes
// it exactly once with Operation::finish(). Strategies share the Redis and
// SQL building blocks of CacheBackend, which also writes the trace steps.
#pragma once

#include "strategykind.h"

#include <memory>
#include <QString>

class CacheBackend;
class Operation;
using OperationPtr = std::shared_ptr<Operation>;

class CacheStrategy
{
public:
    explicit CacheStrategy(CacheBackend &backend)
        : m_backend(backend)
    { }
    virtual ~CacheStrategy() = default;
    CacheStrategy(const CacheStrategy &) = delete;
    CacheStrategy &operator=(const CacheStrategy &) = delete;

    virtual StrategyKind kind() const = 0;

    virtual void get(const OperationPtr &op, qint64 id) = 0;
    virtual void list(const OperationPtr &op) = 0;
    virtual void create(const OperationPtr &op, const QString &name, qint64 price) = 0;
    virtual void update(const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion)
        = 0;
    /// The article's POST /product with an id: insert under that id, or
    /// update the row that has it, as this strategy writes.
    virtual void upsert(const OperationPtr &op, qint64 id, const QString &name, qint64 price) = 0;
    virtual void remove(const OperationPtr &op, qint64 id) = 0;

protected:
    CacheBackend &m_backend;
};
