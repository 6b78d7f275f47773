// XFetch: refresh a hot entry before it expires, with a probability that
// grows as expiry nears and with how long the last load took.
//
// Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede
// Prevention" (VLDB 2015): a reader that finds the entry refreshes it early
// when  now - delta * beta * ln(random()) >= expiry.  The fill stores delta
// (the load time) and the expiry beside the row (ProductHash::Delta,
// ExpiresAt), so one reader, usually, reloads just before the TTL runs out
// and the others keep hitting.
#pragma once

#include "productcache.h"

#include <QRandomGenerator>

class XFetch final
{
public:
    XFetch()
        : m_random(QRandomGenerator::securelySeeded())
    { }

    /// Whether this hit should reload now; writes the note when it does.
    /// Never for unflushed write-behind data (the cache is the newest copy).
    bool refreshEarly(const OperationPtr &op, const CacheEntry &entry, double beta);

private:
    QRandomGenerator m_random;
};
