// EventsPanel: batches in, counters always, rows unless paused.
#include "eventspanel.h"

#include "eventlogmodel.h"
#include "fontfollow.h"
#include "keyspacewatcher.h"
#include "theme.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QStyle>
#include <QTableView>
#include <QTime>
#include <QToolButton>
#include <QVBoxLayout>

EventsPanel::EventsPanel(KeyspaceWatcher *watcher, QWidget *parent)
    : QWidget(parent)
    , m_model(new EventLogModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_view(new QTableView(this))
    , m_filter(new QLineEdit(this))
    , m_pause(new QToolButton(this))
    , m_clear(new QToolButton(this))
    , m_counters(new QLabel(this))
    , m_gapNotice(new QLabel(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_view->setObjectName(QStringLiteral("eventsTable"));
    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    QHeaderView *h = m_view->horizontalHeader();
    h->setSectionResizeMode(EventLogModel::KeyColumn, QHeaderView::Stretch);
    h->setHighlightSections(false);
    // Widths from the widest text each column shows; again when zoomed.
    FontFollow::follow(m_view, [this] {
        QHeaderView *h = m_view->horizontalHeader();
        m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
        h->resizeSection(
            EventLogModel::TimeColumn, m_view->fontMetrics().horizontalAdvance(QStringLiteral("00:00:00.000")) + 12);
        QFont bold = m_view->font();
        bold.setBold(true);
        h->resizeSection(
            EventLogModel::EventColumn, QFontMetrics(bold).horizontalAdvance(QStringLiteral("rename_from")) + 12);
    });

    m_filter->setObjectName(QStringLiteral("eventsFilter"));
    m_filter->setPlaceholderText(tr("Filter by key or event"));
    m_filter->setClearButtonEnabled(true);
    m_pause->setObjectName(QStringLiteral("eventsPause"));
    m_pause->setCheckable(true);
    m_pause->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
    m_pause->setToolTip(tr("Pause the list (counters keep counting)"));
    m_clear->setObjectName(QStringLiteral("eventsClear"));
    m_clear->setIcon(style()->standardIcon(QStyle::SP_DialogResetButton));
    m_clear->setToolTip(tr("Clear the list and the counters"));
    m_counters->setObjectName(QStringLiteral("eventCounters"));
    m_counters->setTextFormat(Qt::RichText);
    m_counters->setWordWrap(true);

    // Shown when the event connection came back after a drop (server
    // restart, CLIENT KILL, output-buffer limit): Redis does not replay
    // notifications, so the list and counters have a hole in them.
    m_gapNotice->setObjectName(QStringLiteral("eventsGapNotice"));
    m_gapNotice->setWordWrap(true);
    m_gapNotice->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: black; padding: 3px; border-radius: 3px; }")
            .arg(QColor(255, 214, 102).name()));
    m_gapNotice->hide();

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_pause);
    bar->addWidget(m_clear);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addLayout(bar);
    layout->addWidget(m_gapNotice);
    layout->addWidget(m_counters);
    layout->addWidget(m_view, 1);

    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_clear, &QToolButton::clicked, this, [this] {
        m_model->clear();
        m_gapNotice->hide();
        m_counts.clear();
        m_total = 0;
        updateCounters();
    });
    connect(m_pause, &QToolButton::toggled, this, [this](bool paused) {
        m_pause->setIcon(style()->standardIcon(paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    });
    updateCounters();

    connect(watcher, &KeyspaceWatcher::eventsBatched, this, &EventsPanel::addEvents);
    connect(watcher, &KeyspaceWatcher::subscribed, this, [this] {
        if (!m_subscribedOnce) {
            m_subscribedOnce = true;
            return;
        }
        m_gapNotice->setText(tr("The event connection was lost and came back at %1. Events in between "
                                "may have been missed: the counters and the list have a gap.")
                                 .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
        m_gapNotice->show();
    });
}

bool EventsPanel::gapNoticeVisible() const
{
    return !m_gapNotice->isHidden();
}

void EventsPanel::addEvents(const QList<KeyspaceEvent> &events)
{
    if (events.isEmpty())
        return;
    for (const KeyspaceEvent &e : events)
        ++m_counts[e.event];
    m_total += quint64(events.size());
    updateCounters();
    if (m_pause->isChecked())
        return;
    QScrollBar *bar = m_view->verticalScrollBar();
    const bool follow = bar->value() >= bar->maximum() - 2;
    m_model->appendEvents(events);
    if (follow)
        m_view->scrollToBottom();
}

void EventsPanel::updateCounters()
{
    if (m_counts.isEmpty()) {
        m_counters->setText(
            tr("<span style='color:%1'>No events yet. Keys that are set, expire or get evicted appear here.</span>")
                .arg(Theme::muted().name(QColor::HexArgb)));
        return;
    }
    QStringList chips;
    for (auto it = m_counts.cbegin(); it != m_counts.cend(); ++it)
        chips << QStringLiteral("<span style='white-space:nowrap'><span style='color:%1'>●</span>&nbsp;%2&nbsp;<b>%3</b></span>")
                     // A non-breaking hyphen: "xgroup-createconsumer" stays whole.
                     .arg(Theme::eventColor(it.key()).name(), it.key().toHtmlEscaped().replace(QLatin1Char('-'), QChar(0x2011)))
                     .arg(it.value());
    m_counters->setText(chips.join(QStringLiteral(" &nbsp; ")));
}
