// LabRegistry: every lab by name, for the Labs window and `cachelab lab`.
#pragma once

#include <QObject>
#include <QStringList>
#include <memory>

class Lab;

namespace LabRegistry {

/// The labs, in the order a course meets them.
QStringList names();
/// A new lab of that name, or nullptr for a name not in names().
std::unique_ptr<Lab> create(const QString &name, QObject *parent = nullptr);

} // namespace LabRegistry
