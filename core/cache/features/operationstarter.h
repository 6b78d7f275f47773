// OperationStarter: how a feature of the service starts operations of its
// own without knowing ProductService.
//
// ProductService implements it: it numbers each operation, gives it the
// strategy of the moment and, when the operation ends, turns it into a
// trace, metrics, signals and the callback.
#pragma once

#include "operation.h"

#include <functional>

class OperationStarter
{
public:
    /// An operation nobody called (a change-feed batch, another instance's
    /// invalidation), under the current strategy. done may be empty.
    virtual OperationPtr beginBackground(
        OperationKind what, qint64 productId, std::function<void(const ServiceResult &)> done)
        = 0;
    /// A step of a larger call, run through the ordinary strategy code: its
    /// trace steps are folded into the parent's trace and its result goes to
    /// then() instead of a caller; it emits nothing by itself.
    virtual OperationPtr beginChild(
        const OperationPtr &parent, OperationKind what, std::function<void(ServiceResult)> then)
        = 0;

protected:
    ~OperationStarter() = default;
};
