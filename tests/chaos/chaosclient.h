// ChaosClient: one HTTP client of the chaos run, on its own thread.
//
// Its operations come from its own PRNG, seeded from the run's seed and the
// client's number, and nothing else: the same seed gives every client the
// same sequence of kinds, ids, names and prices whatever the timing (an
// operation's answer never steers the next one). Operation n goes to
// instance (client + n) % 2, so every client alternates between the two
// CacheLab processes. Every request is bounded by RequestTimeoutMs.
#pragma once

#include "chaoshistory.h"
#include "chaoshttp.h"

#include <QRandomGenerator>

#include <array>
#include <atomic>

/// The instances' API ports; 0 while an instance is down. Written by the
/// fault loop, read by every client.
using ChaosPorts = std::array<std::atomic<quint16>, 2>;

class ChaosClient final
{
public:
    static constexpr int RequestTimeoutMs = 10000;

    ChaosClient(int index, quint32 runSeed, const ChaosIds &ids, const ChaosPorts &ports, ChaosHistory &history);

    /// Runs operations until stop is set or the history's clock passes
    /// untilMs. Call on the client's own thread.
    void run(const std::atomic<bool> &stop, qint64 untilMs);

    /// A digest of the first n operations client `index` plans for this
    /// seed: equal digests, equal sequences (printed at the start of a run).
    static QByteArray fingerprint(quint32 runSeed, int index, const ChaosIds &ids, int n);

private:
    struct Planned
    {
        OpKind kind = OpKind::Get;
        qint64 id = 0;
        qint64 price = 0;
    };

    static Planned plan(QRandomGenerator &rng, const ChaosIds &ids);
    void perform(const Planned &planned);

    const int m_index;
    const ChaosIds m_ids;
    const ChaosPorts &m_ports;
    ChaosHistory &m_history;
    QRandomGenerator m_rng;
    std::array<ChaosHttp, 2> m_http;
    int m_seq = 0;
};
