// ChangeLogPanel: XREVRANGE into a tree, a header from XLEN / XINFO GROUPS.
#include "changelogpanel.h"

#include "cachekeys.h"
#include "changestream.h"
#include "fontfollow.h"
#include "productservice.h"
#include "theme.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace {
QColor opColor(const QString &op)
{
    if (op == QLatin1String("created"))
        return Theme::outcomeColor(TraceOutcome::Hit);
    if (op == QLatin1String("deleted"))
        return Theme::outcomeColor(TraceOutcome::Error);
    return Theme::outcomeColor(TraceOutcome::Fill);
}
} // namespace

ChangeLogPanel::ChangeLogPanel(ChangeStream *stream, ProductService *service, QWidget *parent)
    : QWidget(parent)
    , m_header(new QLabel(this))
    , m_list(new QTreeWidget(this))
{
    m_header->setObjectName(QStringLiteral("changeLogHeader"));
    m_header->setWordWrap(true);
    m_header->setText(tr("Waiting for the change log…"));

    m_list->setObjectName(QStringLiteral("changeLogList"));
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setAlternatingRowColors(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setHeaderLabels(
        { tr("Time"), tr("Op"), tr("Id"), tr("Version"), tr("Origin"), tr("Strategy"), tr("Applied here") });
    m_list->header()->setStretchLastSection(true);
    // Narrow columns sized from their widest usual text, so at 1280x800 the
    // origin shows too; strategy and "applied here" are a scroll away.
    FontFollow::follow(m_list, [this] {
        const QFontMetrics fm = m_list->fontMetrics();
        QFont bold = m_list->font();
        bold.setBold(true);
        QHeaderView *h = m_list->header();
        h->resizeSection(TimeColumn, fm.horizontalAdvance(QStringLiteral("00:00:00.000")) + 16);
        h->resizeSection(OpColumn, QFontMetrics(bold).horizontalAdvance(QStringLiteral("updated")) + 16);
        h->resizeSection(IdColumn, fm.horizontalAdvance(QStringLiteral("00000")) + 16);
        h->resizeSection(VersionColumn, fm.horizontalAdvance(tr("Version")) + 16);
        h->resizeSection(OriginColumn, fm.horizontalAdvance(tr("this window")) + 16);
        h->resizeSection(StrategyColumn, fm.horizontalAdvance(QStringLiteral("write-behind, queued")) + 16);
    });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_header);
    layout->addWidget(m_list, 1);

    m_throttle.setSingleShot(true);
    m_throttle.setInterval(MinRefreshIntervalMs);
    connect(&m_throttle, &QTimer::timeout, this, [this] {
        if (!m_dirty)
            return;
        m_dirty = false;
        refreshNow();
        m_throttle.start();
    });

    if (stream && service)
        attach(stream, service);
    else
        m_header->setText(tr("The change log is turned off for this window."));
}

void ChangeLogPanel::attach(ChangeStream *stream, ProductService *service)
{
    m_stream = stream;
    m_service = service;
    connect(stream, &ChangeStream::entryAppended, this, &ChangeLogPanel::requestRefresh);
    connect(stream, &ChangeStream::entriesReceived, this, &ChangeLogPanel::requestRefresh);
    connect(stream, &ChangeStream::readingChanged, this, &ChangeLogPanel::requestRefresh);
    // refreshInfo() itself emits statsChanged(): only the header follows it.
    connect(stream, &ChangeStream::statsChanged, this, &ChangeLogPanel::updateHeader);
    connect(stream, &ChangeStream::errorOccurred, this, [this](const QString &message) {
        m_error = message;
        updateHeader();
    });
    connect(service, &ProductService::cacheAvailabilityChanged, this, [this](bool available) {
        if (available)
            requestRefresh();
        else
            updateHeader();
    });
    requestRefresh();
}

void ChangeLogPanel::requestRefresh()
{
    if (!m_stream)
        return;
    if (m_throttle.isActive()) {
        m_dirty = true;
        return;
    }
    refreshNow();
    m_throttle.start();
}

