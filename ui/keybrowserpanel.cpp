// KeyBrowserPanel: scanner -> model -> view, with visible-rows-only work.
#include "keybrowserpanel.h"

#include "cachekeys.h"
#include "fontfollow.h"
#include "globmatcher.h"
#include "keyspacewatcher.h"
#include "keytablemodel.h"
#include "productservice.h"
#include "theme.h"
#include "ttlbardelegate.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <utility>

KeyBrowserPanel::KeyBrowserPanel(
    KeyScanner *scanner, KeyActions *actions, KeyspaceWatcher *watcher, ProductService *service, QWidget *parent)
    : KeyBrowserPanel(parent)
{
    attach(scanner, actions, watcher, service);
}

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
    , m_ttlEdit(new QLineEdit(this))
    , m_setTtl(new QPushButton(this))
    , m_persist(new QPushButton(this))
    , m_actionStatus(new QLabel(this))
    , m_menu(new QMenu(this))
{
    m_filter->setObjectName(QStringLiteral("keyFilter"));
    m_filter->setPlaceholderText(tr("Pattern, e.g. product:* (Enter to scan)"));
    m_filter->setClearButtonEnabled(true);
    m_rescan->setObjectName(QStringLiteral("rescanButton"));
    m_rescan->setText(tr("Scan"));
    m_rescan->setToolTip(tr("SCAN the keyspace again with this pattern (F5)"));
    m_progress->setObjectName(QStringLiteral("keyScanProgress"));
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(10);
    // Hidden between scans, but its place is kept: the Scan button and the
    // count do not move when a long scan shows it.
    QSizePolicy keep = m_progress->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    m_progress->setSizePolicy(keep);
    m_progress->hide();
    m_count->setObjectName(QStringLiteral("keyCount"));
    m_count->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    m_view->setObjectName(QStringLiteral("keyTable"));
    // Before the view's selection model sees the removal: a selected key
    // that expires must not hand the selection to its neighbour.
    connect(m_model, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this](const QModelIndex &, int first, int last) {
        const int row = m_model->rowOfKey(m_previewKey);
        if (!m_previewKey.isEmpty() && row >= first && row <= last)
            m_selectedLeaving = true;
    });
    connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this, [this] { m_selectedLeaving = true; });
    m_view->setModel(m_model);
    m_view->setItemDelegate(new TtlBarDelegate(m_view));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(false);
    // Keys that differ only at the end (cachelab:bloom:<db> and its ":meta")
    // must stay apart when the column is narrow; the tooltip has the full name.
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->setShowGrid(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    QHeaderView *h = m_view->horizontalHeader();
    h->setSectionResizeMode(KeyTableModel::KeyColumn, QHeaderView::Stretch);
    h->setSectionResizeMode(KeyTableModel::TypeColumn, QHeaderView::Fixed);
    h->setSectionResizeMode(KeyTableModel::SizeColumn, QHeaderView::Fixed);
    h->setSectionResizeMode(KeyTableModel::TtlColumn, QHeaderView::Fixed);
    h->setHighlightSections(false);
    // Click a header to sort; the scan order until then.
    h->setSortIndicator(-1, Qt::AscendingOrder);
    m_view->setSortingEnabled(true);
    h->setSortIndicatorShown(true);
    // Fixed widths sized from the widest text each column shows, so "12.1 KB"
    // is never cut and the key column gets the rest; again when zoomed.
    FontFollow::follow(m_view, [this] {
        QHeaderView *h = m_view->horizontalHeader();
        const QFontMetrics fm = m_view->fontMetrics();
        m_view->verticalHeader()->setDefaultSectionSize(fm.height() + 8);
        const int pad = 2 * (m_view->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, m_view) + 1) + 6;
        // The header shows a sort arrow beside the title.
        const int arrow = m_view->style()->pixelMetric(QStyle::PM_HeaderMarkSize, nullptr, h) + 4;
        const auto width = [&](const QString &widest, int column) {
            const int title = h->fontMetrics().horizontalAdvance(m_model->headerData(column, Qt::Horizontal).toString());
            return std::max(fm.horizontalAdvance(widest), title + arrow) + pad;
        };
        m_typeWidth = width(QStringLiteral("stream"), KeyTableModel::TypeColumn);
        m_sizeWidth = width(QStringLiteral("999.9 KB"), KeyTableModel::SizeColumn);
        // The TTL delegate insets its bar and text by 8 px on each side.
        m_ttlWidth = width(QStringLiteral("59 min 59 s"), KeyTableModel::TtlColumn) + 10;
        h->resizeSection(KeyTableModel::TypeColumn, m_typeWidth);
        h->resizeSection(KeyTableModel::SizeColumn, m_sizeWidth);
        h->resizeSection(KeyTableModel::TtlColumn, m_ttlWidth);
        m_keyWidth = fm.horizontalAdvance(QStringLiteral("cachelab:changes")) + pad + 6;
        fitColumns();
    });
    FontFollow::follow(m_count, [this] {
        m_count->setMinimumWidth(m_count->fontMetrics().horizontalAdvance(tr("%n key(s)", nullptr, 88888888) + QStringLiteral("00")));
        m_progress->setFixedWidth(m_count->fontMetrics().horizontalAdvance(QStringLiteral("0000000")));
    });

    m_preview->setObjectName(QStringLiteral("keyPreview"));
    m_preview->setColumnCount(2);
    m_preview->setHeaderLabels({ tr("Field"), tr("Value") });
    m_preview->setRootIsDecorated(false);
    m_preview->setAlternatingRowColors(true);
    m_preview->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_previewTitle->setObjectName(QStringLiteral("keyPreviewTitle"));
    m_previewTitle->setText(tr("Select a key to see its value."));
    m_previewTitle->setForegroundRole(QPalette::PlaceholderText);

    // TTL editing for the selected key (also in the table's context menu).
    m_ttlEdit->setObjectName(QStringLiteral("ttlEdit"));
    m_ttlEdit->setPlaceholderText(tr("seconds"));
    m_ttlEdit->setToolTip(tr("New TTL in whole seconds (1 or more); Enter sets it (EXPIRE)"));
    FontFollow::follow(m_ttlEdit, [this] {
        m_ttlEdit->setMaximumWidth(m_ttlEdit->fontMetrics().horizontalAdvance(QStringLiteral("0000000000")) + 16);
    });
    m_setTtl->setObjectName(QStringLiteral("setTtlButton"));
    m_setTtl->setText(tr("Set TTL"));
    m_setTtl->setToolTip(tr("EXPIRE the selected key after this many seconds"));
    m_persist->setObjectName(QStringLiteral("persistButton"));
    m_persist->setText(tr("Persist"));
    m_persist->setToolTip(tr("PERSIST: remove the selected key's TTL so it never expires"));
    m_actionStatus->setObjectName(QStringLiteral("keyActionStatus"));
    m_actionStatus->setWordWrap(true);
    m_actionStatus->hide();
    QAction *setTtlAction = m_menu->addAction(tr("Set TTL…"));
    setTtlAction->setObjectName(QStringLiteral("setTtlAction"));
    QAction *persistAction = m_menu->addAction(tr("Persist (remove TTL)"));
    persistAction->setObjectName(QStringLiteral("persistAction"));
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->viewport()->installEventFilter(this); // fitColumns() on every width change; clicks
    m_view->installEventFilter(this); // keys that move the current row

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
    auto *actionsRow = new QHBoxLayout;
    actionsRow->addWidget(new QLabel(tr("TTL:"), previewBox));
    actionsRow->addWidget(m_ttlEdit);
    actionsRow->addWidget(m_setTtl);
    actionsRow->addWidget(m_persist);
    actionsRow->addStretch(1);
    pl->addLayout(actionsRow);
    pl->addWidget(m_actionStatus);
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
    // Emptying the filter (its clear button, or deleting the text) goes back
    // to every key of the app at once.
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.trimmed().isEmpty() && m_model->pattern() != effectivePattern())
            rescan();
    });
    connect(m_rescan, &QToolButton::clicked, this, &KeyBrowserPanel::rescan);
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, &KeyBrowserPanel::requestVisibleDetails);
    // actionTriggered comes from the person (wheel, drag, keys), never from
    // scrollTo(): it tells followNewKey to leave the view alone for a while.
    connect(m_view->verticalScrollBar(), &QScrollBar::actionTriggered, this, [this] { m_lastManualScroll.start(); });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        m_count->setText(tr("%n key(s)", nullptr, m_model->rowCount()));
        QTimer::singleShot(0, this, &KeyBrowserPanel::requestVisibleDetails);
    });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this] {
        m_count->setText(tr("%n key(s)", nullptr, m_model->rowCount()));
        keepSelectionOnLeave();
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_count->setText(tr("%n key(s)", nullptr, m_model->rowCount()));
        keepSelectionOnLeave();
    });
    connect(
        m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
            if (!current.isValid() || !m_scanner || m_selectedLeaving)
                return;
            m_previewKey = current.data(KeyTableModel::KeyBytesRole).toByteArray();
            m_previewTitle->setText(tr("Loading %1…").arg(QString::fromUtf8(m_previewKey)));
            m_actionStatus->hide();
            updateActionButtons();
            m_scanner->fetchPreview(m_previewKey);
        });
    connect(m_ttlEdit, &QLineEdit::returnPressed, this, &KeyBrowserPanel::setTtlOfSelected);
    connect(m_setTtl, &QPushButton::clicked, this, &KeyBrowserPanel::setTtlOfSelected);
    connect(m_persist, &QPushButton::clicked, this, &KeyBrowserPanel::persistSelected);
    connect(m_view, &QWidget::customContextMenuRequested, this, &KeyBrowserPanel::showContextMenu);
    connect(setTtlAction, &QAction::triggered, this, [this] {
        // No modal dialog (it would spin a nested event loop): the field in
        // the details area takes the input, prefilled with the current TTL.
        const int row = m_model->rowOfKey(m_previewKey);
        const qint64 ms = row >= 0 ? m_model->remainingMs(row) : -2;
        if (ms > 0)
            m_ttlEdit->setText(QString::number((ms + 999) / 1000));
        m_ttlEdit->setFocus(Qt::OtherFocusReason);
        m_ttlEdit->selectAll();
    });
    connect(persistAction, &QAction::triggered, this, &KeyBrowserPanel::persistSelected);
    updateActionButtons();

    m_tick.setInterval(100);
    connect(&m_tick, &QTimer::timeout, this, &KeyBrowserPanel::onTick);
    setEnabled(false);
}

