// ShortcutsDialog: actions and buttons -> (name, keys, where) rows.
#include "shortcutsdialog.h"

#include "actiontext.h"

#include <QAbstractButton>
#include <QAction>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QTableWidget>
#include <QVBoxLayout>

namespace {

/// The dock title of the panel w lives in, empty outside docks.
QString panelOf(const QWidget *w)
{
    for (; w; w = w->parentWidget()) {
        if (auto *dock = qobject_cast<const QDockWidget *>(w))
            return dock->windowTitle();
    }
    return {};
}

QString whereOf(const QAction *action)
{
    // A menu of the menu bar names the place best; a context menu or the
    // widget of a panel names the panel.
    QString menuTitle;
    QString panel;
    for (QObject *o : action->associatedObjects()) {
        auto *w = qobject_cast<QWidget *>(o);
        if (!w)
            continue;
        if (const QString p = panelOf(w); !p.isEmpty()) {
            if (panel.isEmpty())
                panel = p;
        } else if (auto *menu = qobject_cast<QMenu *>(w); menu && menuTitle.isEmpty()) {
            menuTitle = withoutMnemonics(menu->title());
        }
    }
    if (!menuTitle.isEmpty())
        return ShortcutsDialog::tr("%1 menu").arg(menuTitle);
    if (panel.isEmpty())
        panel = panelOf(qobject_cast<const QWidget *>(action->parent()));
    if (panel.isEmpty())
        return ShortcutsDialog::tr("Window");
    return ShortcutsDialog::tr("%1 panel").arg(panel);
}

} // namespace

QList<ShortcutEntry> ShortcutsDialog::collect(const QWidget *window)
{
    QList<ShortcutEntry> out;
    const QList<QAction *> actions = window->findChildren<QAction *>();
    for (QAction *a : actions) {
        QList<QKeySequence> keys = a->shortcuts();
        keys.removeAll(QKeySequence());
        if (!keys.isEmpty())
            out.append({ actionText(a), keys, whereOf(a), a });
    }
    const QList<QAbstractButton *> buttons = window->findChildren<QAbstractButton *>();
    for (QAbstractButton *b : buttons) {
        const QKeySequence keys = b->shortcut();
        if (keys.isEmpty() || keys == QKeySequence::mnemonic(b->text()))
            continue;
        const QString panel = panelOf(b);
        out.append(
            { withoutMnemonics(b->text()), { keys }, panel.isEmpty() ? tr("Window") : tr("%1 panel").arg(panel), b });
    }
    // Menus in the menu bar's order, then panels by name; within a place,
    // the order the window made them (a menu's own order).
    QHash<QString, int> rank;
    if (const auto *bar = window->findChild<QMenuBar *>()) {
        const QList<QAction *> menus = bar->actions();
        for (int i = 0; i < menus.size(); ++i)
            rank.insert(tr("%1 menu").arg(withoutMnemonics(menus.at(i)->text())), i);
    }
    std::stable_sort(out.begin(), out.end(), [&rank](const ShortcutEntry &x, const ShortcutEntry &y) {
        const int rx = rank.value(x.where, int(rank.size()));
        const int ry = rank.value(y.where, int(rank.size()));
        return rx != ry ? rx < ry : (rx == rank.size() && x.where < y.where);
    });
    return out;
}

ShortcutsDialog::ShortcutsDialog(QWidget *window, QWidget *parent)
    : QDialog(parent)
    , m_table(new QTableWidget(this))
{
    setObjectName(QStringLiteral("shortcutsDialog"));
    setWindowTitle(tr("Keyboard Shortcuts"));
    const QList<ShortcutEntry> entries = collect(window);
    m_table->setObjectName(QStringLiteral("shortcutsTable"));
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({ tr("Shortcut"), tr("Action"), tr("Where") });
    m_table->setRowCount(int(entries.size()));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    for (int row = 0; row < entries.size(); ++row) {
        const ShortcutEntry &e = entries.at(row);
        QStringList names;
        for (const QKeySequence &k : e.keys)
            names << k.toString(QKeySequence::NativeText);
        auto *keys = new QTableWidgetItem(names.join(QStringLiteral(", ")));
        QFont bold = keys->font();
        bold.setBold(true);
        keys->setFont(bold);
        m_table->setItem(row, 0, keys);
        m_table->setItem(row, 1, new QTableWidgetItem(e.name));
        m_table->setItem(row, 2, new QTableWidgetItem(e.where));
        if (auto *a = qobject_cast<QAction *>(e.owner); a && !a->toolTip().isEmpty())
            m_table->item(row, 1)->setToolTip(a->toolTip());
    }
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setStretchLastSection(true);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table);
    layout->addWidget(buttons);
    int width = m_table->verticalHeader()->width() + 4 * m_table->frameWidth();
    for (int c = 0; c < m_table->columnCount(); ++c)
        width += m_table->columnWidth(c);
    resize(std::max(width + 40, 480), std::min(720, 120 + m_table->rowCount() * m_table->rowHeight(0)));
}
