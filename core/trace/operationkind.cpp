// OperationKind names: the single list of operation spellings.
#include "operationkind.h"

QString operationName(OperationKind kind)
{
    // QStringLiteral: every call of the hot path names its trace without an
    // allocation.
    switch (kind) {
    case OperationKind::Get:
        return QStringLiteral("get");
    case OperationKind::List:
        return QStringLiteral("list");
    case OperationKind::Create:
        return QStringLiteral("create");
    case OperationKind::Update:
        return QStringLiteral("update");
    case OperationKind::UpdateTx:
        return QStringLiteral("update-tx");
    case OperationKind::Upsert:
        return QStringLiteral("upsert");
    case OperationKind::Delete:
        return QStringLiteral("delete");
    case OperationKind::AdjustPrice:
        return QStringLiteral("adjust-price");
    case OperationKind::Invalidate:
        return QStringLiteral("invalidate");
    case OperationKind::InvalidatePattern:
        return QStringLiteral("invalidate-pattern");
    case OperationKind::InvalidateAll:
        return QStringLiteral("invalidate-all");
    case OperationKind::Recent:
        return QStringLiteral("recent");
    case OperationKind::WarmUp:
        return QStringLiteral("warm-up");
    case OperationKind::Eviction:
        return QStringLiteral("eviction");
    case OperationKind::Flush:
        return QStringLiteral("flush");
    case OperationKind::Recover:
        return QStringLiteral("recover");
    case OperationKind::ChangeFeed:
        return QStringLiteral("change-feed");
    case OperationKind::RemoteInvalidate:
        return QStringLiteral("remote-invalidate");
    case OperationKind::ChangeLogReplay:
        return QStringLiteral("change-log-replay");
    case OperationKind::DeferredInvalidate:
        return QStringLiteral("deferred-invalidate");
    case OperationKind::Other:
        break;
    }
    return {};
}

OperationKind operationKindFromName(const QString &name)
{
    for (int k = 0; k < int(OperationKind::Other); ++k) {
        if (name == operationName(OperationKind(k)))
            return OperationKind(k);
    }
    return OperationKind::Other;
}
