// PresentationController: the View menu's zoom, presentation and layout entries.
#include "presentationcontroller.h"

#include "mainwindow.h"
#include "zoom.h"

#include <QAction>
#include <QDockWidget>
#include <QHeaderView>
#include <QInputDialog>
#include <QMenu>
#include <QScrollArea>
#include <QSettings>
#include <QTableView>
#include <QTimer>

namespace {
const QString ZoomKey = QStringLiteral("view/zoom");
} // namespace

QStringList PresentationController::teachDocks()
{
    return { QStringLiteral("strategyDock"), QStringLiteral("productsDock"), QStringLiteral("keysDock"),
        QStringLiteral("traceDock") };
}

PresentationController::PresentationController(MainWindow *window, bool restoreZoom)
    : QObject(window)
    , m_window(window)
    , m_zoom(new Zoom(this))
{
    if (restoreZoom)
        m_zoom->setFactor(QSettings().value(ZoomKey, m_zoom->factor()).toDouble());
    connect(m_zoom, &Zoom::factorChanged, this, [this](double factor) {
        if (!m_presenting) // a presentation's zoom is not the everyday one
            QSettings().setValue(ZoomKey, factor);
        emit message(tr("Zoom %1 %").arg(qRound(factor * 100)));
        // Once the new fonts are in (next turn): no table row may stay
        // shorter than its text, also in a table that set its row height
        // once from the font it started with.
        QTimer::singleShot(0, m_window, [this] {
            for (QTableView *table : m_window->findChildren<QTableView *>()) {
                QHeaderView *rows = table->verticalHeader();
                const int least = table->fontMetrics().height() + 4;
                if (rows->defaultSectionSize() < least)
                    rows->setDefaultSectionSize(least + 2);
            }
        });
    });
}

void PresentationController::addActions(QMenu *view)
{
    m_presentation = view->addAction(tr("&Presentation Mode"));
    m_presentation->setObjectName(QStringLiteral("actionPresentationMode"));
    m_presentation->setCheckable(true);
    m_presentation->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    m_presentation->setToolTip(tr("Only the panels a lesson needs, large enough for a projector"));
    connect(m_presentation, &QAction::toggled, this, &PresentationController::setPresentationMode);

    QAction *in = view->addAction(tr("Zoom &In"), m_zoom, &Zoom::zoomIn);
    in->setObjectName(QStringLiteral("actionZoomIn"));
    // Ctrl+= as well: on most keyboards "+" needs Shift.
    in->setShortcuts({ QKeySequence::ZoomIn, QKeySequence(Qt::CTRL | Qt::Key_Equal) });
    QAction *out = view->addAction(tr("Zoom &Out"), m_zoom, &Zoom::zoomOut);
    out->setObjectName(QStringLiteral("actionZoomOut"));
    out->setShortcuts(QKeySequence::ZoomOut);
    QAction *actual = view->addAction(tr("&Actual Size"), m_zoom, &Zoom::reset);
    actual->setObjectName(QStringLiteral("actionZoomReset"));
    actual->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));

    m_layouts = view->addMenu(tr("La&youts"));
    m_layouts->setObjectName(QStringLiteral("layoutsMenu"));
    m_layouts->setToolTipsVisible(true);
    connect(m_layouts, &QMenu::aboutToShow, this, &PresentationController::rebuildLayoutsMenu);
    rebuildLayoutsMenu();
}

void PresentationController::rebuildLayoutsMenu()
{
    m_layouts->clear();
    QAction *teach = m_layouts->addAction(tr("Teach"), this, [this] { applyLayout(teachName()); });
    teach->setToolTip(tr("Strategy, products, Redis keys and trace, zoomed for a projector"));
    QAction *debug = m_layouts->addAction(tr("Debug"), this, [this] { applyLayout(debugName()); });
    debug->setToolTip(tr("Every panel, as on the first start, at 100 %"));
    const QStringList own = LayoutLibrary::names();
    if (!own.isEmpty())
        m_layouts->addSeparator();
    for (const QString &name : own)
        m_layouts->addAction(name, this, [this, name] { applyLayout(name); });
    m_layouts->addSeparator();
    m_layouts->addAction(tr("&Save Current Layout…"), this, &PresentationController::openSaveDialog);
    if (!own.isEmpty()) {
        QMenu *remove = m_layouts->addMenu(tr("&Delete Layout"));
        for (const QString &name : own)
            remove->addAction(name, this, [this, name] { deleteLayout(name); });
    }
}

QStringList PresentationController::layoutNames() const
{
    return QStringList { teachName(), debugName() } + LayoutLibrary::names();
}

