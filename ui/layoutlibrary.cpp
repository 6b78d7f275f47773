// LayoutLibrary: one QSettings group per saved layout under "layouts/".
#include "layoutlibrary.h"

#include <QCoreApplication>
#include <QSettings>

namespace {
const QString Group = QStringLiteral("layouts");

// QSettings treats '/' and '\' as group separators: keep names flat.
QString keyFor(const QString &name)
{
    QString key = name;
    key.replace(QLatin1Char('/'), QLatin1Char('_')).replace(QLatin1Char('\\'), QLatin1Char('_'));
    return key;
}
} // namespace

QStringList LayoutLibrary::reservedNames()
{
    return { QStringLiteral("Teach"), QStringLiteral("Debug") };
}

QStringList LayoutLibrary::names()
{
    QSettings settings;
    settings.beginGroup(Group);
    QStringList result;
    for (const QString &key : settings.childGroups())
        result << settings.value(key + QStringLiteral("/name"), key).toString();
    result.sort(Qt::CaseInsensitive);
    return result;
}

QString LayoutLibrary::checkName(const QString &name)
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty())
        return QCoreApplication::translate("LayoutLibrary", "A layout needs a name.");
    if (trimmed.size() > 60)
        return QCoreApplication::translate("LayoutLibrary", "Layout names are at most 60 characters long.");
    for (const QString &reserved : reservedNames()) {
        if (trimmed.compare(reserved, Qt::CaseInsensitive) == 0)
            return QCoreApplication::translate("LayoutLibrary", "\"%1\" is a built-in layout; pick another name.")
                .arg(reserved);
    }
    return {};
}

bool LayoutLibrary::save(const QString &name, const Layout &layout, QString *error)
{
    const QString problem = checkName(name);
    if (!problem.isEmpty()) {
        if (error)
            *error = problem;
        return false;
    }
    QSettings settings;
    settings.beginGroup(Group);
    settings.beginGroup(keyFor(name.trimmed()));
    settings.setValue(QStringLiteral("name"), name.trimmed());
    settings.setValue(QStringLiteral("state"), layout.state);
    settings.setValue(QStringLiteral("zoom"), layout.zoom);
    return true;
}

std::optional<LayoutLibrary::Layout> LayoutLibrary::load(const QString &name)
{
    QSettings settings;
    settings.beginGroup(Group);
    settings.beginGroup(keyFor(name.trimmed()));
    if (!settings.contains(QStringLiteral("state")))
        return std::nullopt;
    Layout layout;
    layout.state = settings.value(QStringLiteral("state")).toByteArray();
    layout.zoom = settings.value(QStringLiteral("zoom"), 1.0).toDouble();
    return layout;
}

void LayoutLibrary::remove(const QString &name)
{
    QSettings settings;
    settings.beginGroup(Group);
    settings.remove(keyFor(name.trimmed()));
}
