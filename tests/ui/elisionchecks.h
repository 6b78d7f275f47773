// ElisionChecks: finds text the window shows cut off.
//
// Each function returns one line per problem (empty: nothing cut), so a
// test can print them all at once:
// - dock titles: the title text against the title bar's text rectangle
//   (the style's own SE_DockWidgetTitleBarText, bold metrics as the style
//   sheet makes titles semi-bold); tabbed docks: every tab inside its bar;
// - chart texts: Qt Charts elides titles, legend entries and axis labels
//   with "…" or "..." when they do not fit, so any drawn text item holding
//   one is a cut text, and the title must be drawn whole;
// - buttons: the text's QFontMetrics::horizontalAdvance (plus the icon)
//   against the button's width.
#pragma once

#include <QAbstractButton>
#include <QChart>
#include <QChartView>
#include <QDockWidget>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QMainWindow>
#include <QStyle>
#include <QStyleOptionDockWidget>
#include <QTabBar>
#include <QToolButton>

namespace ElisionChecks {

// The style option a docked QDockWidget paints its title bar with, built from
// public state: QDockWidget::initStyleOption is protected, and the docks are
// plain QDockWidgets (casting one to a subclass to reach it is undefined
// behaviour, which UBSan reports). A docked title bar spans the dock's whole
// width (no frame while docked) and ends where the dock's content begins.
inline QStyleOptionDockWidget dockTitleOption(QDockWidget *dock)
{
    QStyleOptionDockWidget option;
    option.initFrom(dock);
    const int height = dock->widget() ? dock->widget()->geometry().top() : dock->fontMetrics().height();
    option.rect = QRect(0, 0, dock->width(), height);
    option.title = dock->windowTitle();
    option.closable = dock->features().testFlag(QDockWidget::DockWidgetClosable);
    option.movable = dock->features().testFlag(QDockWidget::DockWidgetMovable);
    option.floatable = dock->features().testFlag(QDockWidget::DockWidgetFloatable);
    option.verticalTitleBar = dock->features().testFlag(QDockWidget::DockWidgetVerticalTitleBar);
    return option;
}

inline QStringList dockTitles(QMainWindow *window)
{
    QStringList problems;
    for (QDockWidget *dock : window->findChildren<QDockWidget *>()) {
        if (!dock->isVisible() || !window->tabifiedDockWidgets(dock).isEmpty())
            continue; // tabbed docks show their titles as tabs, checked below
        const QStyleOptionDockWidget option = dockTitleOption(dock);
        const QRect text = dock->style()->subElementRect(QStyle::SE_DockWidgetTitleBarText, &option, dock);
        QFont bold = dock->font();
        bold.setBold(true);
        const int needed = QFontMetrics(bold).horizontalAdvance(dock->windowTitle());
        if (needed > text.width())
            problems << QStringLiteral("dock title \"%1\" needs %2 px, has %3")
                            .arg(dock->windowTitle())
                            .arg(needed)
                            .arg(text.width());
    }
    for (QTabBar *bar : window->findChildren<QTabBar *>(Qt::FindDirectChildrenOnly)) {
        if (!bar->isVisible())
            continue;
        for (int i = 0; i < bar->count(); ++i) {
            const QRect tab = bar->tabRect(i);
            if (!bar->rect().contains(tab) || bar->fontMetrics().horizontalAdvance(bar->tabText(i)) >= tab.width())
                problems << QStringLiteral("tab \"%1\" at %2..%3 in a bar %4 wide")
                                .arg(bar->tabText(i))
                                .arg(tab.left())
                                .arg(tab.right())
                                .arg(bar->width());
        }
    }
    return problems;
}

inline QStringList chartTexts(QWidget *root)
{
    QStringList problems;
    for (QChartView *view : root->findChildren<QChartView *>()) {
        if (!view->isVisible())
            continue;
        QStringList drawn;
        for (QGraphicsItem *item : view->scene()->items()) {
            auto *text = qgraphicsitem_cast<QGraphicsTextItem *>(item);
            if (!text || !text->isVisible())
                continue;
            const QString plain = text->toPlainText();
            drawn << plain;
            if (plain.contains(QChar(0x2026)) || plain.contains(QStringLiteral("...")))
                problems << QStringLiteral("%1: \"%2\" is cut").arg(view->objectName(), plain);
        }
        const QString title = view->chart()->title();
        if (!title.isEmpty() && !drawn.contains(title))
            problems << QStringLiteral("%1: title \"%2\" not drawn whole (drawn: %3)")
                            .arg(view->objectName(), title, drawn.join(u'|'));
    }
    return problems;
}

inline QStringList buttonTexts(QWidget *root)
{
    QStringList problems;
    for (QAbstractButton *button : root->findChildren<QAbstractButton *>()) {
        if (!button->isVisible() || button->text().isEmpty() || button->inherits("QTabBar"))
            continue;
        if (auto *tool = qobject_cast<QToolButton *>(button); tool && tool->toolButtonStyle() == Qt::ToolButtonIconOnly)
            continue;
        QString text = button->text();
        text.replace(QStringLiteral("&&"), QStringLiteral("\x01")).remove(QLatin1Char('&'));
        text.replace(QLatin1Char('\x01'), QLatin1Char('&'));
        int needed = button->fontMetrics().horizontalAdvance(text);
        if (!button->icon().isNull())
            needed += button->iconSize().width() + 4;
        if (needed > button->width())
            problems << QStringLiteral("button \"%1\" (%2) needs %3 px, has %4")
                            .arg(text, button->objectName())
                            .arg(needed)
                            .arg(button->width());
    }
    return problems;
}

} // namespace ElisionChecks