bool PresentationController::applyLayout(const QString &name)
{
    if (name == teachName()) {
        applyTeach();
    } else if (name == debugName()) {
        m_zoom->reset();
        m_window->resetLayout();
    } else {
        const auto layout = LayoutLibrary::load(name);
        if (!layout)
            return false;
        m_zoom->setFactor(layout->zoom);
        // After the zoom's relayout, so the saved sizes are not squeezed by the old font's minimums.
        const QByteArray state = layout->state;
        QTimer::singleShot(
            0, m_window, [this, state] { m_window->restoreState(state, MainWindow::LayoutStateVersion); });
        m_window->restoreState(state, MainWindow::LayoutStateVersion);
    }
    emit message(tr("Layout: %1").arg(name));
    return true;
}

void PresentationController::applyTeach()
{
    m_zoom->setFactor(TeachZoom);
    m_window->resetLayout();
    const QStringList keep = teachDocks();
    for (QDockWidget *dock : m_window->findChildren<QDockWidget *>()) {
        if (!keep.contains(dock->objectName()))
            dock->hide();
    }
    // Two thirds of the height for the products under the strategy, the
    // keys and the trace side by side; sizes take once the zoomed fonts
    // are laid out.
    QTimer::singleShot(0, m_window, [this] {
        const auto dock = [this](const QString &name) { return m_window->findChild<QDockWidget *>(name); };
        const int w = m_window->width();
        m_window->resizeDocks({ dock(QStringLiteral("strategyDock")), dock(QStringLiteral("keysDock")),
                                  dock(QStringLiteral("traceDock")) },
            { w * 36 / 100, w * 27 / 100, w * 37 / 100 }, Qt::Horizontal);
        // The strategy gets what its panel needs at that width (it scrolls
        // only when the screen is too small for even that), the products the rest.
        QDockWidget *strategy = dock(QStringLiteral("strategyDock"));
        QDockWidget *products = dock(QStringLiteral("productsDock"));
        QWidget *panel = strategy->widget();
        if (auto *area = qobject_cast<QScrollArea *>(panel); area && area->widget())
            panel = area->widget();
        const int title = strategy->height() - strategy->widget()->height();
        const int column = strategy->height() + products->height();
        const int wanted = std::max(panel->sizeHint().height(), panel->minimumSizeHint().height()) + title + 4;
        const int height = std::min(wanted, column * 2 / 3);
        m_window->resizeDocks({ strategy, products }, { height, column - height }, Qt::Vertical);
    });
}

void PresentationController::setPresentationMode(bool on)
{
    if (on == m_presenting)
        return;
    if (on) {
        m_beforePresentation = { m_window->saveState(MainWindow::LayoutStateVersion), m_zoom->factor() };
        m_presenting = true;
        applyTeach();
    } else {
        m_presenting = false;
        m_zoom->setFactor(m_beforePresentation.zoom);
        const QByteArray state = m_beforePresentation.state;
        m_window->restoreState(state, MainWindow::LayoutStateVersion);
        QTimer::singleShot(
            0, m_window, [this, state] { m_window->restoreState(state, MainWindow::LayoutStateVersion); });
    }
    if (m_presentation && m_presentation->isChecked() != on)
        m_presentation->setChecked(on);
    emit message(on ? tr("Presentation mode (Ctrl+Shift+P ends it)") : tr("Presentation mode ended"));
    emit presentationModeChanged(on);
}

bool PresentationController::saveLayout(const QString &name, QString *error)
{
    QString problem;
    if (!LayoutLibrary::save(
            name, { m_window->saveState(MainWindow::LayoutStateVersion), m_zoom->factor() }, &problem)) {
        if (error)
            *error = problem;
        emit message(problem);
        return false;
    }
    emit message(tr("Layout \"%1\" saved (View → Layouts)").arg(name.trimmed()));
    return true;
}

void PresentationController::deleteLayout(const QString &name)
{
    LayoutLibrary::remove(name);
    emit message(tr("Layout \"%1\" deleted").arg(name));
}

QInputDialog *PresentationController::openSaveDialog()
{
    if (m_saveDialog && m_saveDialog->isVisible())
        return m_saveDialog;
    // open(), not exec(): no nested event loop; the answer comes as a signal.
    auto *dialog = new QInputDialog(m_window);
    dialog->setObjectName(QStringLiteral("saveLayoutDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Save Layout"));
    dialog->setLabelText(tr("Name of this layout (panels, their sizes and the zoom):"));
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString &name) { saveLayout(name); });
    m_saveDialog = dialog;
    dialog->open();
    return dialog;
}