void ChangeLogPanel::refreshNow()
{
    if (!m_stream || !m_service->isCacheAvailable()) {
        updateHeader();
        return;
    }
    m_stream->refreshInfo();
    m_stream->recentEntries(
        MaxRows, this, [this](const QList<ChangeEntry> &entries, const QString &error) { render(entries, error); });
}

void ChangeLogPanel::render(const QList<ChangeEntry> &entries, const QString &error)
{
    if (!error.isEmpty()) {
        m_error = error;
        updateHeader();
        return;
    }
    m_error.clear();
    const QString own = m_service->instanceId();
    m_list->clear();
    QList<QTreeWidgetItem *> items;
    items.reserve(entries.size());
    for (const ChangeEntry &e : entries) {
        auto *item = new QTreeWidgetItem;
        item->setText(TimeColumn, QDateTime::fromMSecsSinceEpoch(e.timestamp).toString(QStringLiteral("HH:mm:ss.zzz")));
        item->setText(OpColumn, e.op);
        item->setForeground(OpColumn, opColor(e.op));
        QFont bold = item->font(OpColumn);
        bold.setBold(true);
        item->setFont(OpColumn, bold);
        item->setText(IdColumn, QString::number(e.id));
        item->setText(VersionColumn, e.isDelete() ? QStringLiteral("–") : QString::number(e.version));
        const bool ours = e.origin == own;
        item->setText(OriginColumn,
            ours ? tr("this window")
                 : (e.prefix.isEmpty() ? e.origin.left(8) : tr("%1 (prefix %2)").arg(e.origin.left(8), e.prefix)));
        item->setText(StrategyColumn, e.queued ? tr("%1, queued").arg(e.strategy) : e.strategy);
        if (e.appliedHere) {
            item->setText(AppliedColumn, tr("✓ dropped our copy"));
            item->setForeground(AppliedColumn, Theme::outcomeColor(TraceOutcome::Invalidate));
        } else if (!ours && e.prefix == m_service->settings().keyPrefix) {
            item->setText(AppliedColumn, tr("same keys: nothing to do"));
            item->setForeground(AppliedColumn, Theme::muted());
        }
        if (ours) {
            for (int c = 0; c < m_list->columnCount(); ++c) {
                if (c != OpColumn && c != AppliedColumn)
                    item->setForeground(c, Theme::muted());
            }
        }
        item->setToolTip(OriginColumn,
            tr("stream id %1\ninstance %2\nkey prefix \"%3\"")
                .arg(QString::fromLatin1(e.streamId), e.origin, e.prefix));
        items << item;
    }
    m_list->addTopLevelItems(items);
    updateHeader();
}

void ChangeLogPanel::updateHeader()
{
    if (!m_stream)
        return;
    const ChangeStreamStats s = m_stream->stats();
    const auto known = [](qint64 v) { return v < 0 ? QStringLiteral("?") : QString::number(v); };
    QString text = tr("%1: %2 entries · group %3: lag %4, pending %5 · applied here %6, acknowledged %7")
                       .arg(QString::fromUtf8(CacheKeys::changeStream()), known(s.length), m_stream->groupName(),
                           known(s.lag), known(s.pending))
                       .arg(s.applied)
                       .arg(s.acked);
    if (s.otherDatabase > 0)
        text += tr(" · %1 from another database skipped").arg(s.otherDatabase);
    if (s.applyFailures > 0)
        text += tr(" · %1 failed applies, %2 given up").arg(s.applyFailures).arg(s.givenUp);
    if (!m_service->isCacheAvailable())
        text += tr(" · Redis unavailable: reading paused, resumes on reconnect");
    else if (!m_stream->isReading())
        text += tr(" · not reading (waiting for the group)");
    if (!m_error.isEmpty())
        text += QLatin1Char('\n') + m_error;
    // Kept in the stats: a later successful refresh clears m_error, this stays.
    if (!s.lastGivenUp.isEmpty() && s.lastGivenUp != m_error)
        text += QLatin1Char('\n') + s.lastGivenUp;
    m_header->setText(text);
}
