// SearchQuery: cleaning search text down to quoted words.
#include "searchquery.h"

SearchQuery SearchQuery::parse(const QString &text, QList<FieldError> *errors)
{
    SearchQuery q;
    if (text.size() > MaxLength) {
        if (errors) {
            errors->append({ QStringLiteral("query"),
                QStringLiteral("Search text is too long: at most %1 characters (got %2).")
                    .arg(MaxLength)
                    .arg(text.size()) });
        }
        return q;
    }
    // Control characters and broken UTF-16 become separators: they can
    // never be part of a product name anyway.
    QString clean;
    clean.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c.isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) {
            clean += c;
            clean += text.at(++i);
        } else if (c.isSurrogate() || c.category() == QChar::Other_Control || c.unicode() == 0xFEFF) {
            clean += QLatin1Char(' ');
        } else {
            clean += c;
        }
    }
    for (const QString &word : clean.toLower().split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const QString w = word.trimmed();
        bool hasWordChar = false;
        for (const QChar c : w)
            hasWordChar = hasWordChar || c.isLetterOrNumber();
        if (hasWordChar)
            q.m_terms << w;
    }
    if (q.m_terms.size() > MaxTerms) {
        if (errors) {
            errors->append({ QStringLiteral("query"),
                QStringLiteral("Search for at most %1 words (got %2).").arg(MaxTerms).arg(q.m_terms.size()) });
        }
        q.m_terms.clear();
    }
    return q;
}

QString SearchQuery::ftsExpression() const
{
    QStringList parts;
    for (qsizetype i = 0; i < m_terms.size(); ++i) {
        QString quoted = m_terms.at(i);
        quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        quoted = QLatin1Char('"') + quoted + QLatin1Char('"');
        if (i == m_terms.size() - 1)
            quoted += QLatin1Char('*');
        parts << quoted;
    }
    return parts.join(QLatin1Char(' '));
}

QStringList SearchQuery::likePatterns() const
{
    QStringList out;
    for (QString t : m_terms) {
        t.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
        t.replace(QLatin1Char('%'), QStringLiteral("\\%"));
        t.replace(QLatin1Char('_'), QStringLiteral("\\_"));
        out << QLatin1Char('%') + t + QLatin1Char('%');
    }
    return out;
}
