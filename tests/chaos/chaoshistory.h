// ChaosHistory: what happened during one chaos run.
//
// Every thread of the run records here: the HTTP clients their requests
// (with the product an acknowledged write answered), the outside editor
// its SQL edits (with the version each one left in the row), the fault
// loop its faults and strategy switches. Times are milliseconds since the
// history was made (the start of the run), from one monotonic clock. The
// checks read the history once every recording thread has been joined.
//
// Reads (GET) and invalidations are counted but kept only when they are
// remarkable (slow, not answered, or answered with anything but success),
// so a run of many minutes does not hold every get in memory.
#pragma once

#include <QHash>
#include <QList>
#include <QMap>
#include <QMutex>
#include <QString>

#include <array>
#include <chrono>
#include <limits>
#include <optional>

/// The two id ranges of the workload, created before the run. Fixed ids are
/// updated, replaced, read and invalidated, and edited by the outside
/// editor, but never deleted; deletable ids are also deleted and created
/// again with the same id. Creates without an id get ids above both.
struct ChaosIds
{
    qint64 fixedFirst = 1;
    qint64 fixedLast = 12;
    qint64 deletableFirst = 13;
    qint64 deletableLast = 20;

    bool isFixed(qint64 id) const { return id >= fixedFirst && id <= fixedLast; }
    bool isDeletable(qint64 id) const { return id >= deletableFirst && id <= deletableLast; }
    qint64 last() const { return deletableLast; }
};

enum class OpKind {
    Get, ///< GET /product/:id
    Update, ///< PUT /product/:id
    Upsert, ///< POST /product with an id: create or replace
    Create, ///< POST /product without an id
    Delete, ///< DELETE /product/:id
    Invalidate, ///< POST /product/invalidate/:id
};
QString opKindName(OpKind kind);
constexpr int OpKindCount = 6;

struct ChaosOp
{
    enum class Outcome {
        Acked, ///< 2xx
        Rejected, ///< any other status
        Refused, ///< the instance was not reachable: never sent
        Unknown, ///< sent, no complete answer
    };

    OpKind kind = OpKind::Get;
    int client = 0;
    int seq = 0; ///< the client's operation number (the seed fixes kind, id and values per number)
    int instance = 0;
    qint64 id = 0; ///< the id asked for (0 for Create)
    QString name; ///< what a write sent; unique per write ("c<client>-<seq>")
    qint64 price = 0;
    qint64 sentMs = 0;
    qint64 doneMs = 0;
    Outcome outcome = Outcome::Unknown;
    int status = 0;
    QString detail; ///< transport error or an excerpt of an error answer
    // The product an acknowledged write answered with.
    qint64 ackId = 0;
    qint64 ackVersion = 0;
    QString ackName;
    qint64 ackPrice = 0;

    bool isAcked() const { return outcome == Outcome::Acked; }
    /// Acknowledged or possibly applied: no answer, or a server error that
    /// may have come after the store had changed.
    bool mayHaveApplied() const
    {
        return outcome == Outcome::Acked || outcome == Outcome::Unknown
            || (outcome == Outcome::Rejected && status >= 500);
    }
    /// The latest moment the operation can have taken effect.
    qint64 latestEffectMs() const { return outcome == Outcome::Acked ? doneMs : std::numeric_limits<qint64>::max(); }
    bool writesProduct() const { return kind == OpKind::Update || kind == OpKind::Upsert || kind == OpKind::Create; }
};

/// One edit made through the sqlite3 C API, behind CacheLab's back.
struct OutsideEdit
{
    qint64 id = 0;
    qint64 version = 0; ///< the version the row had after the edit committed
    QString name;
    qint64 price = 0;
    bool bumpedVersion = false; ///< set version = version + 1 itself (else the trigger bumped it)
    qint64 atMs = 0;
};

