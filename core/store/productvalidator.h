// ProductValidator: the one place that decides what a valid product is.
//
// Rules: name is 1..100 characters after trimming (spaces and a leading
// byte-order mark U+FEFF are removed), valid UTF-16 (no lone
// surrogates), no control characters; price is an integer >= 0 that fits in
// a signed 64-bit value; id (when given) > 0. Every layer (store, service,
// HTTP API, editor) calls this so an invalid value never reaches Redis or SQLite.
#pragma once

#include <QList>
#include <QString>

struct FieldError final
{
    QString field;   ///< "id", "name" or "price"
    QString message; ///< sentence a person can act on
    bool operator==(const FieldError &o) const { return field == o.field && message == o.message; }
};

namespace ProductValidator {

constexpr int MaxNameLength = 100;

/// Normalises (trims) the name; returns its errors (empty = valid).
QList<FieldError> validateName(QString &name);
QList<FieldError> validatePrice(qint64 price);
QList<FieldError> validateId(qint64 id);
/// Parses a price given as text (editor, HTTP); rejects signs other than
/// none, fractions, exponents, overflow. On success sets *price.
QList<FieldError> parsePrice(const QString &text, qint64 *price);
/// All checks at once; id <= 0 with idRequired=false means "new product".
QList<FieldError> validate(qint64 id, QString &name, qint64 price, bool idRequired);
/// "name: ...; price: ..." for logs and one-line error displays.
QString describe(const QList<FieldError> &errors);

} // namespace ProductValidator
