// rejectInvalid: the one ending of a call with invalid input.
#include "rejectinvalid.h"

void rejectInvalid(const OperationPtr &op, const QList<FieldError> &errors)
{
    op->note(QStringLiteral("rejected before reaching Redis or SQLite: %1").arg(ProductValidator::describe(errors)),
        TraceOutcome::Invalid);
    ServiceResult r;
    r.status = ServiceStatus::Invalid;
    r.fieldErrors = errors;
    r.error = ProductValidator::describe(errors);
    op->finish(r);
}
