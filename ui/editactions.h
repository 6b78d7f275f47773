// EditActions: the Edit menu's standard actions, each the only owner of its
// shortcut in the window.
//
// - Find (QKeySequence::Find) shows the Redis keys panel and puts the focus
//   in its pattern field.
// - Copy (QKeySequence::Copy) copies what has the focus: in the Trace panel
//   the operation it shows, as text; in any other table or list its selected
//   rows, tab-separated. (Text fields handle Ctrl+C themselves first.)
// - Delete Key (QKeySequence::Delete) belongs to the Redis keys panel only
//   (it is active while the focus is there, and on the table's context
//   menu): it asks first, then DELs the selected key through KeyActions,
//   which refuses keys whose loss would drop unflushed write-behind writes.
//   The question is a window-modal box opened without a nested event loop;
//   its objectName is "deleteKeyConfirm".
#pragma once

#include <QObject>
#include <QPointer>

class KeyBrowserPanel;
class QAction;
class QMenu;
class QWidget;
class TracePanel;

class EditActions final : public QObject
{
    Q_OBJECT

public:
    /// Adds Find and Copy to menu; window is where Copy looks for the focus.
    EditActions(QWidget *window, QMenu *menu);

    /// The panels exist: Find and Copy reach them, Delete Key joins the key browser.
    void attach(KeyBrowserPanel *keys, TracePanel *trace);

    QAction *findAction() const { return m_find; }
    QAction *copyAction() const { return m_copy; }
    QAction *deleteKeyAction() const { return m_deleteKey; }

    /// Copies what the focused panel shows (see above); false when nothing did.
    bool copyFocused();
    /// Asks whether to delete the key browser's selected key (no-op without one).
    void confirmDeleteSelectedKey();

private:
    QWidget *m_window;
    QAction *m_find;
    QAction *m_copy;
    QAction *m_deleteKey;
    QPointer<KeyBrowserPanel> m_keys;
    QPointer<TracePanel> m_trace;
};
