// PriceText: prices as a person types and reads them ("19.90"), stored in cents.
//
// The products table shows prices with two decimals in the user's locale
// (ProductsTableModel::formatPrice); the editor takes them the same way.
// Accepted: "19.90", "19.9", "19", "1,234.50" with the locale's separators,
// and "." as the decimal point in any locale. Refused, with a message a
// person can act on: more than two decimals, a minus sign, letters, and
// amounts beyond what 64-bit cents hold. Nothing is rounded silently.
#pragma once

#include <QString>

#include <optional>

namespace PriceText {

/// Cents for text, or nullopt with *error set.
std::optional<qint64> parse(const QString &text, QString *error);
/// Cents as the table shows them ("19.90").
QString format(qint64 cents);

} // namespace PriceText
