// ShortcutsDialog: Help > Keyboard Shortcuts, a table of every shortcut the
// window has, read from its actions and buttons when the dialog opens, so
// it lists what really works and cannot go stale.
//
// collect() walks every QAction under the window (menus, panels, context
// menus) and every button with a shortcut of its own (mnemonics such as
// "&Get" are left out: the underlined letter already shows them). Each entry
// says where the shortcut works: a menu's name, or the panel whose focus it
// needs.
#pragma once

#include <QDialog>
#include <QKeySequence>
#include <QList>

class QObject;
class QTableWidget;

struct ShortcutEntry final
{
    QString name; ///< the action's text without mnemonics
    QList<QKeySequence> keys; ///< all of the owner's, in its order
    QString where; ///< "File menu", "Redis keys panel", ...
    QObject *owner = nullptr; ///< the QAction or the button
};

class ShortcutsDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit ShortcutsDialog(QWidget *window, QWidget *parent = nullptr);

    /// Every shortcut under window, one entry per owner: the menu bar's
    /// menus in its order, then the panels; within each, the menu's order.
    static QList<ShortcutEntry> collect(const QWidget *window);
    QTableWidget *table() const { return m_table; }

private:
    QTableWidget *m_table;
};