enum class FaultKind {
    StrategySwitch,
    RedisKill, ///< SIGKILL, restart from the AOF
    RedisPause, ///< SIGSTOP ... SIGCONT
    InstanceKill, ///< SIGKILL of one cachelab, restart
    InstanceExit, ///< a cachelab exited without being killed (a crash)
};
QString faultKindName(FaultKind kind);
constexpr int FaultKindCount = 5;

struct ChaosFault
{
    FaultKind kind = FaultKind::StrategySwitch;
    qint64 atMs = 0;
    qint64 endMs = 0; ///< restart or resume finished (= atMs for a switch)
    int instance = -1;
    QString detail;
};

class ChaosHistory final
{
public:
    /// Gets and invalidations at least this slow are kept (and any that failed).
    static constexpr int RemarkableMs = 500;

    ChaosHistory();

    /// Milliseconds since the history was made; any thread.
    qint64 now() const;
    static QString instanceName(int instance) { return instance == 0 ? QStringLiteral("A") : QStringLiteral("B"); }
    /// "+12.345 s"
    static QString at(qint64 ms);

    // --- recording (any thread) ---------------------------------------------------------
    void addOp(const ChaosOp &op);
    void addOutsideEdit(const OutsideEdit &edit);
    void addOutsideFailure(const QString &error);
    void addFault(const ChaosFault &fault);
    void setStrategy(int instance, qint64 atMs, const QString &strategy);

    // --- reading (after every recording thread was joined) ------------------------------
    const QList<ChaosOp> &ops() const { return m_ops; }
    const QList<OutsideEdit> &outsideEdits() const { return m_outside; }
    const QList<ChaosFault> &faults() const { return m_faults; }
    /// The strategy instance had at that moment (as last acknowledged by PUT /strategy).
    QString strategyAt(int instance, qint64 ms) const;
    /// One line that says everything about an operation: what, where, when, answer.
    QString describe(const ChaosOp &op) const;
    QString describe(const OutsideEdit &edit) const;
    /// The faults that overlap [fromMs, toMs], one per line, indented.
    QString faultsDuring(qint64 fromMs, qint64 toMs) const;
    /// Whatever wrote this name: a client's write or an outside edit ("" if nobody).
    QString whoWrote(const QString &name) const;
    /// When the write of this name had certainly taken effect: an answered
    /// write's answer, an outside edit's commit, 0 for the rows made before
    /// the run; nullopt when unknown (never answered, or nobody wrote it).
    std::optional<qint64> writtenBy(const QString &name) const;
    /// Whether this name was written by an outside SQL edit.
    bool isOutsideEdit(const QString &name) const { return m_outsideByName.contains(name); }

    // --- figures ------------------------------------------------------------------------
    /// Operations by kind and answer ("update: 812 (200: 790, 409: 2, refused: 20)").
    QStringList opFigures() const;
    QStringList faultFigures() const;
    int outsideEditCount() const { return int(m_outside.size()); }
    int outsideFailureCount() const { return m_outsideFailures; }
    QString firstOutsideFailure() const { return m_firstOutsideFailure; }
    int acknowledgedWrites() const;
    int slowestGetMs() const { return m_slowestGetMs; }
    qint64 slowestGetAtMs() const { return m_slowestGetAtMs; }

private:
    struct StrategyChange
    {
        qint64 atMs = 0;
        QString strategy;
    };

    static QString answerKey(const ChaosOp &op);

    std::chrono::steady_clock::time_point m_start;
    mutable QMutex m_mutex;
    QList<ChaosOp> m_ops;
    QList<OutsideEdit> m_outside;
    QList<ChaosFault> m_faults;
    std::array<QList<StrategyChange>, 2> m_strategies;
    std::array<QMap<QString, int>, OpKindCount> m_answers; ///< per kind: answer -> count
    int m_outsideFailures = 0;
    QString m_firstOutsideFailure;
    int m_slowestGetMs = 0;
    qint64 m_slowestGetAtMs = 0;
    QHash<QString, qsizetype> m_opByName; ///< write name -> index in m_ops
    QHash<QString, qsizetype> m_outsideByName;
};
