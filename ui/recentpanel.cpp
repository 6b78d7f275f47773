// RecentPanel: the recent list, named from the products document.
#include "recentpanel.h"

#include "productsdocument.h"
#include "productstablemodel.h"
#include "recentproductsdocument.h"
#include "theme.h"

#include <QListWidget>
#include <QVBoxLayout>

RecentPanel::RecentPanel(RecentProductsDocument *recent, ProductsDocument *products, QWidget *parent)
    : QWidget(parent)
    , m_recent(recent)
    , m_products(products)
    , m_list(new QListWidget(this))
{
    m_list->setObjectName(QStringLiteral("recentList"));
    m_list->setAlternatingRowColors(true);
    m_list->setSelectionMode(QAbstractItemView::NoSelection);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_list);
    connect(recent, &RecentProductsDocument::changed, this, &RecentPanel::render);
    connect(products, &ProductsDocument::productsChanged, this, &RecentPanel::render);
    connect(products, &ProductsDocument::cacheStateChanged, this, &RecentPanel::render);
    if (!recent->ids().isEmpty())
        render();
}

QList<qint64> RecentPanel::ids() const
{
    return m_recent->ids();
}

void RecentPanel::render()
{
    m_list->clear();
    const QList<qint64> ids = m_recent->ids();
    if (ids.isEmpty()) {
        auto *item = new QListWidgetItem(tr("Nothing viewed yet — Get a product to start the list."));
        item->setForeground(Theme::muted());
        item->setFlags(Qt::NoItemFlags);
        m_list->addItem(item);
        return;
    }
    int position = 1;
    for (qint64 id : ids) {
        const auto p = m_products->product(id);
        const QString text = p
            ? tr("%1.  #%2  %3  —  %4").arg(position).arg(id).arg(p->name, ProductsTableModel::formatPrice(p->price))
            : tr("%1.  #%2").arg(position).arg(id);
        auto *item = new QListWidgetItem(text);
        item->setData(Qt::UserRole, id);
        m_list->addItem(item);
        ++position;
    }
}
