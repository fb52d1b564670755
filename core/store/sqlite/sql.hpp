#pragma once
// Internal to the SQLite store (core/store/sqlite/*.cpp): the prepared statements of one
// connection and a small RAII helper to bind, step and read them. Not for
// other folders: use uw::Store.
#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/store/sqlite/store.hpp"

namespace uw::store_sql {

// Every statement the store runs, prepared once at open and reused
// (sqlite3_reset + sqlite3_clear_bindings after each use).
enum Id : int {
  kBegin,
  kCommit,
  kRollback,
  kSavepoint,
  kRelease,
  kRollbackTo,
  kUserInsert,
  kUserAuth,
  kUserByName,
  kUserById,
  kUserSetHash,
  kUserSetProfile,
  kUsersAfter,
  kCountUweets,
  kCountFollowers,
  kCountFollowing,
  kSessionInsert,
  kSessionUser,
  kSessionDelete,
  kSessionDeleteExpired,
  kSessionDeleteOthers,
  kUweetInsert,
  kUweetByKey,
  kUweetById,
  kMentionInsert,
  kMentions,
  kPublicTimeline,
  kUserUweets,
  kHomeTimeline,
  kAuthorIds,
  kSearch,
  kIndexedUpto,
  kIndexRangeEnd,
  kIndexRange,
  kSetIndexedUpto,
  kFollowInsert,
  kFollowDelete,
  kIsFollowing,
  kFollowersPage,
  kFollowingPage,
  kFollowerIds,
  kFolloweeIds,
  kWarmUsers,
  kWarmFollows,
  kWarmUweetCounts,
  kLiveSessions,
  kUweetOwner,
  kUweetDelete,
  kMentionsDelete,
  kTombstoneInsert,
  kTombstoneByKey,
  kDeletionsAfter,
  kNameReserved,
  kAccountUweetIds,
  kAccountFollowerIds,
  kAccountFolloweeIds,
  kAccountTombstones,
  kAccountMentionsDelete,
  kAccountUweetsDelete,
  kAccountFollowsDelete,
  kAccountSessionsDelete,
  kAccountLogInsert,
  kAccountUserDelete,
  kAccountDeletionsAfter,
  kFollowNoteInsert,
  kNotesFollows,
  kNotesUweets,
  kNotesUnreadFollows,
  kNotesUnreadUweets,
  kNotesReadUpto,
  kNotesMarkRead,
  kStatementCount
};

// SQL text of a statement.
const char* sql(Id id);

// An Error from the connection's last failure (status 500 unless mapped).
Error db_error(sqlite3* db, std::string_view what);

// Borrowed use of one prepared statement: binds, steps, reads columns; resets
// and clears bindings when it goes out of scope so the next use starts clean.
class Query {
 public:
  explicit Query(sqlite3_stmt* s) : s_(s) {}
  ~Query() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Query& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(s_); }
  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  bool null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }
  std::string blob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }

 private:
  sqlite3_stmt* s_;
};

}  // namespace uw::store_sql

namespace uw {

struct SqliteStore::Statements {
  std::array<sqlite3_stmt*, store_sql::kStatementCount> stmt{};
  ~Statements() {
    for (auto* s : stmt) sqlite3_finalize(s);
  }
  sqlite3_stmt* operator[](store_sql::Id id) const { return stmt[id]; }
};

}  // namespace uw
