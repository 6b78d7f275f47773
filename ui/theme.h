// Theme: the dashboard's colours, in one place, for light and dark palettes.
//
// Colours carry meaning (a hit is green everywhere: trace, events, charts),
// so every panel asks here instead of inventing its own.
#pragma once

#include "operationtrace.h"

#include <QColor>
#include <QString>

namespace Theme {

/// True when the application palette is dark (window text lighter than window).
bool isDark();
/// A trace outcome: hit green, miss amber, fill blue, invalidate purple, ...
QColor outcomeColor(TraceOutcome outcome);
/// App, Redis, SQLite lanes.
QColor systemColor(TraceSystem system);
QString systemLabel(TraceSystem system);
/// A keyspace event kind: expired orange, evicted red, del grey, set/hset blue, ...
QColor eventColor(const QString &event);
/// Accent for charts and highlights.
QColor accent();
/// Muted text (dimmed rows, captions).
QColor muted();
/// Text colour that reads on top of the given background.
QColor textOn(const QColor &background);
/// Installs the application style sheet additions (small, palette-aware).
void apply();
/// Switches the application to the Fusion style with a light or dark
/// palette of CacheLab's own (--palette), instead of the desktop's.
void usePalette(bool dark);

} // namespace Theme
