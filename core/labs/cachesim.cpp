// CacheSim: the exact policies, Che's approximation and the Zipf trace.
#include "cachesim.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace CacheSim {

std::uint64_t nextRandom(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double nextUniform(std::uint64_t &state)
{
    return double(nextRandom(state) >> 11) * 0x1.0p-53;
}

Zipf::Zipf(int keys, double alpha)
    : m_p(std::size_t(std::max(keys, 1)))
    , m_cdf(m_p.size())
{
    double sum = 0;
    for (std::size_t i = 0; i < m_p.size(); ++i)
        sum += (m_p[i] = 1.0 / std::pow(double(i + 1), alpha));
    double acc = 0;
    for (std::size_t i = 0; i < m_p.size(); ++i) {
        m_p[i] /= sum;
        acc += m_p[i];
        m_cdf[i] = acc;
    }
    m_cdf.back() = 1.0; // rounding must not leave a gap at the top
}

int Zipf::keyFor(double u) const
{
    return int(std::upper_bound(m_cdf.begin(), m_cdf.end(), u) - m_cdf.begin());
}

std::vector<int> zipfTrace(const Zipf &zipf, int requests, std::uint64_t seed)
{
    std::vector<int> trace(std::size_t(std::max(requests, 0)));
    std::uint64_t state = seed;
    const int last = int(zipf.probabilities().size()) - 1;
    for (int &key : trace)
        key = std::min(zipf.keyFor(nextUniform(state)), last);
    return trace;
}

double cheHitRatio(const std::vector<double> &p, int capacity)
{
    if (capacity <= 0)
        return 0.0;
    if (std::size_t(capacity) >= p.size())
        return 1.0;
    const auto filled = [&p](double t) {
        double s = 0;
        for (double pi : p)
            s += -std::expm1(-pi * t);
        return s;
    };
    // filled() rises with T from 0 towards the key count: bracket, then bisect.
    double lo = 0, hi = 1;
    while (filled(hi) < capacity)
        hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-9 * hi; ++i) {
        const double mid = (lo + hi) / 2;
        (filled(mid) < capacity ? lo : hi) = mid;
    }
    const double t = (lo + hi) / 2;
    double hit = 0;
    for (double pi : p)
        hit += pi * -std::expm1(-pi * t);
    return hit;
}

// ---- LRU ------------------------------------------------------------------

Lru::Lru(int keys, int capacity, std::int64_t warmup)
    : m_prev(std::size_t(keys), -1)
    , m_next(std::size_t(keys), -1)
    , m_in(std::size_t(keys), 0)
    , m_capacity(capacity)
    , m_warmup(warmup)
{ }

void Lru::unlink(int key)
{
    const int p = m_prev[std::size_t(key)], n = m_next[std::size_t(key)];
    (p >= 0 ? m_next[std::size_t(p)] : m_head) = n;
    (n >= 0 ? m_prev[std::size_t(n)] : m_tail) = p;
}

void Lru::pushFront(int key)
{
    m_prev[std::size_t(key)] = -1;
    m_next[std::size_t(key)] = m_head;
    (m_head >= 0 ? m_prev[std::size_t(m_head)] : m_tail) = key;
    m_head = key;
}

bool Lru::access(int key)
{
    const bool hit = m_in[std::size_t(key)] != 0;
    if (hit) {
        unlink(key);
    } else {
        if (m_size >= m_capacity && m_tail >= 0) {
            const int victim = m_tail;
            unlink(victim);
            m_in[std::size_t(victim)] = 0;
            --m_size;
        }
        if (m_capacity > 0) {
            m_in[std::size_t(key)] = 1;
            ++m_size;
        }
    }
    if (m_in[std::size_t(key)])
        pushFront(key);
    if (m_seen++ >= m_warmup) {
        ++m_count.counted;
        m_count.hits += hit;
    }
    return hit;
}

void Lru::feed(const std::vector<int> &trace, std::size_t from, std::size_t to)
{
    for (std::size_t i = from; i < to; ++i)
        access(trace[i]);
}

// ---- LFU ------------------------------------------------------------------

