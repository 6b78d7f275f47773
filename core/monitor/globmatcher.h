// GlobMatcher: Redis-style glob matching ("*", "?", "[a-z]", "[^x]", "\\*").
//
// The key browser filters keyspace events with the same pattern it gives to
// SCAN MATCH, so both must agree on what matches. Mirrors Redis's
// stringmatchlen() for the subset people actually type.
#pragma once

#include <QByteArray>

namespace GlobMatcher {
/// True when key matches the Redis glob pattern (case-sensitive).
bool matches(const QByteArray &pattern, const QByteArray &key);
} // namespace GlobMatcher