void KeyBrowserPanel::attach(
    KeyScanner *scanner, KeyActions *actions, KeyspaceWatcher *watcher, ProductService *service)
{
    m_service = service;
    m_scanner = scanner;
    connect(m_scanner, &KeyScanner::connected, this, &KeyBrowserPanel::rescan);
    // The scanner is shared by every window: keys of a scan another window
    // started with a different pattern are not this table's.
    connect(m_scanner, &KeyScanner::keysFound, this, [this](const QList<QByteArray> &keys) {
        if (m_scanner->pattern() == m_model->pattern())
            m_model->addKeys(keys);
    });
    connect(m_scanner, &KeyScanner::scanStarted, this, [this](const QByteArray &, qint64 dbSize) {
        m_model->reserve(dbSize);
        m_progress->setRange(0, int(std::max<qint64>(1, std::min<qint64>(dbSize, INT_MAX))));
        m_progress->setValue(0);
        m_progress->setVisible(dbSize > 5000);
    });
    connect(m_scanner, &KeyScanner::progress, this,
        [this](qint64 seen, qint64) { m_progress->setValue(int(std::min<qint64>(seen, m_progress->maximum()))); });
    connect(m_scanner, &KeyScanner::scanFinished, this, [this] {
        m_progress->hide();
        m_model->resort();
        // A rescan that found the selected key again keeps it selected.
        if (!m_previewKey.isEmpty() && !m_view->currentIndex().isValid()) {
            if (m_model->rowOfKey(m_previewKey) >= 0)
                selectKey(m_previewKey);
            else
                clearPreview(); // not there any more
        }
        // A key to follow that arrived mid-scan is shown now the rows stand still.
        if (!m_followAfterScan.isEmpty())
            bringIntoView(std::exchange(m_followAfterScan, QByteArray()));
    });
    connect(m_scanner, &KeyScanner::detailsReady, this, [this](const QList<KeyDetails> &details) {
        m_detailsInFlight = std::max(0, m_detailsInFlight - 1);
        m_model->applyDetails(details);
        requestVisibleDetails();
    });
    connect(m_scanner, &KeyScanner::detailsFailed, this, [this](const QList<QByteArray> &keys, const QString &) {
        m_detailsInFlight = std::max(0, m_detailsInFlight - 1);
        m_model->markDetailsUnknown(keys);
    });
    connect(m_scanner, &KeyScanner::previewReady, this, &KeyBrowserPanel::showPreview);
    m_actions = actions;
    connect(m_actions, &KeyActions::finished, this, &KeyBrowserPanel::showActionResult);
    connect(watcher, &KeyspaceWatcher::eventsBatched, this, &KeyBrowserPanel::onEvents);
    if (m_service)
        connect(m_service, &ProductService::traceRecorded, this, &KeyBrowserPanel::followOperation);
    // The scanner is shared (another window may have connected it already).
    if (m_scanner->isConnected())
        rescan();
    m_tick.start();
    setEnabled(true);
    updateActionButtons();
}

