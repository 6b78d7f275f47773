// MainWindow: products from SQLite and the Redis connection state.
#include "mainwindow.h"

#include "backend.h"
#include "productrepository.h"
#include "redisclient.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QStatusBar>
#include <QTableWidget>

MainWindow::MainWindow(Backend *backend, const AppOptions &options, QWidget *parent)
    : QMainWindow(parent)
    , m_backend(backend)
    , m_options(options)
{
    setWindowTitle(tr("CacheLab"));
    resize(1280, 800);

    m_products = new QTableWidget(0, 4, this);
    m_products->setObjectName(QStringLiteral("productsTable"));
    m_products->setHorizontalHeaderLabels({tr("ID"), tr("Name"), tr("Price"), tr("Version")});
    m_products->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_products->verticalHeader()->hide();
    m_products->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_products->setSelectionBehavior(QAbstractItemView::SelectRows);
    setCentralWidget(m_products);

    m_connection = new QLabel(tr("Starting…"), this);
    m_connection->setObjectName(QStringLiteral("connectionLabel"));
    statusBar()->addPermanentWidget(m_connection);

    connect(backend, &Backend::ready, this, [this] {
        connect(m_backend->repository(), &ProductRepository::changed, this, &MainWindow::reloadProducts);
        reloadProducts();
        updateStatus();
    });
    connect(backend, &Backend::redisReady, this, [this] {
        connect(m_backend->redis(), &RedisClient::stateChanged, this, &MainWindow::updateStatus);
        updateStatus();
    });
    connect(backend, &Backend::failed, this, [this](const QString &message) {
        m_connection->setText(message);
    });
}

MainWindow::~MainWindow() = default;

bool MainWindow::saveScreenshot(const QString &path)
{
    return grab().save(path, "PNG");
}

void MainWindow::reloadProducts()
{
    m_backend->repository()->list(this, [this](const StoreResult &result) {
        if (!result.ok()) {
            statusBar()->showMessage(result.error, 5000);
            return;
        }
        m_products->setRowCount(int(result.products.size()));
        const QLocale locale;
        for (int row = 0; row < result.products.size(); ++row) {
            const Product &p = result.products.at(row);
            m_products->setItem(row, 0, new QTableWidgetItem(QString::number(p.id)));
            m_products->setItem(row, 1, new QTableWidgetItem(p.name));
            m_products->setItem(row, 2, new QTableWidgetItem(locale.toString(double(p.price) / 100.0, 'f', 2)));
            m_products->setItem(row, 3, new QTableWidgetItem(QString::number(p.version)));
        }
    });
}

void MainWindow::updateStatus()
{
    const RedisClient *redis = m_backend->redis();
    QString state = tr("connecting");
    if (redis && redis->isConnected())
        state = tr("connected, Redis %1").arg(redis->serverVersion());
    else if (redis && redis->state() == RedisClient::State::Reconnecting)
        state = tr("reconnecting");
    m_connection->setText(tr("%1 — %2").arg(m_backend->redisDescription(), state));
}
