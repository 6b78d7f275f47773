// LabCommand: `cachelab lab ...`, a lab run without the window.
//
//   cachelab lab --list [--json]
//   cachelab lab NAME [--seed N] [--param KEY=VALUE]... [--json] [--out DIR] [--trace]
//
// Prints one JSON object (--json) or a readable summary; --out also writes
// NAME.json, each chart as PNG and SVG and each table as CSV. Exit status:
// 0 the lab ran and matched its reference, 1 it ran and did not match, 2 a
// bad command line, 3 the lab could not run (no redis-server, a refusal).
#pragma once

#include <QStringList>

namespace LabCommand {

/// True when argv asks for the lab command (argv[1] == "lab").
bool wanted(int argc, char **argv);
/// Runs it; returns the exit status. Creates its own QApplication.
int run(int argc, char **argv);

} // namespace LabCommand
