// MostViewedPanel: a small table kept current by keyspace events.
#include "mostviewedpanel.h"

#include "cachekeys.h"
#include "keyspacewatcher.h"
#include "productsdocument.h"
#include "productservice.h"
#include "theme.h"

#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace {
constexpr int TopN = 10;
}

MostViewedPanel::MostViewedPanel(
    ProductService *service, KeyspaceWatcher *watcher, ProductsDocument *products, QWidget *parent)
    : MostViewedPanel(parent)
{
    attach(service, watcher, products);
}

MostViewedPanel::MostViewedPanel(QWidget *parent)
    : QWidget(parent)
    , m_table(new QTreeWidget(this))
    , m_caption(new QLabel(this))
{
    m_table->setObjectName(QStringLiteral("mostViewedTable"));
    m_table->setRootIsDecorated(false);
    m_table->setAlternatingRowColors(true);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setHeaderLabels({ tr("#"), tr("Product"), tr("Views"), tr("Unique viewers") });
    m_table->headerItem()->setToolTip(2, tr("ZINCRBY on every get (sorted set)"));
    m_table->headerItem()->setToolTip(3, tr("PFCOUNT of the product's HyperLogLog: an estimate (±0.81%)"));
    m_table->header()->setStretchLastSection(false);
    m_table->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    for (int c : { 0, 2, 3 })
        m_table->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_caption->setWordWrap(true);
    m_caption->setObjectName(QStringLiteral("mostViewedCaption"));
    QPalette pal = m_caption->palette();
    pal.setColor(QPalette::WindowText, Theme::muted());
    m_caption->setPalette(pal);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_caption);

    m_throttle.setSingleShot(true);
    m_throttle.setInterval(300);
    connect(&m_throttle, &QTimer::timeout, this, &MostViewedPanel::load);
    render();
}

void MostViewedPanel::attach(ProductService *service, KeyspaceWatcher *watcher, ProductsDocument *products)
{
    m_service = service;
    m_products = products;
    m_stats = new ViewStats(service, this);
    connect(watcher, &KeyspaceWatcher::eventsBatched, this, [this](const QList<KeyspaceEvent> &events) {
        const QByteArray key = CacheKeys(m_service->settings().keyPrefix).views();
        for (const KeyspaceEvent &e : events) {
            if (e.key == key) {
                refresh();
                return;
            }
        }
    });
    connect(service, &ProductService::cacheAvailabilityChanged, this, [this](bool available) {
        if (available)
            refresh();
    });
    connect(service, &ProductService::productRemoved, this, &MostViewedPanel::refresh);
    connect(products, &ProductsDocument::productsChanged, this, &MostViewedPanel::render);
    connect(products, &ProductsDocument::cacheStateChanged, this, &MostViewedPanel::render);
    refresh();
}

void MostViewedPanel::refresh()
{
    if (!m_throttle.isActive())
        m_throttle.start();
}

void MostViewedPanel::load()
{
    if (!m_stats)
        return;
    if (m_inFlight) {
        m_again = true;
        return;
    }
    if (!m_service->isCacheAvailable()) {
        m_error = tr("Redis is unreachable: the leaderboard lives in Redis.");
        render();
        emit refreshed();
        return;
    }
    m_inFlight = true;
    m_stats->top(TopN, this, [this](const QList<ViewCount> &top, const QString &error) {
        m_inFlight = false;
        m_rows = top;
        m_error = error;
        render();
        emit refreshed();
        if (m_again) {
            m_again = false;
            refresh();
        }
    });
}

void MostViewedPanel::render()
{
    m_table->clear();
    int rank = 1;
    for (const ViewCount &c : std::as_const(m_rows)) {
        const auto p = m_products ? m_products->product(c.id) : std::nullopt;
        auto *item = new QTreeWidgetItem(m_table);
        item->setText(0, QString::number(rank++));
        item->setText(1, p ? tr("#%1  %2").arg(c.id).arg(p->name) : tr("#%1").arg(c.id));
        item->setText(2, QString::number(c.views));
        item->setText(3, QStringLiteral("≈ %1").arg(c.uniqueViewers));
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(3, Qt::AlignRight | Qt::AlignVCenter);
        item->setData(0, Qt::UserRole, c.id);
    }
    QString keys;
    if (m_service) {
        const CacheKeys k(m_service->settings().keyPrefix);
        keys = QStringLiteral("%1, %2{id}")
                   .arg(QString::fromUtf8(k.views()),
                       QString::fromUtf8(k.prefix()) + QStringLiteral("cachelab:viewers:"));
    }
    if (!m_error.isEmpty())
        m_caption->setText(m_error);
    else if (m_rows.isEmpty())
        m_caption->setText(tr("Nothing viewed yet. Every get adds ZINCRBY and PFADD to its batched view update."));
    else
        m_caption->setText(
            tr("Sorted set + HyperLogLog per product (%1). Each window and API client is one viewer.").arg(keys));
}
