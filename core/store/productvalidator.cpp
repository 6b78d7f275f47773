// ProductValidator: the rules for a valid product, with messages a person can act on.
//
// Name length is counted in Unicode code points (what a person sees as one
// character for almost all scripts and for single emoji), not in UTF-16
// units: "👍" counts 1, not 2. That is also what SQLite's length() returns
// for TEXT, so a SQL check and this validator agree. Grapheme clusters (an
// emoji family joined by ZWJ) count as several code points, on purpose:
// it keeps the rule simple and predictable.
#include "productvalidator.h"

#include <limits>

namespace {

const QString NameField = QStringLiteral("name");
const QString PriceField = QStringLiteral("price");
const QString IdField = QStringLiteral("id");

QString codePointLabel(char32_t cp)
{
    return QStringLiteral("U+") + QString::number(static_cast<uint>(cp), 16).toUpper().rightJustified(4, u'0');
}

bool isControl(char32_t cp)
{
    return cp <= 0x1F || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

// Echoes user text back inside a message without letting it break the line
// or run on for a page.
QString quoted(const QString &text)
{
    constexpr int MaxEcho = 24;
    QString shown;
    for (const QChar c : text) {
        const ushort u = c.unicode();
        shown += (u < 0x20 || u == 0x7F || (u >= 0x80 && u <= 0x9F)) ? QChar(u'?') : c;
    }
    if (shown.size() > MaxEcho)
        shown = shown.left(MaxEcho) + QChar(0x2026);
    return QLatin1Char('"') + shown + QLatin1Char('"');
}

} // namespace

namespace ProductValidator {

QList<FieldError> validateName(QString &name)
{
    // A leading U+FEFF (byte-order mark, often pasted from files) is dropped
    // like surrounding spaces: SQLite strips it from UTF-16 text on the way
    // in, so keeping it would store something other than what was validated.
    name = name.trimmed();
    while (name.startsWith(QChar(0xFEFF)))
        name = name.mid(1).trimmed();
    if (name.isEmpty())
        return { { NameField, QStringLiteral("Name must not be empty (spaces alone do not count).") } };

    // Walk code points by hand so a lone surrogate is found (QStringIterator
    // would silently turn it into U+FFFD).
    qsizetype codePoints = 0;
    for (qsizetype i = 0; i < name.size(); ++i) {
        ++codePoints;
        const QChar c = name.at(i);
        char32_t cp = c.unicode();
        if (c.isHighSurrogate()) {
            if (i + 1 < name.size() && name.at(i + 1).isLowSurrogate()) {
                cp = QChar::surrogateToUcs4(c, name.at(i + 1));
                ++i;
            } else {
                return { { NameField,
                    QStringLiteral("Name contains invalid text (a broken character at "
                                   "position %1); retype it or paste it again.")
                        .arg(codePoints) } };
            }
        } else if (c.isLowSurrogate()) {
            return { { NameField,
                QStringLiteral("Name contains invalid text (a broken character at "
                               "position %1); retype it or paste it again.")
                    .arg(codePoints) } };
        }
        if (isControl(cp)) {
            return { { NameField,
                QStringLiteral("Name must not contain control characters such as tabs "
                               "or line breaks (found %1 at position %2).")
                    .arg(codePointLabel(cp))
                    .arg(codePoints) } };
        }
    }
    if (codePoints > MaxNameLength) {
        return { { NameField,
            QStringLiteral("Name must be at most %1 characters (got %2).").arg(MaxNameLength).arg(codePoints) } };
    }
    return {};
}

QList<FieldError> validatePrice(qint64 price)
{
    if (price < 0)
        return { { PriceField, QStringLiteral("Price must be 0 or more (got %1).").arg(price) } };
    return {};
}

QList<FieldError> validateId(qint64 id)
{
    if (id <= 0)
        return { { IdField, QStringLiteral("Id must be a whole number greater than 0 (got %1).").arg(id) } };
    return {};
}

QList<FieldError> parsePrice(const QString &text, qint64 *price)
{
    const QString t = text.trimmed();
    if (t.isEmpty())
        return { { PriceField, QStringLiteral("Price is required: enter a whole number of cents, e.g. 1250.") } };

    const QChar first = t.front();
    if (first == u'+')
        return { { PriceField,
            QStringLiteral("Price must be written without a sign (got %1); write %2.")
                .arg(quoted(t), quoted(t.mid(1))) } };
    if (first == u'-' || first == QChar(0x2212))
        return { { PriceField, QStringLiteral("Price must be 0 or more (got %1).").arg(quoted(t)) } };

    bool allDigitsOrPoint = true;
    bool sawPoint = false;
    bool sawExponent = false;
    for (const QChar c : t) {
        if (c == u'.' || c == u',') {
            sawPoint = true;
        } else if (c == u'e' || c == u'E') {
            sawExponent = true;
        } else if (c < u'0' || c > u'9') {
            allDigitsOrPoint = false;
        }
    }
    if (allDigitsOrPoint && sawExponent)
        return { { PriceField,
            QStringLiteral("Price must be written out in digits, without an exponent "
                           "(got %1).")
                .arg(quoted(t)) } };
    if (allDigitsOrPoint && sawPoint)
        return { { PriceField,
            QStringLiteral("Price must be a whole number of cents, without a decimal "
                           "point (got %1; for 12.50 write 1250).")
                .arg(quoted(t)) } };
    if (!allDigitsOrPoint || sawPoint || sawExponent)
        return { { PriceField, QStringLiteral("Price must contain only the digits 0-9 (got %1).").arg(quoted(t)) } };

    constexpr qint64 Max = std::numeric_limits<qint64>::max();
    qint64 value = 0;
    for (const QChar c : t) {
        const int digit = c.unicode() - u'0';
        if (value > (Max - digit) / 10) {
            return { { PriceField,
                QStringLiteral("Price is too large: the maximum is %1 (got %2).").arg(Max).arg(quoted(t)) } };
        }
        value = value * 10 + digit;
    }
    if (price)
        *price = value;
    return {};
}

QList<FieldError> validate(qint64 id, QString &name, qint64 price, bool idRequired)
{
    QList<FieldError> errors;
    if (idRequired)
        errors += validateId(id);
    errors += validateName(name);
    errors += validatePrice(price);
    return errors;
}

QString describe(const QList<FieldError> &errors)
{
    QStringList parts;
    parts.reserve(errors.size());
    for (const FieldError &e : errors)
        parts << e.field + QStringLiteral(": ") + e.message;
    return parts.join(QStringLiteral("; "));
}

} // namespace ProductValidator
