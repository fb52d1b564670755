#pragma once
// Internal to the PostgreSQL store: schema migrations keyed on the table
// uw_schema_version (one row: the version).
#include <libpq-fe.h>

#include "core/result.hpp"

namespace uw::store_pg_schema {

// Version a fully migrated database has.
int latest_version();
// The database's version (0 when it has no uw_schema_version table yet, -1 on error).
int current_version(PGconn* pg);
// Applies every step above the current version, in order, each in its own
// transaction that also bumps the version, under a transaction-scoped advisory
// lock so that programs opening the database at once do not both apply a
// step. A database newer than this program is an error (no downgrades).
Result<Unit> migrate(PGconn* pg);

}  // namespace uw::store_pg_schema
