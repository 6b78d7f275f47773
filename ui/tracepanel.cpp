// TracePanel: list on the left, sequence diagram on the right.
#include "tracepanel.h"

#include "productservice.h"
#include "tracediagram.h"
#include "tracelistmodel.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QItemSelectionModel>
#include <QScrollArea>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

TracePanel::TracePanel(ProductService *service, QWidget *parent)
    : QWidget(parent)
    , m_model(new TraceListModel(this))
    , m_view(new QTableView(this))
    , m_diagram(new TraceDiagram(this))
    , m_pin(new QToolButton(this))
{
    m_pin->setObjectName(QStringLiteral("tracePin"));
    m_pin->setCheckable(true);
    m_pin->setText(tr("Pin"));
    m_pin->setIcon(QIcon::fromTheme(QStringLiteral("window-pin")));
    m_pin->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_pin->setToolTip(tr("Keep the diagram on this operation; unpinned, it follows each new operation you start"));
    connect(m_pin, &QToolButton::toggled, this, [this](bool on) {
        m_pin->setText(on ? tr("Pinned") : tr("Pin"));
    });
    m_view->setObjectName(QStringLiteral("traceList"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    QHeaderView *h = m_view->horizontalHeader();
    h->setSectionResizeMode(TraceListModel::OperationColumn, QHeaderView::Stretch);
    h->setSectionResizeMode(TraceListModel::IdColumn, QHeaderView::ResizeToContents);
    // Outcome, strategy and time get the width their longest possible text
    // needs (from the font, so zoom follows); a narrow panel (presentation
    // zoom) narrows the strategy column, which the diagram names too, before
    // the operation names get shorter than "adjust-price #99". Never a figure.
    h->setSectionResizeMode(TraceListModel::OutcomeColumn, QHeaderView::Fixed);
    h->setSectionResizeMode(TraceListModel::TimeColumn, QHeaderView::Fixed);
    h->setSectionResizeMode(TraceListModel::StrategyColumn, QHeaderView::Fixed);
    h->setHighlightSections(false);
    m_view->viewport()->installEventFilter(this); // fitColumns() on every width change
    fitColumns();

    auto *scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("traceDiagramScroll"));
    scroll->setWidget(m_diagram);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::StyledPanel);

    auto *copy = new QAction(tr("&Copy Trace as Text"), this);
    copy->setObjectName(QStringLiteral("traceCopy"));
    // Ctrl+C belongs to Edit > Copy, which copies this text when the focus is here.
    connect(copy, &QAction::triggered, this, [this] {
        if (m_diagram->hasTrace())
            QApplication::clipboard()->setText(m_diagram->trace().toText());
    });
    addAction(copy);
    setContextMenuPolicy(Qt::ActionsContextMenu);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("traceSplitter"));
    split->addWidget(m_view);
    split->addWidget(scroll);
    // About six operations in the list at 1280x800; the diagram keeps the
    // rest (a typical operation has three to eight steps).
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    split->setSizes({ 150, 300 });
    split->setChildrenCollapsible(false);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addStretch(1);
    bar->addWidget(m_pin);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(split);

    connect(
        m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
            if (!current.isValid() || m_selecting)
                return;
            m_diagram->setTrace(m_model->traceAt(current.row()));
        });
    if (service)
        connect(service, &ProductService::traceRecorded, this, &TracePanel::addTrace);
}

void TracePanel::fitColumns()
{
    const QFontMetrics fm(font());
    QFont bold = font();
    bold.setBold(true);
    const QFontMetrics boldFm(bold);
    // Cell padding on both sides, as the style draws it.
    const int pad = 2 * (m_view->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, m_view) + 1) + 8;
    const auto widest = [](const QFontMetrics &m, const QStringList &texts) {
        int w = 0;
        for (const QString &t : texts)
            w = std::max(w, m.horizontalAdvance(t));
        return w;
    };
    QStringList outcomes;
    for (int o = int(TraceOutcome::Ok); o <= int(TraceOutcome::Error); ++o)
        outcomes << traceOutcomeName(TraceOutcome(o));
    QHeaderView *h = m_view->horizontalHeader();
    const QFontMetrics headFm(font());
    const auto headerWidth = [&](int column) {
        return headFm.horizontalAdvance(m_model->headerData(column, Qt::Horizontal).toString()) + pad + 12;
    };
    const int outcome = std::max(headerWidth(TraceListModel::OutcomeColumn), widest(boldFm, outcomes) + pad);
    // Up to 999,999 ms (a reconnect can take a minute, a stuck call longer).
    const int time = std::max(
        headerWidth(TraceListModel::TimeColumn), fm.horizontalAdvance(TraceListModel::formatMicros(999'999'000)) + pad);
    int strategy = std::max(headerWidth(TraceListModel::StrategyColumn), widest(fm, strategyNames()) + pad);
    const int operationAtLeast = fm.horizontalAdvance(QStringLiteral("adjust-price #99")) + pad;
    const int available = m_view->viewport()->width() - h->sectionSize(TraceListModel::IdColumn);
    const int strategyAtLeast = fm.horizontalAdvance(QStringLiteral("write-…")) + pad;
    bool hideStrategy = false;
    if (m_view->viewport()->width() > 0 && outcome + strategy + time + operationAtLeast > available) {
        strategy = available - outcome - time - operationAtLeast;
        // Too narrow even for "write-…": the column goes (the diagram's
        // title names the strategy of the operation it shows).
        hideStrategy = strategy < strategyAtLeast;
    }
    h->setSectionHidden(TraceListModel::StrategyColumn, hideStrategy);
    h->resizeSection(TraceListModel::OutcomeColumn, outcome);
    if (!hideStrategy)
        h->resizeSection(TraceListModel::StrategyColumn, strategy);
    h->resizeSection(TraceListModel::TimeColumn, time);
}

bool TracePanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        fitColumns();
    return QWidget::eventFilter(watched, event);
}

void TracePanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        fitColumns();
}

bool TracePanel::isPinned() const
{
    return m_pin->isChecked();
}

void TracePanel::setPinned(bool pinned)
{
    m_pin->setChecked(pinned);
}

void TracePanel::addTrace(const OperationTrace &trace)
{
    // Keep the selection on the trace it was on when rows move under it.
    const quint64 shown = m_diagram->hasTrace() ? m_diagram->trace().id : 0;
    const int row = m_model->addTrace(trace);
    const bool follow = !isPinned() && (trace.isUserStarted() || !m_diagram->hasTrace());
    const int select = follow ? row : (shown > 0 ? m_model->rowOfId(shown) : -1);
    if (follow)
        m_diagram->setTrace(trace);
    if (select >= 0) {
        m_selecting = true;
        m_view->setCurrentIndex(m_model->index(select, TraceListModel::OperationColumn));
        m_selecting = false;
    }
}