void KeyBrowserPanel::updateActionButtons()
{
    const bool can = m_actions && !m_previewKey.isEmpty();
    m_ttlEdit->setEnabled(can);
    m_setTtl->setEnabled(can);
    m_persist->setEnabled(can);
    for (QAction *a : m_menu->actions())
        a->setEnabled(can);
}

void KeyBrowserPanel::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_view->indexAt(pos);
    if (!index.isValid())
        return;
    m_userPicked = true;
    m_view->setCurrentIndex(index.siblingAtColumn(KeyTableModel::KeyColumn));
    updateActionButtons();
    m_menu->popup(m_view->viewport()->mapToGlobal(pos)); // popup(), not exec(): no nested event loop
}

void KeyBrowserPanel::setTtlOfSelected()
{
    if (!m_actions || m_previewKey.isEmpty())
        return;
    m_actions->setTtl(m_previewKey, m_ttlEdit->text());
}

void KeyBrowserPanel::persistSelected()
{
    if (!m_actions || m_previewKey.isEmpty())
        return;
    m_actions->persist(m_previewKey);
}

void KeyBrowserPanel::showActionResult(const KeyActionResult &result)
{
    // The row shows the new TTL now, not after the next details fetch.
    if (result.status == KeyActionResult::Status::Ok || result.status == KeyActionResult::Status::NotFound)
        m_model->applyTtl(result.key, result.pttlMs);
    if (result.key != m_previewKey && result.status != KeyActionResult::Status::Invalid)
        return;
    m_actionStatus->setText(result.message);
    const QColor color = Theme::outcomeColor(result.ok()        ? TraceOutcome::Ok
            : result.status == KeyActionResult::Status::Invalid ? TraceOutcome::Invalid
                                                                : TraceOutcome::Error);
    m_actionStatus->setStyleSheet(QStringLiteral("QLabel { color: %1; }").arg(color.name()));
    m_actionStatus->setProperty("failed", !result.ok());
    m_actionStatus->show();
    if (result.ok())
        m_ttlEdit->clear();
}

