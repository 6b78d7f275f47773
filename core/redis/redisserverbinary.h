// redisserverbinary.h: where CacheLab looks for the redis-server program.
//
// The embedded server, the benchmark's private servers and the tests'
// throw-away servers all ask this one function, so CACHELAB_REDIS_SERVER and
// the search order mean the same thing to each of them.
#pragma once

#include <QString>

/// The redis-server to launch. When CACHELAB_REDIS_SERVER is set, that file
/// and nothing else (empty if it is not executable, so a wrong setting shows
/// up instead of quietly starting another binary). Otherwise redis-server on
/// PATH, then in /usr/bin, /usr/sbin and /usr/local/bin. Empty when none is
/// found.
QString redisServerBinary();
