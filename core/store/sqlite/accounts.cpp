// uw::Store: deleting an account (delete_user) and the account deletion log.
#include <algorithm>

#include "core/log.hpp"
#include "core/rules.hpp"
#include "core/store/sqlite/sql.hpp"
#include "core/store/sqlite/store.hpp"

namespace uw {

using namespace store_sql;

namespace {

constexpr int kMaxPageLimit = 1000;

// The first column of every row of a one-parameter query.
Result<std::vector<int64_t>> ids(sqlite3* db, sqlite3_stmt* s, int64_t param, const char* what) {
  std::vector<int64_t> out;
  Query q(s);
  q.bind(1, param);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(q.i64(0));
  if (rc != SQLITE_DONE) return db_error(db, what);
  return out;
}

}  // namespace

// Everything in one savepoint: inside the writer's transaction it nests, and
// outside one (tests) it is the transaction. Tombstones are written before the
// uweets go, from the rows themselves (idempotency keys included).
Result<DeletedAccount> SqliteStore::delete_user(int64_t user_id, int64_t now_ms, int64_t reserved_until_s) {
  auto user = user_by_id(user_id);
  if (!user) return Error{404, "no_such_user", "No such user."};
  DeletedAccount out;
  out.user = std::move(*user);
  if (Query((*st_)[kSavepoint]).step() != SQLITE_DONE) return db_error(db_, "delete user: savepoint");
  const auto undo = [&](Error e) -> Result<DeletedAccount> {
    Query((*st_)[kRollbackTo]).step();
    Query((*st_)[kRelease]).step();
    return e;
  };
  auto uweets = ids(db_, (*st_)[kAccountUweetIds], user_id, "delete user: uweets");
  if (!uweets) return undo(uweets.error());
  auto followers = ids(db_, (*st_)[kAccountFollowerIds], user_id, "delete user: followers");
  if (!followers) return undo(followers.error());
  auto followees = ids(db_, (*st_)[kAccountFolloweeIds], user_id, "delete user: followees");
  if (!followees) return undo(followees.error());
  {
    Query q((*st_)[kAccountTombstones]);
    q.bind(1, user_id).bind(2, now_ms);
    if (q.step() != SQLITE_DONE) return undo(db_error(db_, "delete user: tombstones"));
  }
  for (Id id :
       {kAccountMentionsDelete, kAccountUweetsDelete, kAccountFollowsDelete, kAccountSessionsDelete}) {
    Query q((*st_)[id]);
    q.bind(1, user_id);
    if (q.step() != SQLITE_DONE) return undo(db_error(db_, "delete user"));
  }
  {
    Query q((*st_)[kAccountLogInsert]);
    q.bind(1, user_id)
        .bind(2, out.user.username)
        .bind(3, rules::username_key(out.user.username))
        .bind(4, now_ms)
        .bind(5, reserved_until_s);
    if (q.step() != SQLITE_DONE) return undo(db_error(db_, "delete user: log"));
    out.seq = sqlite3_last_insert_rowid(db_);
  }
  {
    Query q((*st_)[kAccountUserDelete]);
    q.bind(1, user_id);
    if (q.step() != SQLITE_DONE) return undo(db_error(db_, "delete user: row"));
  }
  if (Query((*st_)[kRelease]).step() != SQLITE_DONE) return undo(db_error(db_, "delete user: release"));
  out.uweet_ids = std::move(uweets.value());
  out.follower_ids = std::move(followers.value());
  out.followee_ids = std::move(followees.value());
  return out;
}

std::vector<AccountDeletion> SqliteStore::account_deletions_after(int64_t after_seq, int limit) {
  std::vector<AccountDeletion> out;
  if (limit <= 0) return out;
  Query q((*st_)[kAccountDeletionsAfter]);
  q.bind(1, after_seq).bind(2, static_cast<int64_t>(std::min(limit, kMaxPageLimit)));
  int rc;
  while ((rc = q.step()) == SQLITE_ROW)
    out.push_back(AccountDeletion{q.i64(0), q.i64(1), q.text(2), q.i64(3), q.i64(4)});
  if (rc != SQLITE_DONE) log::error("store: account_deletions_after: {}", sqlite3_errmsg(db_));
  return out;
}

}  // namespace uw
