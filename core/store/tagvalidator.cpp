// TagValidator: normalising and checking product tags.
#include "tagvalidator.h"

#include <algorithm>

namespace {

const QString TagsField = QStringLiteral("tags");

bool allowed(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'a' && u <= u'z') || (u >= u'0' && u <= u'9') || u == u'-' || u == u'_';
}

// Echoes a tag inside a message: short, and no control characters.
QString shown(const QString &tag)
{
    QString out;
    for (const QChar c : tag)
        out += (c.unicode() < 0x20 || c.unicode() == 0x7F) ? QChar(u'?') : c;
    if (out.size() > 24)
        out = out.left(24) + QChar(0x2026);
    return QLatin1Char('"') + out + QLatin1Char('"');
}

} // namespace

namespace TagValidator {

QList<FieldError> validateTag(QString &tag)
{
    tag = tag.trimmed().toLower();
    if (tag.isEmpty())
        return { { TagsField, QStringLiteral("A tag must not be empty.") } };
    if (tag.size() > MaxTagLength) {
        return { { TagsField,
            QStringLiteral("Tag %1 is too long: at most %2 characters (got %3).")
                .arg(shown(tag))
                .arg(MaxTagLength)
                .arg(tag.size()) } };
    }
    for (const QChar c : std::as_const(tag)) {
        if (!allowed(c)) {
            return { { TagsField,
                QStringLiteral("Tag %1 may contain only letters a-z, digits, '-' and '_' (found '%2').")
                    .arg(shown(tag), c.unicode() < 0x20 ? QStringLiteral("?") : QString(c)) } };
        }
    }
    return {};
}

QList<FieldError> validateTags(QStringList &tags)
{
    QList<FieldError> errors;
    for (QString &tag : tags)
        errors += validateTag(tag);
    if (!errors.isEmpty())
        return errors;
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    if (tags.size() > MaxTagsPerProduct) {
        return { { TagsField,
            QStringLiteral("A product can have at most %1 tags (got %2).").arg(MaxTagsPerProduct).arg(tags.size()) } };
    }
    return {};
}

QStringList splitTags(const QString &text)
{
    QStringList out;
    for (const QString &piece : text.split(QLatin1Char(','))) {
        if (!piece.trimmed().isEmpty())
            out << piece;
    }
    return out;
}

} // namespace TagValidator
