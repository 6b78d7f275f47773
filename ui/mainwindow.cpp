// MainWindow: docks, menus, status bar and start-up wiring.
#include "mainwindow.h"

#include "actiontext.h"
#include "backend.h"
#include "bloompanel.h"
#include "changelogpanel.h"
#include "demoscript.h"
#include "editactions.h"
#include "editorpanel.h"
#include "eventspanel.h"
#include "exportactions.h"
#include "infopoller.h"
#include "keybrowserpanel.h"
#include "lab.h"
#include "labregistry.h"
#include "labspanel.h"
#include "keyspacewatcher.h"
#include "metricspanel.h"
#include "mostviewedpanel.h"
#include "notificationquestion.h"
#include "presentationcontroller.h"
#include "productrepository.h"
#include "productsdocument.h"
#include "productservice.h"
#include "sampleproducts.h"
#include "productspanel.h"
#include "recentpanel.h"
#include "redisclient.h"
#include "searchpanel.h"
#include "strategypanel.h"
#include "writebehindqueue.h"
#include "theme.h"
#include "tracepanel.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QScrollArea>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTabBar>
#include <QToolButton>
#include <QToolTip>

namespace {
constexpr int StateVersion = MainWindow::LayoutStateVersion;
constexpr char DescriptionProperty[] = "panelDescription";
constexpr char ScrollsProperty[] = "scrollsInDock";
} // namespace

MainWindow::MainWindow(Backend *backend, const WindowOptions &options, QWidget *parent)
    : QMainWindow(parent)
    , m_backend(backend)
    , m_options(options)
    , m_connection(new QLabel(tr("Starting…"), this))
    , m_strategyLabel(new QLabel(this))
    , m_queue(new QLabel(this))
    , m_degraded(new QLabel(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("CacheLab"));
    Theme::apply();
    m_dark = Theme::isDark();
    setDockNestingEnabled(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowNestedDocks | QMainWindow::AllowTabbedDocks);
    setTabPosition(Qt::AllDockWidgetAreas, QTabWidget::North);

    // Tab titles are short so the four tabs under the key browser fit a
    // 400 px column without eliding; the View menu and the tab tooltips
    // carry the longer names and what each panel shows.
    addDock(tr("Strategy"), QStringLiteral("strategyDock"), {},
        tr("The caching strategy, TTL, stampede protection, database latency and Redis eviction"));
    addDock(tr("Products (SQLite)"), QStringLiteral("productsDock"), {},
        tr("Every product in SQLite, live, with the version Redis holds for it"));
    addDock(tr("Editor"), QStringLiteral("editorDock"), {},
        tr("Get, create, save, invalidate or delete one product under the current strategy; tags and "
           "price adjustments"));
    addDock(tr("Search"), QStringLiteral("searchDock"), {},
        tr("Search products as you type (RediSearch, or SQLite FTS5 with results cached in Redis)"));
    addDock(tr("Redis keys"), QStringLiteral("keysDock"), {},
        tr("Every key in Redis (SCAN) with its type, size and a live TTL countdown"));
    addDock(tr("Events"), QStringLiteral("eventsDock"), tr("Keyspace events"),
        tr("Keyspace events: what Redis reports as keys are written, expire, are evicted or deleted"));
    addDock(tr("Recent"), QStringLiteral("recentDock"), tr("Recent products"),
        tr("Recently viewed products: the recent_products list (LPUSH + LTRIM)"));
    addDock(tr("Most viewed"), QStringLiteral("mostViewedDock"), {},
        tr("Most viewed products (a sorted set) and their unique viewers (HyperLogLog)"));
    addDock(tr("Trace"), QStringLiteral("traceDock"), {},
        tr("Every operation step by step across the app, Redis and SQLite"));
    addDock(tr("Metrics"), QStringLiteral("metricsDock"), {},
        tr("Hit ratio, operations per second, latency per strategy, write-behind queue, Redis memory"));
    addDock(tr("Bloom filter"), QStringLiteral("bloomDock"), {},
        tr("The Bloom filter that answers gets of ids that never existed without asking SQLite"));
    addDock(tr("Change log"), QStringLiteral("changeLogDock"), {},
        tr("The cachelab:changes stream: every product change, from this window and other instances"));

    m_connection->setObjectName(QStringLiteral("statusConnection"));
    m_strategyLabel->setObjectName(QStringLiteral("statusStrategy"));
    m_queue->setObjectName(QStringLiteral("statusQueue"));
    m_degraded->setObjectName(QStringLiteral("statusDegraded"));
    m_degraded->hide();
    statusBar()->addPermanentWidget(m_degraded);
    statusBar()->addPermanentWidget(m_connection);
    statusBar()->addPermanentWidget(m_strategyLabel);
    statusBar()->addPermanentWidget(m_queue);

    const bool fresh = !m_options.screenshotPath.isEmpty();
    m_presentation = new PresentationController(this, !fresh);
    connect(m_presentation, &PresentationController::message, this, &MainWindow::showMessage);
    // At presentation zoom the server's address would leave the status
    // messages no room; the lesson needs the strategy and the queue, and
    // leaving presentation mode brings the address back.
    connect(m_presentation, &PresentationController::presentationModeChanged, this, [this](bool on) {
        m_connection->setVisible(!on);
    });
    createMenus();
    // Beside the queue it holds: a presenter finds it where the figure is.
    auto *hold = new QToolButton(this);
    hold->setObjectName(QStringLiteral("holdWriteBehindButton"));
    hold->setDefaultAction(m_holdWriteBehind);
    hold->setToolButtonStyle(Qt::ToolButtonTextOnly);
    hold->setAutoRaise(true);
    statusBar()->addPermanentWidget(hold);
    const QSettings settings;
    if (fresh) {
        resize(1280, 800); // a screenshot is a render of the first start, whatever the screen
    } else {
        if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
            resize(1280, 800);
        fitToScreen();
    }
    resetLayout();
    if (!fresh)
        m_pendingState = settings.value(QStringLiteral("window/state")).toByteArray();

    connect(backend, &Backend::ready, this, &MainWindow::onReady);
    connect(backend, &Backend::redisReady, this, &MainWindow::updateStatus);
    connect(backend, &Backend::warning, this, &MainWindow::showMessage);
    connect(backend, &Backend::failed, this, [this](const QString &message) { m_connection->setText(message); });
    if (backend->isReady())
        onReady();
}

