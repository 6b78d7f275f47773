// ProductsTableModel: the document's rows and cache state, diffed so views keep selection.
#include "productstablemodel.h"

#include "pricetext.h"
#include "theme.h"

#include <QBrush>
#include <QFont>
#include <QLocale>

ProductsTableModel::ProductsTableModel(ProductsDocument *document, QObject *parent)
    : QAbstractTableModel(parent)
    , m_document(document)
    , m_products(document->products())
{
    connect(document, &ProductsDocument::productsChanged, this, [this] { setProducts(m_document->products()); });
    connect(document, &ProductsDocument::cacheStateChanged, this, &ProductsTableModel::onCacheStateChanged);
}

QString ProductsTableModel::formatPrice(qint64 cents)
{
    return PriceText::format(cents); // the editor parses what this shows
}

void ProductsTableModel::setProducts(const QList<Product> &products)
{
    bool sameIds = products.size() == m_products.size();
    for (qsizetype i = 0; sameIds && i < products.size(); ++i)
        sameIds = products.at(i).id == m_products.at(i).id;
    if (!sameIds) {
        beginResetModel();
        m_products = products;
        endResetModel();
        return;
    }
    for (qsizetype i = 0; i < products.size(); ++i) {
        if (products.at(i) != m_products.at(i)) {
            m_products[i] = products.at(i);
            emit dataChanged(index(int(i), 0), index(int(i), ColumnCount - 1));
        }
    }
}

void ProductsTableModel::onCacheStateChanged(const QList<qint64> &ids)
{
    for (qint64 id : ids) {
        const int row = rowOfId(id);
        if (row >= 0)
            emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
    }
}

QList<qint64> ProductsTableModel::ids() const
{
    QList<qint64> out;
    out.reserve(m_products.size());
    for (const Product &p : m_products)
        out << p.id;
    return out;
}

std::optional<Product> ProductsTableModel::product(qint64 id) const
{
    const int row = rowOfId(id);
    if (row < 0)
        return std::nullopt;
    return m_products.at(row);
}

int ProductsTableModel::rowOfId(qint64 id) const
{
    for (qsizetype i = 0; i < m_products.size(); ++i) {
        if (m_products.at(i).id == id)
            return int(i);
    }
    return -1;
}

int ProductsTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_products.size());
}

int ProductsTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ProductsTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Product &p = m_products.at(index.row());
    const CacheInfo info = m_document->cacheInfo(p.id);
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case IdColumn:
            return p.id;
        case NameColumn:
            return p.name;
        case PriceColumn:
            return formatPrice(p.price);
        case VersionColumn:
            return p.version;
        case CacheColumn:
            switch (info.state) {
            case CacheState::Unknown:
                return QString();
            case CacheState::NotCached:
                return tr("not cached");
            case CacheState::Fresh:
                return tr("cached v%1").arg(info.version);
            case CacheState::Stale:
                return tr("stale: v%1").arg(info.version);
            case CacheState::Pending:
                return tr("pending write");
            case CacheState::Absent:
                return tr("negative");
            }
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == NameColumn)
            return p.name; // the whole name, for a column too narrow for it
        switch (info.state) {
        case CacheState::Stale:
            return tr("Redis holds version %1 of this product, SQLite has version %2.")
                .arg(info.version)
                .arg(p.version);
        case CacheState::NotCached:
            return tr("Not in Redis: the next read under a caching strategy is a miss.");
        case CacheState::Pending:
            return tr("A write-behind write is waiting in the queue; SQLite will catch up.");
        case CacheState::Fresh:
            return tr("Redis holds the same version as SQLite.");
        default:
            return {};
        }
    case Qt::ForegroundRole:
        if (info.state == CacheState::NotCached || info.state == CacheState::Absent)
            return QBrush(Theme::muted());
        if (index.column() == CacheColumn) {
            switch (info.state) {
            case CacheState::Fresh:
                return QBrush(Theme::outcomeColor(TraceOutcome::Hit));
            case CacheState::Stale:
                return QBrush(Theme::outcomeColor(TraceOutcome::Conflict));
            case CacheState::Pending:
                return QBrush(Theme::outcomeColor(TraceOutcome::Queue));
            default:
                break;
            }
        }
        return {};
    case Qt::BackgroundRole:
        if (info.state == CacheState::Stale) {
            QColor c = Theme::outcomeColor(TraceOutcome::Miss);
            c.setAlphaF(0.18f);
            return QBrush(c);
        }
        return {};
    case Qt::FontRole:
        if (index.column() == CacheColumn && info.state == CacheState::Stale) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == IdColumn || index.column() == PriceColumn || index.column() == VersionColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case ProductIdRole:
        return p.id;
    case CacheStateRole:
        return int(info.state);
    default:
        return {};
    }
}

QVariant ProductsTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IdColumn:
        return tr("ID");
    case NameColumn:
        return tr("Name");
    case PriceColumn:
        return tr("Price");
    case VersionColumn:
        return tr("Ver.");
    case CacheColumn:
        return tr("In Redis");
    default:
        return {};
    }
}