QByteArray KeyBrowserPanel::effectivePattern() const
{
    const QString text = m_filter->text().trimmed();
    if (!text.isEmpty())
        return text.toUtf8();
    const QString prefix = m_service ? m_service->settings().keyPrefix : QString();
    return prefix.toUtf8() + '*';
}

void KeyBrowserPanel::fitColumns()
{
    // The key is what the browser is for: when the column is too narrow for
    // an ordinary app key beside the others, the size goes first, then the
    // type (both stay in the key's tooltip and the details).
    const int room = m_view->viewport()->width();
    const bool size = room - m_typeWidth - m_sizeWidth - m_ttlWidth >= m_keyWidth;
    const bool type = size || room - m_typeWidth - m_ttlWidth >= m_keyWidth;
    QHeaderView *h = m_view->horizontalHeader();
    for (auto [column, show, width] : { std::tuple { int(KeyTableModel::SizeColumn), size, m_sizeWidth },
             std::tuple { int(KeyTableModel::TypeColumn), type, m_typeWidth } }) {
        m_view->setColumnHidden(column, !show);
        if (show && h->sectionSize(column) != width)
            h->resizeSection(column, width); // a hidden section keeps its old width
    }
}

bool KeyBrowserPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        fitColumns();
    // A row the person picked (click, arrow keys) stays where it is; a
    // current row Qt set on its own (the view got the focus) does not count.
    if ((watched == m_view->viewport() && event->type() == QEvent::MouseButtonPress)
        || (watched == m_view && event->type() == QEvent::KeyPress))
        m_userPicked = true;
    return QWidget::eventFilter(watched, event);
}

