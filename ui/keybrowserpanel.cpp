// KeyBrowserPanel: scanner -> model -> view, with visible-rows-only work.
#include "keybrowserpanel.h"

#include "backend.h"
#include "keyspacewatcher.h"
#include "keytablemodel.h"
#include "productservice.h"
#include "redisclient.h"
#include "ttlbardelegate.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

KeyBrowserPanel::KeyBrowserPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new KeyTableModel(this))
    , m_view(new QTableView(this))
    , m_filter(new QLineEdit(this))
    , m_rescan(new QToolButton(this))
    , m_progress(new QProgressBar(this))
    , m_count(new QLabel(this))
    , m_preview(new QTreeWidget(this))
    , m_previewTitle(new QLabel(this))
{
    m_filter->setObjectName(QStringLiteral("keyFilter"));
    m_filter->setPlaceholderText(tr("Pattern, e.g. product:* (Enter to scan)"));
    m_filter->setClearButtonEnabled(true);
    m_rescan->setObjectName(QStringLiteral("rescanButton"));
    m_rescan->setText(tr("Scan"));
    m_rescan->setToolTip(tr("SCAN the keyspace again with this pattern (F5)"));
    m_rescan->setShortcut(QKeySequence::Refresh);
    m_progress->setObjectName(QStringLiteral("keyScanProgress"));
    m_progress->setMaximumWidth(120);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(10);
    m_progress->hide();
    m_count->setObjectName(QStringLiteral("keyCount"));

    m_view->setObjectName(QStringLiteral("keyTable"));
    m_view->setModel(m_model);
    m_view->setItemDelegate(new TtlBarDelegate(m_view));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(false);
    m_view->setShowGrid(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    QHeaderView *h = m_view->horizontalHeader();
    h->setSectionResizeMode(KeyTableModel::KeyColumn, QHeaderView::Stretch);
    h->setSectionResizeMode(KeyTableModel::TypeColumn, QHeaderView::Fixed);
    h->setSectionResizeMode(KeyTableModel::SizeColumn, QHeaderView::Fixed);
    h->setSectionResizeMode(KeyTableModel::TtlColumn, QHeaderView::Fixed);
    const int em = m_view->fontMetrics().horizontalAdvance(QLatin1Char('M'));
    h->resizeSection(KeyTableModel::TypeColumn, em * 5);
    h->resizeSection(KeyTableModel::SizeColumn, em * 5);
    h->resizeSection(KeyTableModel::TtlColumn, em * 8);
    h->setHighlightSections(false);

    m_preview->setObjectName(QStringLiteral("keyPreview"));
    m_preview->setColumnCount(2);
    m_preview->setHeaderLabels({ tr("Field"), tr("Value") });
    m_preview->setRootIsDecorated(false);
    m_preview->setAlternatingRowColors(true);
    m_preview->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_previewTitle->setObjectName(QStringLiteral("keyPreviewTitle"));
    m_previewTitle->setText(tr("Select a key to see its value."));
    m_previewTitle->setForegroundRole(QPalette::PlaceholderText);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_rescan);
    bar->addWidget(m_progress);
    bar->addWidget(m_count);

    auto *previewBox = new QWidget(this);
    auto *pl = new QVBoxLayout(previewBox);
    pl->setContentsMargins(0, 0, 0, 0);
    pl->setSpacing(2);
    pl->addWidget(m_previewTitle);
    pl->addWidget(m_preview);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("keySplitter"));
    split->addWidget(m_view);
    split->addWidget(previewBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addLayout(bar);
    layout->addWidget(split, 1);

    connect(m_filter, &QLineEdit::returnPressed, this, &KeyBrowserPanel::rescan);
    connect(m_rescan, &QToolButton::clicked, this, &KeyBrowserPanel::rescan);
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, &KeyBrowserPanel::requestVisibleDetails);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        m_count->setText(tr("%n key(s)", nullptr, m_model->rowCount()));
        QTimer::singleShot(0, this, &KeyBrowserPanel::requestVisibleDetails);
    });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this,
        [this] { m_count->setText(tr("%n key(s)", nullptr, m_model->rowCount())); });
    connect(m_model, &QAbstractItemModel::modelReset, this,
        [this] { m_count->setText(tr("%n key(s)", nullptr, m_model->rowCount())); });
    connect(
        m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
            if (!current.isValid() || !m_scanner)
                return;
            m_previewKey = current.data(KeyTableModel::KeyBytesRole).toByteArray();
            m_previewTitle->setText(tr("Loading %1…").arg(QString::fromUtf8(m_previewKey)));
            m_scanner->fetchPreview(m_previewKey);
        });

    m_tick.setInterval(100);
    connect(&m_tick, &QTimer::timeout, this, &KeyBrowserPanel::onTick);
    setEnabled(false);
}

