// PresentationController: zoom, presentation mode and named layouts of a MainWindow.
//
// View menu entries it adds:
// - Presentation Mode (Ctrl+Shift+P): the "Teach" layout, zoomed in; off
//   again brings back the layout and zoom from before.
// - Zoom In / Zoom Out / Actual Size (Ctrl+plus, Ctrl+minus, Ctrl+0), for
//   every panel at once (see Zoom).
// - Layouts: "Teach" (strategy, products, Redis keys and trace only, large),
//   "Debug" (every panel, the first-run arrangement, 100 %), the user's own
//   layouts (LayoutLibrary), Save Current Layout… and Delete.
// The zoom factor is remembered across starts (QSettings "view/zoom").
#pragma once

#include "layoutlibrary.h"

#include <QByteArray>
#include <QInputDialog>
#include <QObject>
#include <QPointer>

class MainWindow;
class QAction;
class QMenu;
class Zoom;

class PresentationController final : public QObject
{
    Q_OBJECT

public:
    /// The zoom a presentation starts at.
    static constexpr double TeachZoom = 1.4;
    static QString teachName() { return QStringLiteral("Teach"); }
    static QString debugName() { return QStringLiteral("Debug"); }
    /// objectNames of the docks the Teach layout shows.
    static QStringList teachDocks();

    /// restoreZoom: apply the zoom saved by the last run (not for screenshots).
    PresentationController(MainWindow *window, bool restoreZoom);

    /// Adds the zoom, presentation and layout entries to the View menu.
    void addActions(QMenu *view);

    Zoom *zoom() const { return m_zoom; }
    bool isPresentationMode() const { return m_presenting; }
    /// The layout to remember while presenting: the one presentation mode will bring back.
    QByteArray stateBeforePresentation() const { return m_beforePresentation.state; }
    void setPresentationMode(bool on);

    /// Every name applyLayout() takes: the built-in ones first, then the user's.
    QStringList layoutNames() const;
    /// Arranges the window as the named layout; false for an unknown name.
    bool applyLayout(const QString &name);
    /// Saves the current layout and zoom under name; false (with a reason) for a bad name.
    bool saveLayout(const QString &name, QString *error = nullptr);
    void deleteLayout(const QString &name);
    /// Opens the (non-modal) "Save Layout" name dialog; tests fill it through this pointer.
    QInputDialog *openSaveDialog();

signals:
    void message(const QString &text);
    void presentationModeChanged(bool on);

private:
    void applyTeach();
    void rebuildLayoutsMenu();

    MainWindow *m_window;
    Zoom *m_zoom;
    QAction *m_presentation = nullptr;
    QMenu *m_layouts = nullptr;
    QPointer<QInputDialog> m_saveDialog;
    bool m_presenting = false;
    LayoutLibrary::Layout m_beforePresentation;
};
