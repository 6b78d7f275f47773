// EditActions: Find, Copy and the key browser's Delete Key.
#include "editactions.h"

#include "keyactions.h"
#include "keybrowserpanel.h"
#include "tracediagram.h"
#include "tracepanel.h"

#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDockWidget>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>

EditActions::EditActions(QWidget *window, QMenu *menu)
    : QObject(window)
    , m_window(window)
    , m_find(menu->addAction(tr("&Find Key…")))
    , m_copy(menu->addAction(tr("&Copy")))
    , m_deleteKey(new QAction(tr("&Delete Key…"), this))
{
    m_find->setObjectName(QStringLiteral("actionFind"));
    m_find->setShortcuts(QKeySequence::Find); // every key the platform binds to it
    m_find->setToolTip(tr("Filter the Redis keys by a pattern"));
    m_find->setEnabled(false);
    connect(m_find, &QAction::triggered, this, [this] {
        if (!m_keys)
            return;
        for (QWidget *w = m_keys->parentWidget(); w; w = w->parentWidget()) {
            if (auto *dock = qobject_cast<QDockWidget *>(w)) {
                dock->show();
                dock->raise(); // brings its tab to the front
                break;
            }
        }
        if (auto *filter = m_keys->findChild<QLineEdit *>(QStringLiteral("keyFilter"))) {
            filter->setFocus(Qt::ShortcutFocusReason);
            filter->selectAll();
        }
    });

    m_copy->setObjectName(QStringLiteral("actionCopy"));
    m_copy->setShortcuts(QKeySequence::Copy);
    m_copy->setToolTip(tr("Copy the selected rows, or the operation the trace shows"));
    connect(m_copy, &QAction::triggered, this, &EditActions::copyFocused);

    m_deleteKey->setObjectName(QStringLiteral("actionDeleteKey"));
    m_deleteKey->setShortcuts(QKeySequence::Delete);
    m_deleteKey->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_deleteKey->setToolTip(tr("Delete the selected key from Redis (DEL), after asking"));
    m_deleteKey->setEnabled(false);
    connect(m_deleteKey, &QAction::triggered, this, &EditActions::confirmDeleteSelectedKey);
}

void EditActions::attach(KeyBrowserPanel *keys, TracePanel *trace)
{
    m_keys = keys;
    m_trace = trace;
    m_find->setEnabled(keys != nullptr);
    if (!keys)
        return;
    // The panel's own action list (the shortcut's context) and the table's context menu.
    keys->addAction(m_deleteKey);
    keys->contextMenu()->addSeparator();
    keys->contextMenu()->addAction(m_deleteKey);
    m_deleteKey->setEnabled(keys->keyActions() != nullptr);
}

bool EditActions::copyFocused()
{
    QWidget *focus = QApplication::focusWidget();
    if (!focus || !m_window->isAncestorOf(focus))
        return false;
    if (m_trace && (m_trace == focus || m_trace->isAncestorOf(focus))) {
        if (!m_trace->diagram()->hasTrace())
            return false;
        QApplication::clipboard()->setText(m_trace->diagram()->trace().toText());
        return true;
    }
    auto *view = qobject_cast<QAbstractItemView *>(focus);
    if (!view || !view->model() || !view->selectionModel())
        return false;
    QModelIndexList rows = view->selectionModel()->selectedRows();
    if (rows.isEmpty() && view->currentIndex().isValid())
        rows << view->currentIndex().siblingAtColumn(0);
    if (rows.isEmpty())
        return false;
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    const QAbstractItemModel *model = view->model();
    QStringList lines;
    for (const QModelIndex &row : std::as_const(rows)) {
        QStringList cells;
        for (int column = 0; column < model->columnCount(row.parent()); ++column)
            cells << model->index(row.row(), column, row.parent()).data(Qt::DisplayRole).toString();
        lines << cells.join(QLatin1Char('\t'));
    }
    QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
    return true;
}

void EditActions::confirmDeleteSelectedKey()
{
    if (!m_keys || !m_keys->keyActions())
        return;
    const QByteArray key = m_keys->selectedKey();
    if (key.isEmpty())
        return;
    auto *box = new QMessageBox(QMessageBox::Question, tr("Delete Key"),
        tr("Delete <b>%1</b> from Redis?").arg(QString::fromUtf8(key).toHtmlEscaped()), QMessageBox::Cancel, m_window);
    box->setObjectName(QStringLiteral("deleteKeyConfirm"));
    box->setInformativeText(tr("DEL cannot be undone. A deleted product key is read from SQLite again on the next "
                               "get; keys holding write-behind writes not yet in SQLite are refused."));
    QPushButton *remove = box->addButton(tr("Delete"), QMessageBox::DestructiveRole);
    remove->setObjectName(QStringLiteral("deleteKeyConfirmButton"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    QPointer<KeyActions> actions = m_keys->keyActions();
    connect(box, &QMessageBox::buttonClicked, this, [remove, actions, key](QAbstractButton *clicked) {
        if (clicked == remove && actions)
            actions->remove(key);
    });
    box->open(); // no nested event loop: the window keeps running
}