MainWindow::~MainWindow() = default;

QDockWidget *MainWindow::addDock(
    const QString &title, const QString &objectName, const QString &menuTitle, const QString &description)
{
    auto *dock = new QDockWidget(title, this);
    dock->setObjectName(objectName);
    dock->setWidget(new QWidget(dock)); // until the backend is ready
    dock->setFeatures(
        QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
    dock->setProperty(DescriptionProperty, description);
    // Set after the title: the dock only renames its action when the title changes.
    if (!menuTitle.isEmpty())
        dock->toggleViewAction()->setText(menuTitle);
    dock->toggleViewAction()->setToolTip(description);
    m_docks << dock;
    return dock;
}

void MainWindow::setPanel(const char *objectName, QWidget *panel)
{
    auto *dock = findChild<QDockWidget *>(QLatin1String(objectName));
    QWidget *placeholder = dock->widget();
    // Form panels scroll when their dock is smaller than they are (a large
    // font on a small screen) instead of making the window taller than the
    // screen; tables and charts scroll by themselves.
    if (panel->property(ScrollsProperty).toBool()) {
        auto *area = new QScrollArea(dock);
        area->setObjectName(QLatin1String(objectName) + QStringLiteral("Scroll"));
        area->setFrameShape(QFrame::NoFrame);
        area->setWidgetResizable(true);
        area->setWidget(panel);
        dock->setWidget(area);
    } else {
        dock->setWidget(panel);
    }
    delete placeholder;
}

void MainWindow::childEvent(QChildEvent *event)
{
    QMainWindow::childEvent(event);
    // QMainWindow makes (and reuses) a tab bar for every group of tabbed
    // docks and sets it to elide. Polished means fully built, so it can be
    // set up here whenever a new one appears.
    if (event->type() == QEvent::ChildPolished) {
        if (auto *bar = qobject_cast<QTabBar *>(event->child()))
            setUpDockTabBar(bar);
    }
}

void MainWindow::setUpDockTabBar(QTabBar *bar)
{
    bar->setElideMode(Qt::ElideNone); // titles stay whole; scroll arrows if a column gets too narrow
    bar->setUsesScrollButtons(true);
    bar->removeEventFilter(this);
    bar->installEventFilter(this);
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    // A dock tab's tooltip is the panel's description; QMainWindow would
    // show the title again.
    if (event->type() == QEvent::ToolTip && watched->parent() == this) {
        if (auto *bar = qobject_cast<QTabBar *>(watched)) {
            const auto *help = static_cast<QHelpEvent *>(event);
            const int tab = bar->tabAt(help->pos());
            for (QDockWidget *d : std::as_const(m_docks)) {
                if (tab >= 0 && d->windowTitle() == bar->tabText(tab)) {
                    QToolTip::showText(
                        help->globalPos(), d->property(DescriptionProperty).toString(), bar, bar->tabRect(tab));
                    return true;
                }
            }
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::resetLayout()
{
    const auto dock = [this](const char *name) { return findChild<QDockWidget *>(QLatin1String(name)); };
    QDockWidget *strategy = dock("strategyDock");
    QDockWidget *products = dock("productsDock");
    QDockWidget *editor = dock("editorDock");
    QDockWidget *keys = dock("keysDock");
    QDockWidget *events = dock("eventsDock");
    QDockWidget *recent = dock("recentDock");
    QDockWidget *mostViewed = dock("mostViewedDock");
    QDockWidget *trace = dock("traceDock");
    QDockWidget *metrics = dock("metricsDock");
    QDockWidget *bloom = dock("bloomDock");
    QDockWidget *changeLog = dock("changeLogDock");
    QDockWidget *search = dock("searchDock");
    for (QDockWidget *d : std::as_const(m_docks)) {
        d->setFloating(false);
        d->show();
        removeDockWidget(d);
    }
    // Three columns: what you do | what Redis holds | what happened.
    addDockWidget(Qt::LeftDockWidgetArea, strategy);
    splitDockWidget(strategy, keys, Qt::Horizontal);
    splitDockWidget(keys, trace, Qt::Horizontal);
    splitDockWidget(strategy, products, Qt::Vertical);
    splitDockWidget(products, editor, Qt::Vertical);
    splitDockWidget(keys, events, Qt::Vertical);
    splitDockWidget(trace, metrics, Qt::Vertical);
    tabifyDockWidget(products, search);
    products->raise();
    tabifyDockWidget(events, recent);
    tabifyDockWidget(recent, mostViewed);
    // The change log sits with the metrics: four tabs under the keys did
    // not fit their column with a 12 pt font.
    tabifyDockWidget(metrics, bloom);
    tabifyDockWidget(bloom, changeLog);
    metrics->raise();
    events->raise();
    for (QDockWidget *d : std::as_const(m_docks))
        d->show();
    // Dock sizes only take once the window is laid out: now if it is
    // visible (View > Reset Layout), else on the first show.
    if (isVisible())
        applyDefaultSizes();
}

void MainWindow::applyDefaultSizes()
{
    const auto dock = [this](const char *name) { return findChild<QDockWidget *>(QLatin1String(name)); };
    // Three columns in 400:400:480 (the trace diagram wants the most width);
    // the first wider, up to 36 %, when the strategy settings need it to
    // stand two a row, with room for a vertical scroll bar: without it, one
    // missing pixel of height brought a vertical bar, the narrower panel a
    // horizontal one, and the eviction row went under both.
    int column = width() * 400 / 1280;
    if (m_strategy) {
        const int separator = style()->pixelMetric(QStyle::PM_DockWidgetSeparatorExtent, nullptr, this);
        const int scrollBar = style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, this);
        column = std::clamp(m_strategy->wideWidth() + separator + scrollBar, column, std::max(column, width() * 36 / 100));
    }
    resizeDocks({ dock("strategyDock"), dock("keysDock"), dock("traceDock") }, { column, column, width() - 2 * column },
        Qt::Horizontal);

    // Heights: the strategy and the editor get what their content needs at
    // the column's width, the products table everything else, so it shows
    // as many rows as the window allows.
    const int separator = style()->pixelMetric(QStyle::PM_DockWidgetSeparatorExtent, nullptr, this);
    const int area = height() - menuBar()->sizeHint().height() - statusBar()->sizeHint().height();
    const auto fit = [](QDockWidget *d, int columnWidth) {
        QWidget *panel = d->widget();
        if (auto *area = qobject_cast<QScrollArea *>(panel); area && area->widget())
            panel = area->widget();
        const int title = d->sizeHint().height() - panel->sizeHint().height();
        // A wrapping panel's minimumSizeHint() is its height at its narrowest,
        // not at this width: heightForWidth() is the whole answer there.
        if (panel->hasHeightForWidth())
            return panel->heightForWidth(columnWidth) + title;
        return std::max(panel->sizeHint().height(), panel->minimumSizeHint().height()) + title;
    };
    const int inside = column - separator; // the dock's own width
    if (m_strategy)
        m_strategy->arrangeFor(inside); // two settings a row or one, before it is measured
    int strategy = fit(dock("strategyDock"), inside);
    int editor = fit(dock("editorDock"), inside);
    // A large font on a small screen: the products keep a few rows, the
    // editor and then the strategy scroll (see setPanel) for the rest.
    const int productsAtLeast = dock("productsDock")->minimumSizeHint().height() + 3 * fontMetrics().height();
    int deficit = productsAtLeast - (area - strategy - editor - 2 * separator);
    const int scrollable = 5 * fontMetrics().height();
    for (int *h : { &editor, &strategy }) {
        const int take = std::clamp(deficit, 0, std::max(0, *h - scrollable));
        *h -= take;
        deficit -= take;
    }
    resizeDocks({ dock("strategyDock"), dock("productsDock"), dock("editorDock") },
        { strategy, area - strategy - editor - 2 * separator, editor }, Qt::Vertical);
    resizeDocks({ dock("keysDock"), dock("eventsDock") }, { area * 57 / 100, area * 43 / 100 }, Qt::Vertical);
    resizeDocks({ dock("traceDock"), dock("metricsDock") }, { area * 58 / 100, area * 42 / 100 }, Qt::Vertical);
}

void MainWindow::fitToScreen()
{
    // The screen it will open on; a saved geometry may come from a bigger one.
    const QScreen *s = screen();
    if (!s)
        return;
    const QRect available = s->availableGeometry();
    // The frame is known once the window manager decorated the window
    // (showEvent calls this again then); until then it counts as none.
    const QSize frame = frameGeometry().size() - geometry().size();
    const QSize size = this->size().boundedTo(available.size() - frame);
    if (size != this->size())
        resize(size);
    // Keep it on that screen.
    QRect frameRect = frameGeometry();
    if (!available.contains(frameRect)) {
        frameRect.moveLeft(std::clamp(frameRect.left(), available.left(), available.right() - frameRect.width() + 1));
        frameRect.moveTop(std::clamp(frameRect.top(), available.top(), available.bottom() - frameRect.height() + 1));
        move(frameRect.topLeft());
    }
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    // Light/dark switched while running: the style sheet's colours follow.
    if (event->type() == QEvent::ApplicationPaletteChange || event->type() == QEvent::PaletteChange) {
        if (Theme::isDark() != m_dark) {
            m_dark = Theme::isDark();
            Theme::apply();
        }
    }
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    if (m_shownOnce)
        return;
    m_shownOnce = true;
    if (m_options.screenshotPath.isEmpty())
        fitToScreen(); // now that the frame is known
    applyDefaultSizes();
    if (!m_pendingState.isEmpty()) {
        m_restoredState = std::exchange(m_pendingState, {});
        restoreState(m_restoredState, StateVersion);
    }
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *connectAction = file->addAction(tr("&Connect to Redis…"), this, &MainWindow::openConnectionDialog);
    connectAction->setObjectName(QStringLiteral("actionConnect"));
    connectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    QAction *shot = file->addAction(tr("Save &Screenshot…"), this, &MainWindow::saveScreenshotAs);
    shot->setObjectName(QStringLiteral("actionSaveScreenshot"));
    shot->setShortcuts(QKeySequence::keyBindings(QKeySequence::SaveAs));
    if (shot->shortcuts().isEmpty()) // themes without a Save As key (offscreen, bare X11)
        shot->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    QMenu *exportMenu = file->addMenu(tr("&Export"));
    exportMenu->setObjectName(QStringLiteral("exportMenu"));
    exportMenu->setToolTipsVisible(true);
    m_exportActions = new ExportActions(this, exportMenu);
    connect(m_exportActions, &ExportActions::message, this, &MainWindow::showMessage);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setObjectName(QStringLiteral("actionQuit"));
    // The platform's Quit keys; themes without any (offscreen, bare X11) get Ctrl+Q.
    quit->setShortcuts(QKeySequence::keyBindings(QKeySequence::Quit));
    if (quit->shortcuts().isEmpty())
        quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);

    m_editActions = new EditActions(this, menuBar()->addMenu(tr("&Edit")));

    QMenu *cache = menuBar()->addMenu(tr("&Cache"));
    m_strategyActions = new QActionGroup(this);
    int n = 1;
    for (StrategyKind kind : allStrategies()) {
        QAction *a = cache->addAction(strategyName(kind));
        a->setCheckable(true);
        a->setData(int(kind));
        a->setToolTip(strategyDescription(kind));
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_0 + n++)));
        m_strategyActions->addAction(a);
        connect(a, &QAction::triggered, this, [this, kind] {
            if (m_backend->service())
                m_backend->service()->setStrategy(kind);
        });
    }
    cache->addSeparator();
    const auto serviceAction = [this, cache](const QString &text, auto call) {
        QAction *a = cache->addAction(text);
        connect(a, &QAction::triggered, this, [this, text, call] {
            ProductService *s = m_backend->service();
            if (!s)
                return;
            // The menu text's mnemonic ("&Warm Up Cache") has no place in a sentence.
            (s->*call)(this, [this, name = withoutMnemonics(text)](const ServiceResult &r) {
                showMessage(
                    r.ok() ? tr("%1: done (%2)").arg(name).arg(r.count) : tr("%1 failed: %2").arg(name, r.error));
            });
        });
        return a;
    };
    serviceAction(tr("&Warm Up Cache"), &ProductService::warmUp)->setObjectName(QStringLiteral("actionWarmUp"));
    QAction *samples = cache->addAction(tr("Add %1 Sample &Products").arg(SampleProductCount), this, [this] {
        ProductService *s = m_backend->service();
        if (!s)
            return;
        // Enough data for the eviction step: a dozen products never fill
        // a cache, a few hundred do within a few kB of a limit.
        auto *run = new SampleProducts(s, SampleProductCount, this);
        connect(run, &SampleProducts::progress, this, [this](int created, int total) {
            if (created % 50 == 0)
                showMessage(tr("Adding sample products: %1 of %2").arg(created).arg(total));
        });
        connect(run, &SampleProducts::finished, this, [this](int created, const QString &error) {
            showMessage(error.isEmpty() ? tr("Added %n sample product(s).", nullptr, created)
                                        : tr("Added %1 sample products, then stopped: %2").arg(created).arg(error));
        });
        run->start();
    });
    samples->setObjectName(QStringLiteral("actionAddSampleProducts"));
    samples->setToolTip(tr("Creates %1 products through the current strategy (for the eviction step)").arg(SampleProductCount));
    serviceAction(tr("&Invalidate All App Keys"), &ProductService::invalidateAll)
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Delete));
    serviceAction(tr("&Flush Write-Behind Queue"), &ProductService::flushWriteBehind);
    // The worker flushes a second after the first queued write, faster than a
    // person can save a second product: held, the queue rises and coalesces
    // for as long as the lesson needs, and drains when released.
    m_holdWriteBehind = cache->addAction(tr("H&old Write-Behind Worker"));
    m_holdWriteBehind->setObjectName(QStringLiteral("actionHoldWriteBehind"));
    m_holdWriteBehind->setCheckable(true);
    m_holdWriteBehind->setIconText(tr("Hold writes"));
    m_holdWriteBehind->setToolTip(tr("While held, the write-behind worker writes nothing to SQLite: saves queue up "
                                     "(a product saved again coalesces) until you release it."));
    connect(m_holdWriteBehind, &QAction::toggled, this, [this](bool hold) {
        if (ProductService *service = m_backend->service(); service && service->writeBehindQueue())
            service->writeBehindQueue()->setPaused(hold);
    });
    cache->addSeparator();
    cache->addAction(tr("&Reset Metrics"), this, [this] {
        if (m_backend->service())
            m_backend->service()->resetMetrics();
    });
    QAction *resetLesson = cache->addAction(tr("Reset &Lesson Settings"), this, &MainWindow::resetLessonSettings);
    resetLesson->setObjectName(QStringLiteral("resetLessonSettings"));
    resetLesson->setToolTip(tr("Back to cache-aside, TTL %1 s, no DB latency, no eviction limit: "
                               "the state each step of the README's lesson starts from")
                                .arg(CacheSettings().ttlSeconds));

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->setToolTipsVisible(true);
    for (QDockWidget *d : std::as_const(m_docks))
        view->addAction(d->toggleViewAction());
    view->addSeparator();
    QAction *rescan = view->addAction(tr("Re&scan Keys"), this, [this] {
        if (m_keys)
            m_keys->rescan();
    });
    rescan->setObjectName(QStringLiteral("actionRescan"));
    // The only owner of F5 (the Scan button has none): the platform's Refresh
    // keys, and F5 in any case, as the README's lesson says.
    QList<QKeySequence> refresh = QKeySequence::keyBindings(QKeySequence::Refresh);
    if (!refresh.contains(QKeySequence(Qt::Key_F5)))
        refresh.prepend(QKeySequence(Qt::Key_F5));
    rescan->setShortcuts(refresh);
    view->addAction(tr("&Reset Layout"), this, &MainWindow::resetLayout);
    view->addSeparator();
    m_presentation->addActions(view);

    // The labs run on their own redis-servers: they work before (and
    // without) the dashboard's backend.
    // No mnemonic: every letter of "Labs" is taken in this window (TTL has
    // Alt+L); Ctrl+Shift+L opens the labs from anywhere.
    QMenu *labs = menuBar()->addMenu(tr("Labs"));
    labs->setObjectName(QStringLiteral("labsMenu"));
    labs->setToolTipsVisible(true);
    QAction *openLabs = labs->addAction(tr("&Open Labs"), this, [this] { showLabs(); });
    openLabs->setObjectName(QStringLiteral("actionOpenLabs"));
    openLabs->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    labs->addSeparator();
    for (const QString &name : LabRegistry::names()) {
        const auto lab = LabRegistry::create(name);
        QAction *a = labs->addAction(lab->title(), this, [this, name] { showLabs(name); });
        a->setObjectName(QStringLiteral("actionLab-") + name);
        a->setToolTip(lab->description());
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *shortcuts = help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showShortcuts);
    shortcuts->setObjectName(QStringLiteral("actionKeyboardShortcuts"));
    QAction *about = help->addAction(tr("&About CacheLab"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt)->setMenuRole(QAction::AboutQtRole);
}

