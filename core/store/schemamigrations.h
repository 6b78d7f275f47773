// SchemaMigrations: the database schema, one numbered step at a time.
//
// A file's PRAGMA user_version says which steps it has. open() brings every
// file up to LatestVersion, each step in its own transaction, so a file is
// always at exactly one version; a file newer than this program, or one that
// needs a step but cannot be written, is refused with a message saying why.
// Steps are only ever appended: a step that has shipped is never edited.
#pragma once

#include "storeresult.h"

class SqlSession;

namespace SchemaMigrations {

/// The version open() creates or migrates to (PRAGMA user_version).
constexpr int LatestVersion = 5;

/// Asks this SQLite whether it was built with FTS5 (*fts5). False (r Error)
/// when the question itself failed.
bool detectFullText(SqlSession &sql, bool *fts5, StoreResult &r);
/// Applies the missing steps. fts5: whether step 3 includes the full-text
/// index (without FTS5 search falls back to LIKE).
bool migrate(SqlSession &sql, bool fts5, StoreResult &r);
/// Creates the full-text index for a file migrated by a SQLite without FTS5,
/// the first time one with FTS5 opens it for writing. *exists: whether the
/// index is there afterwards (search uses it then).
bool ensureFullTextIndex(SqlSession &sql, bool fts5, bool *exists, StoreResult &r);

} // namespace SchemaMigrations
