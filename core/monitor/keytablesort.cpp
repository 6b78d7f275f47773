// KeyTableModel's sorting: one stable sort of the row order, then the rows
// are renumbered so the order is again sorted by sequence number (what
// rowOfEntry()'s binary search relies on), and persistent indexes (the
// view's selection and current row) follow their keys.
#include "keytablemodel.h"

#include <algorithm>
#include <array>
#include <limits>

namespace {
// Alphabetical rank of the type codes (see kTypeNames in keytablemodel.cpp:
// "", string, hash, list, set, zset, stream, other).
constexpr std::array<int, 8> TypeRank { 99, 5, 0, 1, 3, 6, 4, 2 };
} // namespace

void KeyTableModel::resortIfSmall(bool detailsChanged)
{
    if (m_sortColumn < 0 || rowCount() > ResortLimit)
        return;
    if (detailsChanged && m_sortColumn == KeyColumn)
        return; // names do not change
    resort();
}

void KeyTableModel::resort()
{
    if (m_sortColumn >= 0)
        sort(m_sortColumn, m_sortOrder);
}

void KeyTableModel::sort(int column, Qt::SortOrder order)
{
    m_sortColumn = column >= 0 && column < ColumnCount ? column : -1;
    m_sortOrder = order;
    if (m_sortColumn < 0 || m_order.size() < 2)
        return;

    const bool descending = order == Qt::DescendingOrder;
    const qint64 t = now();
    // (known, value): rows whose value is not known yet go last either way.
    const auto valueOf = [this, t](quint32 entry) -> std::pair<bool, qint64> {
        const Entry &e = m_entries[entry];
        const Details &d = detailsOf(entry);
        const bool details = e.flags & DetailsKnown;
        switch (m_sortColumn) {
        case TypeColumn:
            return { details && e.type != 0, TypeRank[e.type] };
        case SizeColumn:
            return { details && d.sizeBytes >= 0, d.sizeBytes };
        case TtlColumn:
            if (e.flags & Fading)
                return { true, 0 };
            if (!details || d.deadlineMs == -2)
                return { false, 0 };
            // No TTL sorts after every key that has one.
            return { true,
                d.deadlineMs == -1 ? std::numeric_limits<qint64>::max() : std::max<qint64>(0, d.deadlineMs - t) };
        default:
            return { true, 0 };
        }
    };
    const auto less = [&](quint32 a, quint32 b) {
        if (m_sortColumn != KeyColumn) {
            const auto [knownA, va] = valueOf(a);
            const auto [knownB, vb] = valueOf(b);
            if (knownA != knownB)
                return knownA;
            if (va != vb)
                return descending ? va > vb : va < vb;
        }
        const int byName = keyView(m_entries[a]).compare(keyView(m_entries[b]));
        return m_sortColumn == KeyColumn && descending ? byName > 0 : byName < 0;
    };

    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList from = persistentIndexList();
    std::vector<quint32> fromEntries;
    fromEntries.reserve(size_t(from.size()));
    for (const QModelIndex &index : from)
        fromEntries.push_back(m_order[size_t(index.row())]);

    std::stable_sort(m_order.begin(), m_order.end(), less);
    for (size_t row = 0; row < m_order.size(); ++row)
        m_entries[m_order[row]].seq = quint32(row);
    m_nextSeq = quint32(m_order.size());

    QModelIndexList to;
    to.reserve(from.size());
    for (qsizetype i = 0; i < from.size(); ++i)
        to << index(rowOfEntry(fromEntries[size_t(i)]), from.at(i).column());
    changePersistentIndexList(from, to);
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}