Lfu::Lfu(int keys, int capacity, std::int64_t warmup)
    : m_freq(std::size_t(keys), 0)
    , m_last(std::size_t(keys), 0)
    , m_in(std::size_t(keys), 0)
    , m_capacity(capacity)
    , m_warmup(warmup)
{ }

void Lfu::feed(const std::vector<int> &trace, std::size_t from, std::size_t to)
{
    for (std::size_t i = from; i < to; ++i) {
        const auto key = std::size_t(trace[i]);
        const bool hit = m_in[key] != 0;
        if (hit)
            m_order.erase(Rank { m_freq[key], m_last[key], int(key) });
        ++m_freq[key];
        m_last[key] = m_seen;
        if (!hit && int(m_order.size()) >= m_capacity && !m_order.empty()) {
            m_in[std::size_t(m_order.begin()->key)] = 0;
            m_order.erase(m_order.begin());
        }
        if (hit || m_capacity > 0) {
            m_in[key] = 1;
            m_order.insert(Rank { m_freq[key], m_last[key], int(key) });
        }
        if (m_seen++ >= m_warmup) {
            ++m_count.counted;
            m_count.hits += hit;
        }
    }
}

// ---- OPT ------------------------------------------------------------------

std::vector<std::int64_t> Opt::nextUses(const std::vector<int> &trace, int keys)
{
    std::vector<std::int64_t> next(trace.size());
    std::vector<std::int64_t> upcoming(std::size_t(keys), std::numeric_limits<std::int64_t>::max());
    for (std::size_t i = trace.size(); i-- > 0;) {
        next[i] = upcoming[std::size_t(trace[i])];
        upcoming[std::size_t(trace[i])] = std::int64_t(i);
    }
    return next;
}

Opt::Opt(const std::vector<int> &trace, const std::vector<std::int64_t> &nextUse, int keys, int capacity,
    std::int64_t warmup)
    : m_trace(trace)
    , m_nextUse(nextUse)
    , m_keyNext(std::size_t(keys), 0)
    , m_in(std::size_t(keys), 0)
    , m_capacity(capacity)
    , m_warmup(warmup)
{ }

void Opt::feed(std::size_t from, std::size_t to)
{
    for (std::size_t i = from; i < to; ++i) {
        const auto key = std::size_t(m_trace[i]);
        const bool hit = m_in[key] != 0;
        if (hit) {
            m_byNext.erase({ m_keyNext[key], int(key) });
        } else if (int(m_byNext.size()) >= m_capacity && !m_byNext.empty()) {
            const auto victim = std::prev(m_byNext.end());
            m_in[std::size_t(victim->second)] = 0;
            m_byNext.erase(victim);
        }
        if (hit || m_capacity > 0) {
            m_in[key] = 1;
            m_keyNext[key] = m_nextUse[i];
            m_byNext.insert({ m_keyNext[key], int(key) });
        }
        if (std::int64_t(i) >= m_warmup) {
            ++m_count.counted;
            m_count.hits += hit;
        }
    }
}

// ---- random ---------------------------------------------------------------

RandomEviction::RandomEviction(int keys, int capacity, std::uint64_t seed, std::int64_t warmup)
    : m_slot(std::size_t(keys), -1)
    , m_capacity(capacity)
    , m_state(seed)
    , m_warmup(warmup)
{ }

bool RandomEviction::access(int key)
{
    const bool hit = m_slot[std::size_t(key)] >= 0;
    if (!hit && m_capacity > 0) {
        if (int(m_keys.size()) >= m_capacity) {
            const auto at = std::size_t(nextRandom(m_state) % m_keys.size());
            const int victim = m_keys[at];
            const int moved = m_keys.back();
            m_keys[at] = moved;
            m_keys.pop_back();
            m_slot[std::size_t(moved)] = int(at);
            m_slot[std::size_t(victim)] = -1; // after: the victim may be the one moved
        }
        m_slot[std::size_t(key)] = int(m_keys.size());
        m_keys.push_back(key);
    }
    if (m_seen++ >= m_warmup) {
        ++m_count.counted;
        m_count.hits += hit;
    }
    return hit;
}

} // namespace CacheSim
