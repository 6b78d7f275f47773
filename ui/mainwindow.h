// MainWindow: the CacheLab dashboard's top-level window.
//
// Dock panels (products, editor, strategy, Redis keys, events, recent and
// most viewed products, trace, metrics, Bloom filter, change log, search)
// that the user can move, tab and hide; the layout is saved in QSettings and
// restored on the next start (1280×800 the first time, or less to fit the
// screen's available area, sized so the products table gets the height the
// strategy and editor do not need). Zoom, presentation mode and named
// layouts live in PresentationController.
// Tabbed docks never elide their titles; the short ones get a longer name
// in the View menu and a description as the tab's tooltip. Menus follow
// desktop conventions; the status bar shows where Redis is, its version,
// the strategy, the write-behind queue and degraded mode.
//
// The docks exist from the start (so a saved layout can be restored at
// once); the panels in them are built when the backend is ready, each with
// exactly the core objects it observes. Until then the panel getters
// return null.
#pragma once

#include "windowoptions.h"

#include <QMainWindow>

class Backend;
class BloomPanel;
class ChangeLogPanel;
class DemoScript;
class EditActions;
class EditorPanel;
class EventsPanel;
class ExportActions;
class KeyBrowserPanel;
class LabsPanel;
class MetricsPanel;
class MostViewedPanel;
class NotificationQuestion;
class PresentationController;
class ProductsPanel;
class QActionGroup;
class QDockWidget;
class QLabel;
class QTabBar;
class RecentPanel;
class SearchPanel;
class StrategyPanel;
class TracePanel;

class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    MainWindow(Backend *backend, const WindowOptions &options, QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Renders the whole window into a PNG file.
    bool saveScreenshot(const QString &path);
    /// Puts every panel back where it starts on a first run.
    void resetLayout();
    /// The version saveState()/restoreState() use for layouts (saved ones too).
    static constexpr int LayoutStateVersion = 2; // 2: the Redis feature panels
    static constexpr int SampleProductCount = 500; ///< Cache → Add Sample Products
    PresentationController *presentation() const { return m_presentation; }

    ProductsPanel *productsPanel() const { return m_products; }
    EditorPanel *editorPanel() const { return m_editor; }
    StrategyPanel *strategyPanel() const { return m_strategy; }
    KeyBrowserPanel *keyBrowserPanel() const { return m_keys; }
    RecentPanel *recentPanel() const { return m_recent; }
    MostViewedPanel *mostViewedPanel() const { return m_mostViewed; }
    BloomPanel *bloomPanel() const { return m_bloom; }
    ChangeLogPanel *changeLogPanel() const { return m_changeLog; }
    SearchPanel *searchPanel() const { return m_search; }
    EventsPanel *eventsPanel() const { return m_events; }
    TracePanel *tracePanel() const { return m_trace; }
    MetricsPanel *metricsPanel() const { return m_metrics; }
    /// File > Export (charts, traces, events, metrics).
    ExportActions *exportActions() const { return m_exportActions; }
    /// Labs > ...: the Labs dock (made the first time), showing that lab
    /// (or the one shown last when name is empty).
    LabsPanel *showLabs(const QString &name = {});
    /// Edit > Find / Copy and the key browser's Delete Key.
    EditActions *editActions() const { return m_editActions; }

protected:
    void closeEvent(QCloseEvent *event) override;
    void childEvent(QChildEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    /// Cache → Reset Lesson Settings: strategy, TTL, DB latency and eviction back to the defaults.
    void resetLessonSettings();
    /// A dock with a placeholder until its panel exists. menuTitle: the View
    /// menu's name when the tab title is a short form.
    QDockWidget *addDock(
        const QString &title, const QString &objectName, const QString &menuTitle, const QString &description);
    /// Puts the panel into the dock named objectName, in the placeholder's place.
    void setPanel(const char *objectName, QWidget *panel);
    void createPanels();
    void setUpDockTabBar(QTabBar *bar);
    void createMenus();
    void applyDefaultSizes();
    void onReady();
    void updateStatus();
    void showAbout();
    void showShortcuts();
    void openConnectionDialog();
    void saveScreenshotAs();
    void showMessage(const QString &text);
    /// At most the screen's available area (the window opens on it).
    void fitToScreen();

    Backend *m_backend;
    WindowOptions m_options;
    ProductsPanel *m_products = nullptr;
    EditorPanel *m_editor = nullptr;
    StrategyPanel *m_strategy = nullptr;
    KeyBrowserPanel *m_keys = nullptr;
    RecentPanel *m_recent = nullptr;
    MostViewedPanel *m_mostViewed = nullptr;
    BloomPanel *m_bloom = nullptr;
    ChangeLogPanel *m_changeLog = nullptr;
    SearchPanel *m_search = nullptr;
    EventsPanel *m_events = nullptr;
    TracePanel *m_trace = nullptr;
    MetricsPanel *m_metrics = nullptr;
    QList<QDockWidget *> m_docks;
    QDockWidget *m_labsDock = nullptr; ///< not in m_docks: it floats, outside the lesson's layout
    LabsPanel *m_labs = nullptr;
    QActionGroup *m_strategyActions = nullptr;
    ExportActions *m_exportActions = nullptr;
    EditActions *m_editActions = nullptr;
    QLabel *m_connection;
    QLabel *m_strategyLabel;
    QLabel *m_queue;
    QAction *m_holdWriteBehind = nullptr; ///< Cache → Hold Write-Behind Worker, and its status bar button
    QLabel *m_degraded;
    DemoScript *m_demo = nullptr;
    PresentationController *m_presentation = nullptr;
    NotificationQuestion *m_notificationQuestion = nullptr;
    QString m_serverVersion;
    QByteArray m_pendingState; ///< saved layout, restored after the default sizes
    QByteArray m_restoredState; ///< what the first show restored (again once the panels exist)
    bool m_shownOnce = false;
    bool m_dark = false; ///< the palette Theme::apply() last saw
};
