// GlobMatcher: an iterative Redis-compatible glob matcher with backtracking
// on the last "*" only (linear for the usual prefix patterns).
#include "globmatcher.h"

namespace {

// Matches one character class starting at p[i] == '['; returns the index
// just past the closing ']' and sets *hit.
qsizetype matchClass(const QByteArray &p, qsizetype i, char c, bool *hit)
{
    ++i; // past '['
    bool negate = false;
    if (i < p.size() && p.at(i) == '^') {
        negate = true;
        ++i;
    }
    bool found = false;
    while (i < p.size() && p.at(i) != ']') {
        if (p.at(i) == '\\' && i + 1 < p.size()) {
            ++i;
            if (p.at(i) == c)
                found = true;
        } else if (i + 2 < p.size() && p.at(i + 1) == '-' && p.at(i + 2) != ']') {
            char lo = p.at(i);
            char hi = p.at(i + 2);
            if (lo > hi)
                std::swap(lo, hi);
            if (c >= lo && c <= hi)
                found = true;
            i += 2;
        } else if (p.at(i) == c) {
            found = true;
        }
        ++i;
    }
    if (i < p.size())
        ++i; // past ']'
    *hit = negate ? !found : found;
    return i;
}

} // namespace

bool GlobMatcher::matches(const QByteArray &pattern, const QByteArray &key)
{
    qsizetype p = 0;
    qsizetype k = 0;
    qsizetype starP = -1;
    qsizetype starK = 0;
    while (k < key.size()) {
        if (p < pattern.size()) {
            const char pc = pattern.at(p);
            if (pc == '*') {
                starP = p++;
                starK = k;
                continue;
            }
            if (pc == '?') {
                ++p;
                ++k;
                continue;
            }
            if (pc == '[') {
                bool hit = false;
                const qsizetype next = matchClass(pattern, p, key.at(k), &hit);
                if (hit) {
                    p = next;
                    ++k;
                    continue;
                }
            } else {
                qsizetype q = p;
                char want = pc;
                if (pc == '\\' && p + 1 < pattern.size())
                    want = pattern.at(++q);
                if (want == key.at(k)) {
                    p = q + 1;
                    ++k;
                    continue;
                }
            }
        }
        if (starP < 0)
            return false;
        p = starP + 1;
        k = ++starK;
    }
    while (p < pattern.size() && pattern.at(p) == '*')
        ++p;
    return p == pattern.size();
}
