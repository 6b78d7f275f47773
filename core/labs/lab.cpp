// Lab: the step runner every lab shares.
#include "lab.h"

#include "labserver.h"

#include <QJsonArray>
#include <QTimer>

#include <algorithm>
#include <cmath>

Lab::Lab(QObject *parent)
    : QObject(parent)
{ }

Lab::~Lab() = default;

bool Lab::setParam(const QString &key, double value, QString *error)
{
    for (LabParam &p : m_params) {
        if (p.key != key)
            continue;
        if (isBusy() || m_state == State::Paused) {
            if (error)
                *error = tr("%1 cannot change while the lab runs; reset it first").arg(key);
            return false;
        }
        if (!(value >= p.min && value <= p.max) || (p.integer && value != std::floor(value))) {
            if (error)
                *error = tr("%1 must be %2 from %3 to %4 (got %5)")
                             .arg(key, p.integer ? tr("a whole number") : tr("a number"), QString::number(p.min),
                                 QString::number(p.max), QString::number(value));
            return false;
        }
        p.value = value;
        return true;
    }
    if (error) {
        QStringList keys;
        for (const LabParam &p : m_params)
            keys << p.key;
        *error = keys.isEmpty() ? tr("%1 has no settings").arg(name())
                                : tr("%1 has no setting \"%2\" (it has: %3)").arg(name(), key, keys.join(QStringLiteral(", ")));
    }
    return false;
}

double Lab::param(const QString &key) const
{
    for (const LabParam &p : m_params)
        if (p.key == key)
            return p.value;
    Q_ASSERT_X(false, "Lab::param", "unknown parameter");
    return 0;
}

void Lab::setSeed(quint64 seed)
{
    if (!isBusy() && m_state != State::Paused)
        m_seed = seed;
}

void Lab::setState(State s)
{
    if (m_state == s)
        return;
    m_state = s;
    emit stateChanged(s);
}

void Lab::clearResults()
{
    m_results = {};
    m_reference = {};
    m_matches = false;
    m_charts.clear();
    m_tables.clear();
}

void Lab::run()
{
    go(false);
}

void Lab::step()
{
    go(true);
}

void Lab::go(bool pauseAfterStep)
{
    switch (m_state) {
    case State::Idle:
        break;
    case State::Paused:
        m_pauseAfterStep = pauseAfterStep;
        setState(State::Running);
        advance();
        return;
    case State::Finished:
    case State::Stopped:
    case State::Failed:
        reset(); // a new run from the start
        break;
    case State::Starting:
    case State::Running:
        // Already going: run() cancels a pending pause, step() asks for
        // one after the step in flight.
        m_pauseAfterStep = pauseAfterStep;
        return;
    }
    m_pauseAfterStep = pauseAfterStep;
    begin();
}

void Lab::stop()
{
    if (m_state == State::Paused) {
        setState(State::Stopped);
        return;
    }
    if (m_state == State::Starting) {
        ++m_generation; // the server's ready() must not start the plan
        setState(State::Stopped);
        return;
    }
    if (m_state == State::Running)
        m_stopRequested = true;
}

void Lab::reset()
{
    ++m_generation;
    m_steps.clear();
    releaseResources();
    m_server.reset();
    m_done = m_total = 0;
    m_inStep = m_stopRequested = m_pauseAfterStep = false;
    m_error.clear();
    m_trace.clear();
    m_longestStepMs = 0;
    clearResults();
    setState(State::Idle);
    emit progressed(0, 0);
}

void Lab::begin()
{
    clearResults();
    m_trace.clear();
    m_error.clear();
    m_stopRequested = false;
    m_rng = m_seed;
    setState(State::Starting);
    const quint64 gen = m_generation;
    const auto go = [this, gen] {
        if (gen != m_generation)
            return;
        m_steps.clear();
        plan();
        m_done = 0;
        m_total = int(m_steps.size());
        emit progressed(0, m_total);
        setState(State::Running);
        advance();
    };
    if (!usesServer()) {
        go();
        return;
    }
    m_server = std::make_unique<LabServer>();
    connect(m_server.get(), &LabServer::ready, this, go);
    connect(m_server.get(), &LabServer::failed, this, [this, gen](const QString &message) {
        // After the run ended the server no longer matters: the results stand.
        if (gen == m_generation && (m_state == State::Starting || m_state == State::Running || m_state == State::Paused))
            fail(tr("The lab's private redis-server failed: %1").arg(message));
    });
    m_server->start();
}

std::function<void()> Lab::guarded(std::function<void()> f)
{
    return [this, gen = m_generation, f = std::move(f)] {
        if (gen == m_generation)
            f();
    };
}

void Lab::addStep(const QString &label, std::function<void(StepDone)> work)
{
    m_steps.push_back(Step { label, std::move(work) });
}

void Lab::fail(const QString &message)
{
    if (m_state == State::Failed)
        return;
    ++m_generation;
    m_steps.clear();
    m_inStep = false;
    m_error = message;
    m_trace << tr("failed: %1").arg(message);
    setState(State::Failed);
    emit failed(message);
}

void Lab::advance()
{
    if (m_state != State::Running || m_inStep)
        return;
    if (m_stopRequested) { // asked between two steps
        m_stopRequested = false;
        setState(State::Stopped);
        return;
    }
    if (m_steps.empty()) {
        QElapsedTimer held;
        held.start();
        conclude();
        m_longestStepMs = std::max(m_longestStepMs, double(held.nsecsElapsed()) / 1e6);
        setState(State::Finished);
        emit finished();
        return;
    }
    Step s = std::move(m_steps.front());
    m_steps.pop_front();
    m_inStep = true;
    const quint64 gen = m_generation;
    QElapsedTimer held;
    held.start();
    s.work([this, gen](const QString &line) {
        if (gen != m_generation)
            return; // reset, stopped or failed meanwhile
        m_inStep = false;
        ++m_done;
        m_trace << line;
        emit stepped(line);
        emit progressed(m_done, m_total);
        if (m_stopRequested) {
            m_stopRequested = false;
            setState(State::Stopped);
            return;
        }
        if (m_pauseAfterStep) {
            setState(State::Paused);
            return;
        }
        // The next step runs on a later turn, so the window repaints between steps.
        QTimer::singleShot(0, this, [this, gen] {
            if (gen == m_generation)
                advance();
        });
    });
    m_longestStepMs = std::max(m_longestStepMs, double(held.nsecsElapsed()) / 1e6);
}

QJsonObject Lab::toJson() const
{
    QJsonObject params;
    for (const LabParam &p : m_params)
        params.insert(p.key, p.integer ? QJsonValue(qint64(p.value)) : QJsonValue(p.value));
    QJsonObject out;
    out.insert(QStringLiteral("lab"), name());
    out.insert(QStringLiteral("seed"), qint64(m_seed));
    out.insert(QStringLiteral("params"), params);
    out.insert(QStringLiteral("results"), m_results);
    out.insert(QStringLiteral("reference"), m_reference);
    out.insert(QStringLiteral("matches"), m_matches);
    // How long one step held the event loop: the window stays responsive
    // while this is small.
    out.insert(QStringLiteral("longest_step_ms"), std::round(m_longestStepMs * 10) / 10);
    return out;
}
