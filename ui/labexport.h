// LabExport: a finished lab as files: NAME.json, each chart as PNG and SVG
// (rendered at 1280x720, whatever the window shows), each table as CSV.
// The Labs panel's Export and `cachelab lab --out` both write through here.
#pragma once

#include <QCoreApplication>
#include <QString>
#include <QStringList>

class Lab;

class LabExport final
{
    Q_DECLARE_TR_FUNCTIONS(LabExport)

public:
    /// Writes every file into dir (made if missing). On failure false with
    /// a message in *error; *written lists the files written (full paths).
    static bool write(const Lab &lab, const QString &dir, QString *error, QStringList *written = nullptr);
};
