// CacheSim: exact cache policies simulated in-app, the references the labs
// hold Redis's sampled policies against.
//
// Keys are small integers (0..keys-1) so every structure is an array. Each
// simulator is fed a request trace in pieces (feed(from, to)), so a lab can
// spread a long trace over several event-loop turns. Hits are counted only
// from `warmup` on: the first requests fill an empty cache and say nothing
// about the steady state that Che's approximation describes.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

namespace CacheSim {

/// Zipf(alpha) popularity over n keys: key i (0-based) is asked for with
/// probability proportional to 1 / (i + 1)^alpha.
class Zipf final
{
public:
    Zipf(int keys, double alpha);
    const std::vector<double> &probabilities() const { return m_p; }
    /// The key whose cumulative probability first reaches u (0 <= u < 1).
    int keyFor(double u) const;

private:
    std::vector<double> m_p;
    std::vector<double> m_cdf;
};

/// A seeded request trace: the same seed gives the same trace everywhere
/// (splitmix64 draws, not the standard library's distributions).
std::vector<int> zipfTrace(const Zipf &zipf, int requests, std::uint64_t seed);

/// Che's approximation of LRU's hit ratio under independent requests: the
/// characteristic time T solves sum_i (1 - e^(-p_i T)) = capacity, and the
/// hit ratio is sum_i p_i (1 - e^(-p_i T)).
double cheHitRatio(const std::vector<double> &probabilities, int capacity);

/// What a simulator counted.
struct Count
{
    std::int64_t hits = 0;
    std::int64_t counted = 0; ///< requests at or after the warm-up
    double ratio() const { return counted > 0 ? double(hits) / double(counted) : 0.0; }
};

/// Least recently used, exact: a doubly linked recency list over the keys.
class Lru final
{
public:
    Lru(int keys, int capacity, std::int64_t warmup = 0);
    void feed(const std::vector<int> &trace, std::size_t from, std::size_t to);
    /// One request; true on a hit. The key becomes the most recent.
    bool access(int key);
    bool contains(int key) const { return m_in[std::size_t(key)] != 0; }
    int size() const { return m_size; }
    const Count &count() const { return m_count; }

private:
    void unlink(int key);
    void pushFront(int key);
    std::vector<int> m_prev, m_next;
    std::vector<char> m_in;
    int m_head = -1, m_tail = -1, m_size = 0, m_capacity;
    std::int64_t m_seen = 0, m_warmup;
    Count m_count;
};

/// Least frequently used: a key's count covers every request to it in the
/// trace so far (kept across evictions); ties go to the least recent.
class Lfu final
{
public:
    Lfu(int keys, int capacity, std::int64_t warmup = 0);
    void feed(const std::vector<int> &trace, std::size_t from, std::size_t to);
    const Count &count() const { return m_count; }

private:
    struct Rank
    {
        std::int64_t freq;
        std::int64_t last;
        int key;
        bool operator<(const Rank &o) const
        {
            return freq != o.freq ? freq < o.freq : last != o.last ? last < o.last : key < o.key;
        }
    };
    std::vector<std::int64_t> m_freq, m_last;
    std::vector<char> m_in;
    std::set<Rank> m_order;
    int m_capacity;
    std::int64_t m_seen = 0, m_warmup;
    Count m_count;
};

/// Belady's offline optimum: on a miss with the cache full, evict the key
/// asked for again furthest in the future (or never). It sees the whole
/// trace, so no online policy can have fewer misses.
class Opt final
{
public:
    /// Per request: the index of the next request of the same key (or the
    /// largest int64 when there is none). Computed once, shared by every Opt.
    static std::vector<std::int64_t> nextUses(const std::vector<int> &trace, int keys);

    /// trace and nextUse must outlive the simulator.
    Opt(const std::vector<int> &trace, const std::vector<std::int64_t> &nextUse, int keys, int capacity,
        std::int64_t warmup = 0);
    void feed(std::size_t from, std::size_t to);
    const Count &count() const { return m_count; }

private:
    const std::vector<int> &m_trace;
    const std::vector<std::int64_t> &m_nextUse;
    std::vector<std::int64_t> m_keyNext; ///< per cached key: its next use
    std::vector<char> m_in;
    std::set<std::pair<std::int64_t, int>> m_byNext;
    int m_capacity;
    std::int64_t m_warmup;
    Count m_count;
};

/// Random eviction (what allkeys-random does), seeded.
class RandomEviction final
{
public:
    RandomEviction(int keys, int capacity, std::uint64_t seed, std::int64_t warmup = 0);
    bool access(int key);
    bool contains(int key) const { return m_slot[std::size_t(key)] >= 0; }
    const Count &count() const { return m_count; }

private:
    std::vector<int> m_slot; ///< key -> index in m_keys, or -1
    std::vector<int> m_keys;
    int m_capacity;
    std::uint64_t m_state;
    std::int64_t m_seen = 0, m_warmup;
    Count m_count;
};

/// splitmix64: one 64-bit draw from the state, which it advances.
std::uint64_t nextRandom(std::uint64_t &state);
/// A uniform double in [0, 1) from one draw.
double nextUniform(std::uint64_t &state);

} // namespace CacheSim