LabsPanel *MainWindow::showLabs(const QString &name)
{
    if (!m_labsDock) {
        m_labsDock = new QDockWidget(tr("Labs"), this);
        m_labsDock->setObjectName(QStringLiteral("labsDock"));
        m_labs = new LabsPanel(m_labsDock);
        m_labsDock->setWidget(m_labs);
        m_labsDock->setFeatures(
            QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
        addDockWidget(Qt::RightDockWidgetArea, m_labsDock);
        // A lab's chart needs room: it opens as its own window over the
        // dashboard, and docks like any panel when dragged.
        m_labsDock->setFloating(true);
        const QRect area = geometry();
        const QSize size(std::min(1180, std::max(800, area.width() - 80)), std::min(760, std::max(560, area.height() - 60)));
        m_labsDock->resize(size);
        m_labsDock->move(area.center() - QPoint(size.width() / 2, size.height() / 2));
    }
    if (!name.isEmpty())
        m_labs->showLab(name);
    m_labsDock->show();
    m_labsDock->raise();
    return m_labs;
}

void MainWindow::createPanels()
{
    Backend *b = m_backend;
    ProductService *service = b->service();
    KeyspaceWatcher *watcher = b->keyspaceWatcher();
    ProductsDocument *products = b->productsDocument();
    m_products = new ProductsPanel(products, this);
    m_editor = new EditorPanel(service, b->tags(), this);
    m_strategy = new StrategyPanel(service, this);
    m_keys = new KeyBrowserPanel(b->keyScanner(), b->keyActions(), watcher, service, this);
    m_mostViewed = new MostViewedPanel(service, watcher, products, this);
    m_bloom = new BloomPanel(b->existenceFilter(), this);
    m_search = new SearchPanel(b->search(), this);
    m_recent = new RecentPanel(b->recentProducts(), products, this);
    m_events = new EventsPanel(watcher, this);
    m_trace = new TracePanel(service, this);
    m_metrics = new MetricsPanel(service, b->infoPoller(), this);
    m_changeLog = new ChangeLogPanel(b->changeStream(), service, this);
    for (QWidget *form : std::initializer_list<QWidget *> { m_strategy, m_editor, m_bloom })
        form->setProperty(ScrollsProperty, true);

    setPanel("strategyDock", m_strategy);
    setPanel("productsDock", m_products);
    setPanel("editorDock", m_editor);
    setPanel("searchDock", m_search);
    setPanel("keysDock", m_keys);
    setPanel("eventsDock", m_events);
    setPanel("recentDock", m_recent);
    setPanel("mostViewedDock", m_mostViewed);
    setPanel("traceDock", m_trace);
    setPanel("metricsDock", m_metrics);
    setPanel("bloomDock", m_bloom);
    setPanel("changeLogDock", m_changeLog);

    connect(m_editor, &EditorPanel::message, this, &MainWindow::showMessage);
    connect(m_strategy, &StrategyPanel::message, this, &MainWindow::showMessage);
    connect(m_products, &ProductsPanel::productSelected, m_editor, [this](const Product &p) { m_editor->showProduct(p); });
    connect(m_search, &SearchPanel::productActivated, this, [this, products](qint64 id) {
        if (const auto p = products->product(id))
            m_editor->showProduct(*p);
    });
    m_editActions->attach(m_keys, m_trace);
    m_exportActions->attach(m_trace, m_events, service, b->infoPoller());
    if (NotificationSetup *setup = b->notificationSetup()) {
        m_notificationQuestion = new NotificationQuestion(setup, b->redisDescription(), this);
        connect(m_notificationQuestion, &NotificationQuestion::message, this, &MainWindow::showMessage);
    }

    // Shown already: the sizes (or the restored layout) were worked out
    // with the placeholders; do it again for the real panels once they are
    // laid out.
    if (m_shownOnce) {
        QTimer::singleShot(0, this, [this] {
            applyDefaultSizes();
            if (!m_restoredState.isEmpty())
                restoreState(m_restoredState, StateVersion);
        });
    }
}

void MainWindow::onReady()
{
    ProductService *service = m_backend->service();
    createPanels();

    connect(service, &ProductService::strategyChanged, this, &MainWindow::updateStatus);
    connect(service, &ProductService::queueDepthChanged, this, &MainWindow::updateStatus);
    if (WriteBehindQueue *queue = service->writeBehindQueue()) {
        queue->setPaused(m_holdWriteBehind->isChecked());
        connect(queue, &WriteBehindQueue::pausedChanged, this, [this](bool paused) {
            m_holdWriteBehind->setChecked(paused);
            updateStatus();
        });
    }
    connect(service, &ProductService::cacheAvailabilityChanged, this, &MainWindow::updateStatus);
    connect(service, &ProductService::warning, this, &MainWindow::showMessage);
    connect(m_backend->redis(), &RedisClient::stateChanged, this, &MainWindow::updateStatus);
    connect(m_backend->infoPoller(), &InfoPoller::updated, this, [this](const RedisServerInfo &info) {
        if (info.redisVersion != m_serverVersion) {
            m_serverVersion = info.redisVersion;
            updateStatus();
        }
    });
    updateStatus();
    // After the panels' own first sizing (queued by createPanels()).
    if (m_options.presentation)
        QTimer::singleShot(0, this, [this] { m_presentation->setPresentationMode(true); });

    if (m_options.demo) {
        m_demo = new DemoScript(service, m_backend->tags(), m_backend->demoKeys(), this);
        connect(
            m_demo, &DemoScript::burstFinished, this, [this] { m_keys->selectKey(QByteArrayLiteral("product:1")); });
        connect(m_demo, &DemoScript::finished, this,
            [this] { showMessage(tr("Demo finished — your turn: pick a product and press Get.")); });
        // Start once Redis answers, so the first gets show the miss → fill path.
        if (m_backend->redis()->isConnected())
            m_demo->start();
        else
            connect(m_backend->redis(), &RedisClient::connected, m_demo, &DemoScript::start, Qt::SingleShotConnection);
    }
}

void MainWindow::updateStatus()
{
    const RedisClient *redis = m_backend->redis();
    ProductService *service = m_backend->service();
    QString state = tr("connecting…");
    if (redis && redis->isConnected()) {
        const QString version = redis->serverVersion().isEmpty() ? m_serverVersion : redis->serverVersion();
        state = version.isEmpty() ? tr("connected") : tr("Redis %1").arg(version);
    } else if (redis && redis->state() == RedisClient::State::Reconnecting) {
        state = tr("reconnecting…");
    }
    m_connection->setText(QStringLiteral("%1 · %2").arg(m_backend->redisDescription(), state));
    m_connection->setToolTip(tr("SQLite: %1").arg(m_backend->databasePath()));
    if (!service)
        return;
    m_strategyLabel->setText(tr("strategy: <b>%1</b>").arg(strategyName(service->strategy())));
    const bool held = service->writeBehindQueue() && service->writeBehindQueue()->isPaused();
    m_queue->setText(held ? tr("write-behind queue: <b>%1</b> (held)").arg(service->queueDepth())
                          : tr("write-behind queue: <b>%1</b>").arg(service->queueDepth()));
    const bool degraded = !service->isCacheAvailable() && redis && !redis->isConnected();
    m_degraded->setVisible(degraded);
    if (degraded) {
        const QColor c = Theme::outcomeColor(TraceOutcome::Error);
        m_degraded->setText(tr("<b style='color:%1'>⚠ Redis down — degraded: reads from SQLite</b>").arg(c.name()));
    }
    if (m_strategyActions) {
        for (QAction *a : m_strategyActions->actions())
            a->setChecked(a->data().toInt() == int(service->strategy()));
    }
}

void MainWindow::showMessage(const QString &text)
{
    statusBar()->showMessage(text, 8000);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_options.screenshotPath.isEmpty()) {
        QSettings settings;
        settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
        // Closed while presenting: the next start gets the everyday layout.
        settings.setValue(QStringLiteral("window/state"),
            m_presentation->isPresentationMode() ? m_presentation->stateBeforePresentation() : saveState(StateVersion));
    }
    QMainWindow::closeEvent(event);
}

void MainWindow::resetLessonSettings()
{
    ProductService *service = m_backend->service();
    if (!service)
        return;
    // What one lesson step leaves behind (a 5 s TTL, 500 ms of DB latency,
    // an eviction limit) must not spoil the next: back to the defaults.
    const CacheSettings defaults;
    CacheSettings s = service->settings();
    s.ttlSeconds = defaults.ttlSeconds;
    s.ttlJitterPercent = defaults.ttlJitterPercent;
    s.stampede = defaults.stampede;
    s.writeBehindFlushIntervalMs = defaults.writeBehindFlushIntervalMs;
    service->setStrategy(StrategyKind::CacheAside);
    service->setSettings(s);
    service->setArtificialDbLatency(0);
    m_holdWriteBehind->setChecked(false);
    service->applyEvictionSettings(EvictionSettings {}, this, [this](const EvictionSettings &, const ServiceResult &r) {
        showMessage(r.ok() ? tr("Lesson settings reset: cache-aside, TTL %1 s, no DB latency, no eviction limit.")
                                 .arg(CacheSettings().ttlSeconds)
                           : tr("Lesson settings reset, but the eviction limit could not be cleared: %1").arg(r.error));
    });
}
