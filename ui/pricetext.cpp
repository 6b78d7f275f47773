// PriceText: a strict decimal parser (no floating point on the way to cents).
#include "pricetext.h"

#include <QCoreApplication>
#include <QLocale>

#include <limits>

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("PriceText", text);
}
} // namespace

std::optional<qint64> PriceText::parse(const QString &input, QString *error)
{
    const QLocale locale;
    QString text = input.trimmed();
    if (text.isEmpty()) {
        *error = tr("Enter a price, e.g. 19.90.");
        return std::nullopt;
    }
    if (text.startsWith(QLatin1Char('-')) || text.startsWith(locale.negativeSign())) {
        *error = tr("A price cannot be negative.");
        return std::nullopt;
    }
    // The locale's decimal point, or '.', splits whole units from cents;
    // group separators (and spaces) are only allowed in the whole part.
    const QChar point = locale.decimalPoint().isEmpty() ? QLatin1Char('.') : locale.decimalPoint().at(0);
    qsizetype split = text.lastIndexOf(point);
    if (split < 0 && point != QLatin1Char('.'))
        split = text.lastIndexOf(QLatin1Char('.'));
    QString whole = split < 0 ? text : text.left(split);
    const QString fraction = split < 0 ? QString() : text.mid(split + 1);
    const QString group = locale.groupSeparator();
    if (!group.isEmpty() && group != QString(point))
        whole.remove(group);
    whole.remove(QLatin1Char(' '));
    whole.remove(QChar(0x00A0)); // no-break space, a common group separator
    if (whole.isEmpty())
        whole = QStringLiteral("0");
    const auto digitsOnly = [](const QString &s) {
        for (QChar c : s) {
            if (c < QLatin1Char('0') || c > QLatin1Char('9'))
                return false;
        }
        return true;
    };
    if (!digitsOnly(whole) || !digitsOnly(fraction)
        || (split >= 0 && fraction.isEmpty() && whole == QLatin1String("0"))) {
        *error
            = tr("\"%1\" is not a price: use digits and at most one decimal point, e.g. 19.90.").arg(input.trimmed());
        return std::nullopt;
    }
    if (fraction.size() > 2) {
        *error = tr("A price has at most two decimals (cents): \"%1\".").arg(input.trimmed());
        return std::nullopt;
    }
    bool ok = false;
    const qint64 units = whole.toLongLong(&ok);
    constexpr qint64 Max = std::numeric_limits<qint64>::max();
    const qint64 cents = fraction.isEmpty() ? 0 : fraction.leftJustified(2, QLatin1Char('0')).toLongLong();
    if (!ok || units > (Max - cents) / 100) {
        *error = tr("That price is too large.");
        return std::nullopt;
    }
    return units * 100 + cents;
}

QString PriceText::format(qint64 cents)
{
    // Integer arithmetic, so large prices are not rounded through a double.
    const QLocale locale;
    const QString units = locale.toString(cents / 100);
    return QStringLiteral("%1%2%3").arg(units, locale.decimalPoint()).arg(cents % 100, 2, 10, QLatin1Char('0'));
}
