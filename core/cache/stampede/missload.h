// MissLoad: the work a stampede guard protects on a cache miss.
//
// It reads the database and fills the cache (ProductCache::fillFrom); a
// guard decides how many callers run it for one key: every one (no guard),
// one per process (single-flight) or one across every instance (a lock).
#pragma once

#include "operation.h"
#include "productcache.h"

#include <functional>

using LoadDone = std::function<void(const LoadResult &)>;
using MissLoad = std::function<void(const OperationPtr &, qint64 id, LoadDone)>;
