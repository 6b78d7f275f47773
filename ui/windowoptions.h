// WindowOptions: the few command-line choices the dashboard window acts on.
//
// app/ parses the command line (AppOptions) and copies what the window needs
// into this struct, so ui/ depends on core/ only and never on app/.
#pragma once

#include <QString>

struct WindowOptions final
{
    /// The --db path as given (empty: the default file). File > Connect
    /// passes it on to the CacheLab it restarts.
    QString dbPath;
    /// Play the DemoScript once Redis answers.
    bool demo = false;
    /// Start in presentation mode (--presentation).
    bool presentation = false;
    /// Non-empty: the window is rendered once into this file. It then starts
    /// from the first-run layout and saves no layout of its own.
    QString screenshotPath;
};
