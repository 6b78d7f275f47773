// TagValidator: what a valid product tag is, in one place.
//
// A tag is trimmed and lowercased first, then must be 1..32 characters of
// a-z, 0-9, '-' and '_'. That keeps tags safe as part of a Redis key
// ("tag:{name}", no glob characters for SCAN patterns) and unambiguous in
// the comma-separated editor field. A product carries at most 16 tags.
// The store, the tag service and the editor all call this, so an invalid
// tag never reaches SQLite or Redis.
#pragma once

#include "productvalidator.h"

#include <QStringList>

namespace TagValidator {

constexpr int MaxTagLength = 32;
constexpr int MaxTagsPerProduct = 16;

/// Normalises (trims, lowercases) one tag; returns its errors (field "tags").
QList<FieldError> validateTag(QString &tag);
/// Normalises every tag, drops duplicates and sorts; all errors at once.
/// An empty entry is an error (the list came from a caller, not a person).
QList<FieldError> validateTags(QStringList &tags);
/// The editor's comma-separated text as a list; blank pieces (a trailing
/// comma) are dropped. Nothing is validated here.
QStringList splitTags(const QString &text);

} // namespace TagValidator
