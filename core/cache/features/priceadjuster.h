// PriceAdjuster: "adjust price by N" with optimistic concurrency.
//
// Each attempt reads the product through the call's strategy, computes the
// new price and writes it with the strategy's updateInTransaction (a WatchedUpdate outside write-behind), guarded by the version it
// read. When another write came first (Conflict) it reads again and tries
// once more, up to 16 retries. Every attempt and retry is a step of the one
// trace; the result's retries say how many were needed.
#pragma once

#include "operation.h"
#include "productvalidator.h"

class CacheStrategy;
class OperationStarter;

class PriceAdjuster final
{
public:
    /// sqlOnly is the "none" strategy: a retry outside write-behind reads
    /// SQLite through it.
    PriceAdjuster(OperationStarter &starter, CacheStrategy &sqlOnly);

    /// The input check made before anything runs: a valid id, delta != 0.
    static QList<FieldError> validate(qint64 id, qint64 delta);
    /// Adjusts product id's price by delta and finishes op.
    void run(const OperationPtr &op, qint64 id, qint64 delta);

private:
    void tryAdjust(const OperationPtr &op, qint64 id, qint64 delta, int attempt);
    static constexpr int MaxAttempts = 17; ///< the first try and 16 retries

    OperationStarter &m_starter;
    CacheStrategy &m_sqlOnly;
};