void KeyBrowserPanel::keepSelectionOnLeave()
{
    if (!std::exchange(m_selectedLeaving, false))
        return;
    if (m_rescanning) {
        m_view->selectionModel()->clearCurrentIndex();
        return;
    }
    const int row = m_model->rowOfKey(m_previewKey);
    if (row >= 0) {
        // Still there (a reset that kept it): select it again.
        selectKey(m_previewKey);
        return;
    }
    // Gone (expired, evicted, deleted): nothing else gets selected in its
    // place; the details say what happened until another key is picked.
    m_view->selectionModel()->clearCurrentIndex();
    m_view->clearSelection();
    if (!m_previewKey.isEmpty()) {
        m_preview->clear();
        m_previewTitle->setText(tr("%1 is gone (expired or deleted). Select a key to see its value.")
                                    .arg(QString::fromUtf8(m_previewKey).toHtmlEscaped()));
        m_previewTitle->setToolTip(QString::fromUtf8(m_previewKey));
        m_previewKey.clear();
        updateActionButtons();
    }
}

void KeyBrowserPanel::clearPreview()
{
    m_previewKey.clear();
    m_preview->clear();
    m_previewTitle->setText(tr("Select a key to see its value."));
    m_previewTitle->setToolTip(QString());
    m_actionStatus->hide();
    m_view->selectionModel()->clearCurrentIndex();
    m_view->clearSelection();
    updateActionButtons();
}

void KeyBrowserPanel::rescan()
{
    if (!m_scanner)
        return;
    const QByteArray pattern = effectivePattern();
    // A filter that hides the selected key clears the details too.
    if (!m_previewKey.isEmpty() && !GlobMatcher::matches(pattern, m_previewKey))
        clearPreview();
    m_rescanning = true; // the selection is kept for the new scan to find
    m_model->clear();
    m_rescanning = false;
    m_model->setPattern(pattern);
    m_detailsInFlight = 0;
    m_scanner->scan(effectivePattern());
}

void KeyBrowserPanel::onEvents(const QList<KeyspaceEvent> &events)
{
    // Keys the newest events name that the table does not have yet (a
    // bounded look, so a burst of events costs no more).
    QList<QByteArray> unseen;
    for (qsizetype i = events.size() - 1; i >= 0 && i >= events.size() - 64; --i) {
        if (m_model->rowOfKey(events.at(i).key) < 0)
            unseen.append(events.at(i).key);
    }
    m_model->applyEvents(events);
    followNewKey(unseen);
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

void KeyBrowserPanel::followNewKey(const QList<QByteArray> &candidates)
{
    // New keys land at the end of an unsorted table, often below the fold:
    // the key a Get just filled should be seen with its TTL bar running,
    // not the view counters written beside it.
    constexpr qint64 FocusMs = 3000;
    if (candidates.isEmpty())
        return;
    if (m_focusSince.isValid() && m_focusSince.elapsed() < FocusMs) {
        if (candidates.contains(m_focusKey))
            bringIntoView(m_focusKey);
        return;
    }
    bringIntoView(candidates.first()); // the newest
}

void KeyBrowserPanel::followOperation(const OperationTrace &trace)
{
    if (!trace.isUserStarted() || trace.productId <= 0 || !m_service)
        return;
    m_focusKey = CacheKeys(m_service->settings().keyPrefix).product(trace.productId);
    m_focusSince.start();
    bringIntoView(m_focusKey);
}

void KeyBrowserPanel::bringIntoView(const QByteArray &key)
{
    constexpr qint64 LeaveAloneMs = 10000;
    if (m_userPicked && m_view->currentIndex().isValid())
        return;
    if (m_scanner && m_scanner->isScanning()) {
        m_followAfterScan = key;
        return;
    }
    if (m_lastManualScroll.isValid() && m_lastManualScroll.elapsed() < LeaveAloneMs)
        return;
    const int row = m_model->rowOfKey(key);
    if (row < 0 || m_model->isFading(row))
        return;
    const QModelIndex index = m_model->index(row, KeyTableModel::KeyColumn);
    m_view->scrollTo(index, QAbstractItemView::EnsureVisible);
    // A row inserted a moment ago lies past the scroll bar's range until the
    // view's delayed layout runs, and scrollTo() is clamped to that range:
    // lay out now and scroll again.
    if (!m_view->viewport()->rect().intersects(m_view->visualRect(index))) {
        m_view->doItemsLayout();
        m_view->scrollTo(index, QAbstractItemView::EnsureVisible);
    }
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
    // A string preview is only its first bytes (GETRANGE): say so, with the real size.
    if (preview.type == "string" && preview.totalItems >= 0) {
        title += tr(" · %1 bytes").arg(preview.totalItems);
        if (preview.totalItems > KeyScanner::PreviewBytes)
            title += tr(", first %1 shown").arg(KeyScanner::PreviewBytes);
    }
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
