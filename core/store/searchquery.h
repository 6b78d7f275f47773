// SearchQuery: a person's search text made safe for SQLite.
//
// FTS5 has its own query language (AND, OR, NOT, NEAR, quotes, '*', '^',
// column filters), so raw user text can be a syntax error or mean
// something else than typed. parse() keeps only words (runs of text
// between spaces that contain a letter or digit), and ftsExpression()
// quotes each one as an FTS5 string, with a prefix '*' on the last so
// results appear while typing. The same words give the LIKE fallback.
// normalized() is the canonical form, used as the result-cache key.
#pragma once

#include "productvalidator.h"

#include <QStringList>

class SearchQuery final
{
public:
    static constexpr int MaxLength = 200; ///< characters of search text
    static constexpr int MaxTerms = 8;

    /// Errors (field "query") for text over MaxLength or with too many words;
    /// text with no words at all is valid and empty.
    static SearchQuery parse(const QString &text, QList<FieldError> *errors);

    bool isEmpty() const { return m_terms.isEmpty(); }
    QStringList terms() const { return m_terms; }
    /// "word1 word2" lowercased: equal for texts that search the same.
    QString normalized() const { return m_terms.join(QLatin1Char(' ')); }
    /// "\"word1\" \"word2\"*" for products_fts MATCH.
    QString ftsExpression() const;
    /// "%word%" per term, with %, _ and \ escaped (ESCAPE '\').
    QStringList likePatterns() const;

private:
    QStringList m_terms;
};
