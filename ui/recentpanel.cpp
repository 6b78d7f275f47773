// RecentPanel: LRANGE on change, names from the SQLite table.
#include "recentpanel.h"

#include "backend.h"
#include "cachekeys.h"
#include "keyspacewatcher.h"
#include "productservice.h"
#include "productstablemodel.h"
#include "redisclient.h"
#include "theme.h"

#include <QListWidget>
#include <QVBoxLayout>

RecentPanel::RecentPanel(QWidget *parent)
    : QWidget(parent)
    , m_list(new QListWidget(this))
{
    m_list->setObjectName(QStringLiteral("recentList"));
    m_list->setAlternatingRowColors(true);
    m_list->setSelectionMode(QAbstractItemView::NoSelection);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_list);
}

void RecentPanel::attach(Backend *backend, ProductsTableModel *products)
{
    m_backend = backend;
    m_products = products;
    connect(
        backend->keyspaceWatcher(), &KeyspaceWatcher::eventsBatched, this, [this](const QList<KeyspaceEvent> &events) {
            const QByteArray key = CacheKeys(m_backend->service()->settings().keyPrefix).recent();
            for (const KeyspaceEvent &e : events) {
                if (e.key == key) {
                    refresh();
                    return;
                }
            }
        });
    connect(backend->redis(), &RedisClient::connected, this, &RecentPanel::refresh);
    connect(products, &QAbstractItemModel::dataChanged, this, &RecentPanel::render);
    connect(products, &QAbstractItemModel::modelReset, this, &RecentPanel::render);
    refresh();
}

void RecentPanel::refresh()
{
    if (!m_backend || !m_backend->redis()->isConnected())
        return;
    if (m_inFlight) {
        m_again = true;
        return;
    }
    m_inFlight = true;
    const QByteArray key = CacheKeys(m_backend->service()->settings().keyPrefix).recent();
    m_backend->redis()->command({ QByteArrayLiteral("LRANGE"), key, QByteArrayLiteral("0"), QByteArrayLiteral("-1") },
        this, [this](const RedisReply &reply) {
            m_inFlight = false;
            if (reply.isArray()) {
                m_ids.clear();
                for (const RedisReply &r : reply.elements())
                    m_ids << r.toInteger();
                render();
            }
            if (m_again) {
                m_again = false;
                refresh();
            }
        });
}

void RecentPanel::render()
{
    m_list->clear();
    if (m_ids.isEmpty()) {
        auto *item = new QListWidgetItem(tr("Nothing viewed yet — Get a product to start the list."));
        item->setForeground(Theme::muted());
        item->setFlags(Qt::NoItemFlags);
        m_list->addItem(item);
        return;
    }
    int position = 1;
    for (qint64 id : std::as_const(m_ids)) {
        const auto p = m_products ? m_products->product(id) : std::nullopt;
        const QString text = p
            ? tr("%1.  #%2  %3  —  %4").arg(position).arg(id).arg(p->name, ProductsTableModel::formatPrice(p->price))
            : tr("%1.  #%2").arg(position).arg(id);
        auto *item = new QListWidgetItem(text);
        item->setData(Qt::UserRole, id);
        m_list->addItem(item);
        ++position;
    }
}