void KeyBrowserPanel::attach(Backend *backend)
{
    m_backend = backend;
    m_scanner = new KeyScanner(backend->redisUrl(), this);
    connect(m_scanner, &KeyScanner::connected, this, &KeyBrowserPanel::rescan);
    connect(m_scanner, &KeyScanner::keysFound, m_model, &KeyTableModel::addKeys);
    connect(m_scanner, &KeyScanner::scanStarted, this, [this](const QByteArray &, qint64 dbSize) {
        m_model->reserve(dbSize);
        m_progress->setRange(0, int(std::max<qint64>(1, std::min<qint64>(dbSize, INT_MAX))));
        m_progress->setValue(0);
        m_progress->setVisible(dbSize > 5000);
    });
    connect(m_scanner, &KeyScanner::progress, this,
        [this](qint64 seen, qint64) { m_progress->setValue(int(std::min<qint64>(seen, m_progress->maximum()))); });
    connect(m_scanner, &KeyScanner::scanFinished, this, [this] { m_progress->hide(); });
    connect(m_scanner, &KeyScanner::detailsReady, this, [this](const QList<KeyDetails> &details) {
        --m_detailsInFlight;
        m_model->applyDetails(details);
        requestVisibleDetails();
    });
    connect(m_scanner, &KeyScanner::detailsFailed, this, [this](const QList<QByteArray> &keys, const QString &) {
        --m_detailsInFlight;
        m_model->markDetailsUnknown(keys);
    });
    connect(m_scanner, &KeyScanner::previewReady, this, &KeyBrowserPanel::showPreview);
    connect(backend->keyspaceWatcher(), &KeyspaceWatcher::eventsBatched, this, &KeyBrowserPanel::onEvents);
    m_scanner->connectToServer();
    m_tick.start();
    setEnabled(true);
}

QByteArray KeyBrowserPanel::effectivePattern() const
{
    const QString text = m_filter->text().trimmed();
    if (!text.isEmpty())
        return text.toUtf8();
    const QString prefix = m_backend && m_backend->service() ? m_backend->service()->settings().keyPrefix : QString();
    return prefix.toUtf8() + '*';
}

void KeyBrowserPanel::rescan()
{
    if (!m_scanner)
        return;
    m_model->clear();
    m_model->setPattern(effectivePattern());
    m_detailsInFlight = 0;
    m_scanner->scan(effectivePattern());
}

void KeyBrowserPanel::onEvents(const QList<KeyspaceEvent> &events)
{
    m_model->applyEvents(events);
    if (!m_previewKey.isEmpty()) {
        for (const KeyspaceEvent &e : events) {
            if (e.key == m_previewKey && e.event != QLatin1String("expire")) {
                m_scanner->fetchPreview(m_previewKey);
                break;
            }
        }
    }
    requestVisibleDetails();
}

void KeyBrowserPanel::onTick()
{
    m_model->tick();
    const int first = m_view->rowAt(0);
    if (first < 0)
        return;
    int last = m_view->rowAt(m_view->viewport()->height() - 1);
    if (last < 0)
        last = m_model->rowCount() - 1;
    m_model->refreshTtl(first, last);
}

void KeyBrowserPanel::requestVisibleDetails()
{
    if (!m_scanner || !m_scanner->isConnected() || m_detailsInFlight > 2)
        return;
    int first = m_view->rowAt(0);
    if (first < 0)
        first = 0;
    int last = m_view->rowAt(m_view->viewport()->height() - 1);
    if (last < 0)
        last = std::min(m_model->rowCount() - 1, first + 100);
    const QList<QByteArray> keys = m_model->takeKeysNeedingDetails(first, last, 200);
    if (keys.isEmpty())
        return;
    ++m_detailsInFlight;
    m_scanner->fetchDetails(keys);
}

void KeyBrowserPanel::showPreview(const KeyValuePreview &preview)
{
    if (preview.key != m_previewKey)
        return;
    m_preview->clear();
    if (!preview.error.isEmpty()) {
        m_previewTitle->setText(QStringLiteral("%1 — %2").arg(QString::fromUtf8(preview.key), preview.error));
        return;
    }
    QString title = QStringLiteral("<b>%1</b> &nbsp;<i>%2</i>")
                        .arg(QString::fromUtf8(preview.key).toHtmlEscaped(), QString::fromLatin1(preview.type));
    if (preview.totalItems >= 0 && preview.type != "string")
        title += tr(" · %n item(s)", nullptr, int(preview.totalItems));
    if (preview.totalItems > preview.rows.size() && preview.type != "string")
        title += tr(", first %1 shown").arg(preview.rows.size());
    m_previewTitle->setText(title);
    const bool zset = preview.type == "zset";
    m_preview->setHeaderLabels({ zset  ? tr("Score")
            : preview.type == "hash"   ? tr("Field")
            : preview.type == "stream" ? tr("ID")
                                       : tr("#"),
        tr("Value") });
    QList<QTreeWidgetItem *> items;
    for (const auto &[field, value] : preview.rows)
        items << new QTreeWidgetItem(QStringList { field, value });
    m_preview->addTopLevelItems(items);
}

bool KeyBrowserPanel::selectKey(const QByteArray &key)
{
    const int row = m_model->rowOfKey(key);
    if (row < 0)
        return false;
    m_view->setCurrentIndex(m_model->index(row, KeyTableModel::KeyColumn));
    m_view->scrollTo(m_model->index(row, KeyTableModel::KeyColumn));
    return true;
}
