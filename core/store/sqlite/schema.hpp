#pragma once
// Internal to the store: schema migrations keyed on PRAGMA user_version.
#include <sqlite3.h>

#include "core/result.hpp"

namespace uw::store_schema {

// Version a fully migrated database has (PRAGMA user_version).
int latest_version();
// PRAGMA user_version of the open database (0 for a new file, -1 on error).
int current_version(sqlite3* db);
// Applies every step above the current version, in order, each in its own
// BEGIN IMMEDIATE transaction that also bumps user_version, so a crash leaves
// the database at a whole version. A database newer than this program is an
// error (no downgrades). Writer connection only.
// `target` (tests only) stops at an older version, to build old databases.
Result<Unit> migrate(sqlite3* db, int target = latest_version());
// The search index's tables in the attached database `search` (idempotent:
// CREATE ... IF NOT EXISTS). Run by writable connections after ATTACH.
const char* search_schema();

}  // namespace uw::store_schema
