// ProductsPanel: list() on every change, pipelined HMGET for the cache column.
#include "productspanel.h"

#include "backend.h"
#include "cachekeys.h"
#include "keyspacewatcher.h"
#include "productrepository.h"
#include "productservice.h"
#include "productstablemodel.h"
#include "redisclient.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

ProductsPanel::ProductsPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new ProductsTableModel(this))
    , m_view(new QTableView(this))
    , m_summary(new QLabel(this))
{
    m_view->setObjectName(QStringLiteral("productsTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::NameColumn, QHeaderView::Stretch);
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::IdColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::VersionColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::PriceColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::CacheColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setHighlightSections(false);

    m_summary->setObjectName(QStringLiteral("productsSummary"));
    m_summary->setForegroundRole(QPalette::PlaceholderText);
    // The database path can be long; it must not set the dock column's width.
    m_summary->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(m_view);
    layout->addWidget(m_summary);

    m_cacheTimer.setSingleShot(true);
    m_cacheTimer.setInterval(120);
    connect(&m_cacheTimer, &QTimer::timeout, this, &ProductsPanel::refreshCacheState);

    connect(
        m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
            if (!current.isValid())
                return;
            const auto p = m_model->product(current.data(ProductsTableModel::ProductIdRole).toLongLong());
            if (p)
                emit productSelected(*p);
        });
}

void ProductsPanel::setSummary(const QString &text)
{
    m_summaryText = text;
    m_summary->setToolTip(text);
    elideSummary();
}

void ProductsPanel::elideSummary()
{
    m_summary->setText(
        m_summary->fontMetrics().elidedText(m_summaryText, Qt::ElideMiddle, std::max(0, m_summary->width())));
}

void ProductsPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    elideSummary();
}

void ProductsPanel::attach(Backend *backend)
{
    m_backend = backend;
    connect(backend->repository(), &ProductRepository::changed, this, [this] { reload(); });
    connect(backend->service(), &ProductService::productChanged, this, [this] { m_cacheTimer.start(); });
    connect(backend->service(), &ProductService::keysInvalidated, this, [this] { m_cacheTimer.start(); });
    connect(backend->keyspaceWatcher(), &KeyspaceWatcher::eventsBatched, this, &ProductsPanel::onEvents);
    connect(backend->redis(), &RedisClient::connected, this, [this] { m_cacheTimer.start(); });
    reload();
}

void ProductsPanel::reload()
{
    if (!m_backend)
        return;
    if (m_reloading) {
        m_reloadAgain = true;
        return;
    }
    m_reloading = true;
    m_backend->repository()->list(this, [this](const StoreResult &result) {
        m_reloading = false;
        if (result.ok()) {
            m_model->setProducts(result.products);
            setSummary(tr("%n product(s) in %1", nullptr, int(result.products.size())).arg(m_backend->databasePath()));
            refreshCacheState();
        } else {
            setSummary(result.error);
        }
        if (m_reloadAgain) {
            m_reloadAgain = false;
            reload();
        }
    });
}

void ProductsPanel::onEvents(const QList<KeyspaceEvent> &events)
{
    const CacheKeys keys(m_backend->service()->settings().keyPrefix);
    for (const KeyspaceEvent &e : events) {
        if (keys.idFromProductKey(e.key) > 0) {
            if (!m_cacheTimer.isActive())
                m_cacheTimer.start();
            return;
        }
    }
}

void ProductsPanel::refreshCacheState()
{
    if (!m_backend || m_cacheInFlight)
        return;
    RedisClient *redis = m_backend->redis();
    const QList<qint64> ids = m_model->ids();
    if (ids.isEmpty())
        return;
    if (!redis || !redis->isConnected()) {
        m_model->setCachedVersions({}, {});
        return;
    }
    const CacheKeys keys(m_backend->service()->settings().keyPrefix);
    QList<RedisCommand> commands;
    for (qint64 id : ids)
        commands.append({ QByteArrayLiteral("HMGET"), keys.product(id), QByteArrayLiteral("version"),
            QByteArrayLiteral("dirty"), QByteArrayLiteral("absent") });
    m_cacheInFlight = true;
    redis->pipeline(commands, this, [this, ids](const QList<RedisReply> &replies) {
        m_cacheInFlight = false;
        if (replies.size() != ids.size())
            return;
        QHash<qint64, qint64> versions;
        QHash<qint64, bool> dirty;
        for (qsizetype i = 0; i < ids.size(); ++i) {
            const RedisReply &r = replies.at(i);
            if (!r.isArray() || r.size() != 3)
                continue;
            if (!r.at(2).isNil())
                versions.insert(ids.at(i), -2);
            else if (!r.at(0).isNil())
                versions.insert(ids.at(i), r.at(0).toInteger());
            if (!r.at(1).isNil())
                dirty.insert(ids.at(i), true);
        }
        m_model->setCachedVersions(versions, dirty);
    });
}
