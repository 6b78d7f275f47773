// NoCacheStrategy: the baseline. Every call goes to SQLite; the number a
// teacher compares the caching strategies against.
#pragma once

#include "cachestrategy.h"

class NoCacheStrategy final : public CacheStrategy
{
public:
    explicit NoCacheStrategy(CacheBackend &backend);

    StrategyKind kind() const override { return StrategyKind::None; }
    void get(const OperationPtr &op, qint64 id) override;
    void save(const OperationPtr &op, const ProductEdit &edit) override;
    void remove(const OperationPtr &op, qint64 id) override;
    /// No cache step to make atomic: a plain update.
    void updateInTransaction(const OperationPtr &op, const ProductEdit &edit) override;
};
