// actionText: mnemonic and ellipsis stripping for texts shown outside menus.
#include "actiontext.h"

#include <QAction>

QString withoutMnemonics(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == QLatin1Char('&')) {
            // "&&" is one literal '&'; a single '&' marks the next letter.
            if (i + 1 < text.size() && text.at(i + 1) == QLatin1Char('&')) {
                out += c;
                ++i;
            }
            continue;
        }
        out += c;
    }
    if (out.endsWith(QChar(0x2026)))
        out.chop(1);
    else if (out.endsWith(QLatin1String("...")))
        out.chop(3);
    return out.trimmed();
}

QString actionText(const QAction *action)
{
    return action ? withoutMnemonics(action->text()) : QString();
}
