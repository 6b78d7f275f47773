// PriceAdjuster: read, compute, write if the version is unchanged, retry.
#include "priceadjuster.h"

#include "cachestrategy.h"
#include "operationstarter.h"
#include "rejectinvalid.h"
#include "cachestrategy.h"

PriceAdjuster::PriceAdjuster(OperationStarter &starter, CacheStrategy &sqlOnly)
    : m_starter(starter)
    , m_sqlOnly(sqlOnly)
{ }

QList<FieldError> PriceAdjuster::validate(qint64 id, qint64 delta)
{
    QList<FieldError> errors = ProductValidator::validateId(id);
    if (delta == 0)
        errors.append({ QStringLiteral("delta"), QStringLiteral("Adjust the price by a non-zero amount.") });
    return errors;
}

void PriceAdjuster::run(const OperationPtr &op, qint64 id, qint64 delta)
{
    tryAdjust(op, id, delta, 1);
}

void PriceAdjuster::tryAdjust(const OperationPtr &op, qint64 id, qint64 delta, int attempt)
{
    // Optimistic concurrency: read, compute, write only if the version is
    // still the one read; when someone else wrote in between, read again.
    auto read = m_starter.beginChild(op, OperationKind::Get, [this, op, id, delta, attempt](ServiceResult r) {
        if (!r.ok() || !r.product) {
            op->finish(std::move(r));
            return;
        }
        const Product current = *r.product;
        qint64 price = 0;
        QList<FieldError> errors;
        if (__builtin_add_overflow(current.price, delta, &price))
            errors.append({ QStringLiteral("price"), QStringLiteral("The adjusted price is out of range.") });
        else
            errors = ProductValidator::validatePrice(price);
        if (!errors.isEmpty()) {
            op->retries = attempt - 1;
            return rejectInvalid(op, errors);
        }
        op->note(QStringLiteral("attempt %1: read version %2 at price %3; writing %4 only if still version %2")
                     .arg(attempt)
                     .arg(current.version)
                     .arg(current.price)
                     .arg(price));
        auto write = m_starter.beginChild(
            op, OperationKind::UpdateTx, [this, op, id, delta, attempt, current](ServiceResult w) {
                if (w.status == ServiceStatus::Conflict && attempt < MaxAttempts) {
                    op->step(TraceSystem::App,
                        QStringLiteral("version %1 is stale: another write came first; retrying").arg(current.version),
                        TraceOutcome::Conflict);
                    tryAdjust(op, id, delta, attempt + 1);
                    return;
                }
                op->retries = attempt - 1;
                if (w.status == ServiceStatus::Conflict)
                    w.error = QStringLiteral("Gave up after %1 attempts: the price kept changing.").arg(attempt);
                w.retries = attempt - 1;
                op->finish(std::move(w));
            });
        write->strategy->updateInTransaction(write, ProductEdit::update(id, current.name, price, current.version));
    });
    // (A child operation has no viewer: reading in order to write is not a view.)
    // A retry outside write-behind reads SQLite itself: the conflict may
    // have come from a cached copy that is older than the row (an outside
    // edit the change feed has not reported yet), and reading that copy
    // again would lose every attempt. Under write-behind Redis holds the
    // newest data, so it is read through the cache.
    if (attempt > 1 && op->kind() != StrategyKind::WriteBehind) {
        read->note(QStringLiteral("retry: reading SQLite directly, not a possibly stale cached copy"));
        m_sqlOnly.get(read, id);
        return;
    }
    read->strategy->get(read, id);
}
