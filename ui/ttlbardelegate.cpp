// TtlBarDelegate: bar colour moves from green to amber to red as a key nears expiry.
#include "ttlbardelegate.h"

#include "keytablemodel.h"
#include "theme.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>

TtlBarDelegate::TtlBarDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{ }

void TtlBarDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const double opacity = index.data(KeyTableModel::OpacityRole).toDouble();
    painter->save();
    painter->setOpacity(opacity);
    if (index.column() != KeyTableModel::TtlColumn) {
        QStyleOptionViewItem opt(option);
        if (opacity < 1.0)
            opt.font.setStrikeOut(true);
        QStyledItemDelegate::paint(painter, opt, index);
        painter->restore();
        return;
    }

    QStyleOptionViewItem opt(option);
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    // Background and selection only; the bar and the number are ours.
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);

    const double fraction = index.data(KeyTableModel::TtlFractionRole).toDouble();
    const qint64 remaining = index.data(KeyTableModel::TtlRemainingMsRole).toLongLong();
    const QRect r = option.rect.adjusted(4, 4, -4, -4);
    painter->setRenderHint(QPainter::Antialiasing);
    if (fraction >= 0.0) {
        QColor track = option.palette.color(QPalette::Mid);
        track.setAlphaF(0.25f);
        QPainterPath trackPath;
        trackPath.addRoundedRect(QRectF(r), 3, 3);
        painter->fillPath(trackPath, track);
        QColor fill = fraction > 0.5 ? Theme::outcomeColor(TraceOutcome::Hit)
            : fraction > 0.2         ? Theme::outcomeColor(TraceOutcome::Miss)
                                     : Theme::outcomeColor(TraceOutcome::Error);
        fill.setAlphaF(0.55f);
        QRectF bar(r);
        bar.setWidth(bar.width() * fraction);
        if (bar.width() > 0.5) {
            QPainterPath barPath;
            barPath.addRoundedRect(bar, 3, 3);
            painter->fillPath(barPath, fill);
        }
    }
    QFont f = option.font;
    if (remaining >= 0 && remaining < 5000)
        f.setBold(true);
    painter->setFont(f);
    const bool selected = option.state & QStyle::State_Selected;
    painter->setPen(selected  ? option.palette.color(QPalette::HighlightedText)
            : remaining == -1 ? Theme::muted()
                              : option.palette.color(QPalette::Text));
    painter->drawText(r.adjusted(4, 0, -4, 0), Qt::AlignRight | Qt::AlignVCenter, text);
    painter->restore();
}
