// ProductWrite::of: which finished operations are acknowledged product writes.
#include "productwrite.h"

#include "operation.h"

std::optional<ProductWrite> ProductWrite::of(const Operation &op, const ServiceResult &result)
{
    if (!result.ok())
        return std::nullopt;
    ProductWrite w;
    w.operation = op.trace.operation;
    w.strategy = op.kind();
    w.queued = op.kind() == StrategyKind::WriteBehind;
    switch (op.what()) {
    case OperationKind::Delete:
        w.kind = Kind::Deleted;
        w.id = op.trace.productId;
        return w;
    case OperationKind::Create:
    case OperationKind::Update:
    case OperationKind::UpdateTx:
    case OperationKind::Upsert:
    case OperationKind::AdjustPrice:
        if (!result.product)
            return std::nullopt;
        w.kind = op.what() == OperationKind::Create ? Kind::Created : Kind::Updated;
        w.id = result.product->id;
        w.version = result.product->version;
        return w;
    default:
        return std::nullopt;
    }
}
