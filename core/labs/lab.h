// Lab: one teaching experiment, run as a list of steps with a checked result.
//
// A lab plans its steps in plan() (each step is one batch of commands or one
// slice of simulation, short enough for one event-loop turn) and turns what
// they measured into results, a reference and a verdict in conclude(). The
// base class runs the steps: run() goes on until the end, step() does one
// and pauses (the step's trace line says what it did), stop() ends the run
// after the step in flight, reset() forgets everything. The same seed gives
// the same run: every random choice a lab makes comes from rng().
//
// Labs that reconfigure Redis get a private server (labserver.h), started
// before the first step and stopped by reset() or the destructor.
#pragma once

#include "labresult.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

class LabServer;

struct LabParam
{
    QString key;   ///< as on the command line: --param key=value
    QString label; ///< for the window
    double value = 0;
    double min = 0;
    double max = 0;
    bool integer = true;
    QString help;
};

class Lab : public QObject
{
    Q_OBJECT

public:
    enum class State { Idle, Starting, Running, Paused, Finished, Stopped, Failed };
    Q_ENUM(State)

    explicit Lab(QObject *parent = nullptr);
    ~Lab() override;

    virtual QString name() const = 0;  ///< "lfu-counter"
    virtual QString title() const = 0; ///< "How Redis counts hits for LFU"
    /// One paragraph: what the student will see and why.
    virtual QString description() const = 0;
    /// The reference the result is checked against, in words, with where to look it up.
    virtual QString referenceText() const = 0;

    const QList<LabParam> &params() const { return m_params; }
    /// False (and *error) for an unknown key or a value out of range;
    /// nothing changes then. Only while Idle.
    bool setParam(const QString &key, double value, QString *error = nullptr);
    double param(const QString &key) const;
    quint64 seed() const { return m_seed; }
    void setSeed(quint64 seed);

    /// Starts (or resumes) and runs every remaining step.
    void run();
    /// Starts (or resumes) and runs one step, then pauses.
    void step();
    /// Ends the run after the step in flight; the results so far stay.
    void stop();
    /// Back to Idle: results, trace and the private server are gone.
    void reset();

    State state() const { return m_state; }
    bool isBusy() const { return m_state == State::Starting || m_state == State::Running || m_inStep; }
    int stepsDone() const { return m_done; }
    int stepsTotal() const { return m_total; }
    QString error() const { return m_error; }
    const QStringList &trace() const { return m_trace; }
    /// Longest time a step's own code, or conclude(), held the event loop
    /// at once, in ms (the labs keep it under 50 so the window stays
    /// responsive). Work in reply handlers is not timed here.
    double longestStepMs() const { return m_longestStepMs; }

    // What conclude() produced (empty until Finished).
    const QJsonObject &results() const { return m_results; }
    const QJsonObject &reference() const { return m_reference; }
    bool matches() const { return m_matches; }
    const QList<LabChart> &charts() const { return m_charts; }
    const QList<LabTable> &tables() const { return m_tables; }
    /// {"lab", "seed", "params", "results", "reference", "matches", "longest_step_ms"}.
    QJsonObject toJson() const;

signals:
    void stateChanged(Lab::State state);
    /// A step finished; line says what it did and saw.
    void stepped(const QString &line);
    void progressed(int done, int total);
    void finished();
    void failed(const QString &message);

protected:
    using StepDone = std::function<void(const QString &traceLine)>;
    void addParam(const LabParam &p) { m_params.append(p); }
    /// Plans the run: addStep() in order. Called once per run, after the
    /// private server (if any) is up.
    virtual void plan() = 0;
    /// After the last step: fill m_results, m_reference, m_matches,
    /// m_charts and m_tables.
    virtual void conclude() = 0;
    /// Whether the lab needs its own redis-server (default yes).
    virtual bool usesServer() const { return true; }
    /// reset() calls this before the private server goes: drop whatever
    /// holds connections to it (the labs' own Backends).
    virtual void releaseResources() { }

    /// A step: do the work, then call done(line) exactly once (later, from a
    /// reply, or at once). The label is shown while it runs.
    void addStep(const QString &label, std::function<void(StepDone done)> work);
    /// Ends the run with an error (from inside a step).
    void fail(const QString &message);
    LabServer &server() const { return *m_server; }
    /// The run's random source, seeded from seed().
    std::uint64_t &rng() { return m_rng; }
    /// f, but only while this run is current: a timer or a reply that
    /// arrives after reset(), fail() or a new run does nothing. Every timer
    /// a lab starts goes through this (a lab object outlives its runs).
    std::function<void()> guarded(std::function<void()> f);
    bool isCurrent(quint64 generation) const { return generation == m_generation; }
    quint64 generation() const { return m_generation; }

    QJsonObject m_results;
    QJsonObject m_reference;
    bool m_matches = false;
    QList<LabChart> m_charts;
    QList<LabTable> m_tables;

private:
    struct Step
    {
        QString label;
        std::function<void(StepDone)> work;
    };
    /// run() and step(): start, resume or restart, pausing after each step or not.
    void go(bool pauseAfterStep);
    void begin();
    void advance();
    void setState(State s);
    void clearResults();

    QList<LabParam> m_params;
    quint64 m_seed = 1;
    std::uint64_t m_rng = 1;
    State m_state = State::Idle;
    bool m_pauseAfterStep = false;
    bool m_inStep = false;
    bool m_stopRequested = false;
    std::deque<Step> m_steps;
    int m_done = 0;
    int m_total = 0;
    quint64 m_generation = 0; ///< bumps on reset: answers of an old run are ignored
    QString m_error;
    QStringList m_trace;
    double m_longestStepMs = 0;
    std::unique_ptr<LabServer> m_server;
};
