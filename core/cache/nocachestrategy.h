// NoCacheStrategy: the baseline. Every call goes to SQLite; Redis is never touched.
#pragma once

#include "cachestrategy.h"

class NoCacheStrategy final : public CacheStrategy
{
public:
    explicit NoCacheStrategy(CacheBackend &backend);

    StrategyKind kind() const override { return StrategyKind::None; }
    void get(const OperationPtr &op, qint64 id) override;
    void list(const OperationPtr &op) override;
    void create(const OperationPtr &op, const QString &name, qint64 price) override;
    void update(const OperationPtr &op, qint64 id, const QString &name, qint64 price, qint64 expectedVersion) override;
    void upsert(const OperationPtr &op, qint64 id, const QString &name, qint64 price) override;
    void remove(const OperationPtr &op, qint64 id) override;
};
