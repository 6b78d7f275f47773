// actionText: an action's or button's text as a sentence shows it.
//
// Menu and button texts carry mnemonics ("&Warm Up Cache", "Save &tx") and
// sometimes an ellipsis ("Connect to Redis…"); neither belongs in a status
// message or the shortcuts list. "&&" is a literal ampersand and stays one.
#pragma once

#include <QString>

class QAction;

/// "&Warm Up Cache" -> "Warm Up Cache", "R&&D" -> "R&D", "Export…" -> "Export".
QString withoutMnemonics(const QString &text);
/// The action's text without mnemonics or a trailing ellipsis.
QString actionText(const QAction *action);
