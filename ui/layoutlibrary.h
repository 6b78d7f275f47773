// LayoutLibrary: the user's own named window layouts, kept in QSettings.
//
// A layout is what QMainWindow::saveState() returns (which docks show,
// where, how big) plus the zoom factor it was saved at. The built-in
// layouts ("Teach", "Debug") are arranged in code by PresentationController
// and are never stored here; their names are reserved.
#pragma once

#include <QByteArray>
#include <QStringList>

#include <optional>

class LayoutLibrary final
{
public:
    struct Layout
    {
        QByteArray state;
        double zoom = 1.0;
    };

    /// Names the built-in layouts use; save() refuses them.
    static QStringList reservedNames();
    /// The saved names, sorted case-insensitively.
    static QStringList names();
    /// Why name cannot be saved (empty, reserved, too long), or empty when it can.
    static QString checkName(const QString &name);
    /// Stores (or replaces) a layout; false with checkName()'s reason.
    static bool save(const QString &name, const Layout &layout, QString *error = nullptr);
    static std::optional<Layout> load(const QString &name);
    static void remove(const QString &name);
};
