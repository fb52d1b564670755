// uw::Store: the follow graph.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/log.hpp"
#include "core/store/sqlite/sql.hpp"
#include "core/store/sqlite/store.hpp"

namespace uw {

using namespace store_sql;

namespace {

constexpr int kMaxPageLimit = 1000;

bool user_exists(sqlite3_stmt* by_id, int64_t id) {
  Query q(by_id);
  q.bind(1, id);
  return q.step() == SQLITE_ROW;
}

// Both ends of a follow must exist and differ; 404 / 422 otherwise.
std::optional<Error> check_pair(sqlite3_stmt* by_id, int64_t follower_id, int64_t followee_id) {
  if (follower_id == followee_id) return Error{422, "self_follow", "You cannot follow yourself."};
  if (!user_exists(by_id, follower_id) || !user_exists(by_id, followee_id)) {
    return Error{404, "no_such_user", "No such user."};
  }
  return std::nullopt;
}

Page<User> run_user_page(sqlite3* db, sqlite3_stmt* s, int64_t user_id, std::optional<int64_t> before,
                         int limit, const char* what) {
  Page<User> page;
  if (limit <= 0) return page;
  limit = std::min(limit, kMaxPageLimit);
  Query q(s);
  q.bind(1, user_id)
      .bind(2, before.value_or(std::numeric_limits<int64_t>::max()))
      .bind(3, static_cast<int64_t>(limit) + 1);
  std::vector<int64_t> follow_ids;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    follow_ids.push_back(q.i64(0));
    page.items.push_back(User{q.i64(1), q.text(2), q.i64(3)});
  }
  if (rc != SQLITE_DONE) {
    log::error("store: {}: {}", what, sqlite3_errmsg(db));
    return {};
  }
  if (page.items.size() > static_cast<size_t>(limit)) {
    page.items.pop_back();
    follow_ids.pop_back();
    page.next_before = follow_ids.back();  // the cursor is the follow row id, not the user id
  }
  return page;
}

std::vector<int64_t> collect_ids(sqlite3* db, Query& q, const char* what) {
  std::vector<int64_t> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(q.i64(0));
  if (rc != SQLITE_DONE) log::error("store: {}: {}", what, sqlite3_errmsg(db));
  return out;
}

}  // namespace

Result<bool> SqliteStore::follow(int64_t follower_id, int64_t followee_id, int64_t now_s) {
  if (auto e = check_pair((*st_)[kUserById], follower_id, followee_id)) return *e;
  // The follow and the followee's "followed you" in one savepoint: nested in
  // the writer's transaction, or the transaction itself outside one (tests).
  if (Query((*st_)[kSavepoint]).step() != SQLITE_DONE) return db_error(db_, "follow: savepoint");
  const auto undo = [&](Error e) -> Result<bool> {
    Query((*st_)[kRollbackTo]).step();
    Query((*st_)[kRelease]).step();
    return e;
  };
  bool added = false;
  {
    Query q((*st_)[kFollowInsert]);
    q.bind(1, follower_id).bind(2, followee_id).bind(3, now_s);
    const int rc = q.step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return undo(Error{404, "no_such_user", "No such user."});
    if (rc != SQLITE_DONE) return undo(db_error(db_, "follow"));
    added = sqlite3_changes(db_) > 0;
  }
  if (added) {
    Query n((*st_)[kFollowNoteInsert]);
    n.bind(1, follower_id).bind(2, followee_id).bind(3, now_s).bind(4, kFollowNotificationRepeatS);
    if (n.step() != SQLITE_DONE) return undo(db_error(db_, "follow: notification"));
  }
  if (Query((*st_)[kRelease]).step() != SQLITE_DONE) return undo(db_error(db_, "follow: release"));
  return added;
}

Result<bool> SqliteStore::unfollow(int64_t follower_id, int64_t followee_id) {
  if (auto e = check_pair((*st_)[kUserById], follower_id, followee_id)) return *e;
  Query q((*st_)[kFollowDelete]);
  q.bind(1, follower_id).bind(2, followee_id);
  if (q.step() != SQLITE_DONE) return db_error(db_, "unfollow");
  return sqlite3_changes(db_) > 0;
}

bool SqliteStore::is_following(int64_t follower_id, int64_t followee_id) {
  Query q((*st_)[kIsFollowing]);
  q.bind(1, follower_id).bind(2, followee_id);
  return q.step() == SQLITE_ROW;
}

Page<User> SqliteStore::followers(int64_t user_id, std::optional<int64_t> before, int limit) {
  return run_user_page(db_, (*st_)[kFollowersPage], user_id, before, limit, "followers");
}

Page<User> SqliteStore::following(int64_t user_id, std::optional<int64_t> before, int limit) {
  return run_user_page(db_, (*st_)[kFollowingPage], user_id, before, limit, "following");
}

std::vector<int64_t> SqliteStore::follower_ids(int64_t user_id, int64_t after_id, int limit) {
  if (limit <= 0) return {};
  Query q((*st_)[kFollowerIds]);
  q.bind(1, user_id).bind(2, after_id).bind(3, static_cast<int64_t>(limit));
  return collect_ids(db_, q, "follower_ids");
}

std::vector<int64_t> SqliteStore::followee_ids(int64_t user_id) {
  Query q((*st_)[kFolloweeIds]);
  q.bind(1, user_id);
  return collect_ids(db_, q, "followee_ids");
}

}  // namespace uw
