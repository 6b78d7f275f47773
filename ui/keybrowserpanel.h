// KeyBrowserPanel: the SCAN-based Redis key browser with live TTL countdowns.
//
// The backend's KeyScanner (its own connection) walks the keyspace in the
// background and fills this panel's KeyTableModel in batches; a progress line shows how far it got.
// Details (type, size, TTL) are fetched only for rows that are visible. A
// timer repaints the TTL column of the visible rows only; keyspace events
// re-sync TTLs and fade out keys that expire. Selecting a key shows a
// bounded preview of its value, with TTL editing: "Set TTL" (EXPIRE) and
// "Persist" (PERSIST) from the details area or the table's context menu. The
// row's TTL changes at once; each action is traced (KeyActions hands its
// trace to the service, which shows and counts it).
#pragma once

#include "keyactions.h"
#include "keyscanner.h"
#include "keyspaceevent.h"
#include "operationtrace.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

class KeyspaceWatcher;
class ProductService;
class KeyTableModel;
class QCheckBox;
class QLabel;
class QLineEdit;
class QMenu;
class QPushButton;
class QProgressBar;
class QTableView;
class QToolButton;
class QTreeWidget;

class KeyBrowserPanel final : public QWidget
{
    Q_OBJECT

public:
    /// Scans through scanner (again whenever it connects), edits TTLs through
    /// actions, follows the watcher's events; the service gives the key prefix.
    KeyBrowserPanel(KeyScanner *scanner, KeyActions *actions, KeyspaceWatcher *watcher, ProductService *service,
        QWidget *parent = nullptr);
    KeyTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    KeyScanner *scanner() const { return m_scanner; }

    /// Rescans with the filter field's pattern (the app's keys by default).
    void rescan();
    /// Selects the key (and shows its preview) if the browser holds it. Not
    /// a pick of the person's: new keys still come into view (see bringIntoView).
    bool selectKey(const QByteArray &key);
    /// The selected key, empty when none.
    QByteArray selectedKey() const { return m_previewKey; }
    KeyActions *keyActions() const { return m_actions; }
    QMenu *contextMenu() const { return m_menu; }

    /// EXPIRE on the selected key with the TTL field's text (validated).
    void setTtlOfSelected();
    /// PERSIST on the selected key.
    void persistSelected();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    explicit KeyBrowserPanel(QWidget *parent);
    void attach(KeyScanner *scanner, KeyActions *actions, KeyspaceWatcher *watcher, ProductService *service);
    void onEvents(const QList<KeyspaceEvent> &events);
    /// Brings a key that an event just added into view. While the product
    /// the person just worked on is fresh, only its key is followed.
    void followNewKey(const QList<QByteArray> &candidates);
    /// A finished operation a person started: its product's key is the one
    /// to show (now if listed, else when its event adds it).
    void followOperation(const OperationTrace &trace);
    /// Scrolls key into view unless the person is looking at something
    /// else (a selected key, a scroll of their own in the last seconds).
    void bringIntoView(const QByteArray &key);
    void onTick();
    void requestVisibleDetails();
    void showPreview(const KeyValuePreview &preview);
    QByteArray effectivePattern() const;
    void showActionResult(const KeyActionResult &result);
    void updateActionButtons();
    void showContextMenu(const QPoint &pos);
    /// Hides the size, then the type column when the key column would be too narrow.
    void fitColumns();
    /// After rows went: the selected key, if gone, leaves nothing selected.
    void keepSelectionOnLeave();
    void clearPreview();

    ProductService *m_service = nullptr;
    KeyScanner *m_scanner = nullptr;
    KeyTableModel *m_model;
    QTableView *m_view;
    QLineEdit *m_filter;
    QToolButton *m_rescan;
    QProgressBar *m_progress;
    QLabel *m_count;
    QTreeWidget *m_preview;
    QLabel *m_previewTitle;
    QLineEdit *m_ttlEdit;
    QPushButton *m_setTtl;
    QPushButton *m_persist;
    QLabel *m_actionStatus;
    QMenu *m_menu;
    KeyActions *m_actions = nullptr;
    QTimer m_tick;
    QByteArray m_previewKey;
    int m_detailsInFlight = 0;
    QElapsedTimer m_lastManualScroll; ///< invalid until the person scrolls
    /// The current row was chosen by the person (not set by Qt on focus):
    /// new keys then leave the view where it is.
    bool m_userPicked = false;
    QByteArray m_focusKey; ///< the key of the product last worked on
    QElapsedTimer m_focusSince;
    QByteArray m_followAfterScan; ///< a key to bring into view once the scan ends
    bool m_selectedLeaving = false; ///< the selected key's row is being removed
    bool m_rescanning = false; ///< rescan() is clearing the model
    int m_typeWidth = 0; ///< column widths from the font
    int m_sizeWidth = 0;
    int m_ttlWidth = 0;
    int m_keyWidth = 0; ///< what an ordinary app key needs
};
