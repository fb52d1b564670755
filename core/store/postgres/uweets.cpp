// uw::PgStore: uweets, mentions, timelines, full-text search and the follow graph.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/log.hpp"
#include "core/rules.hpp"
#include "core/store/postgres/conn.hpp"
#include "core/store/postgres/store.hpp"

namespace uw {

using namespace pg;

namespace {

// Largest page any list returns, whatever the caller asks for.
constexpr int kMaxPageLimit = 1000;

int64_t upper_bound(std::optional<int64_t> before) {
  return before.value_or(std::numeric_limits<int64_t>::max());
}

Uweet read_uweet(const Rows& r, int row) {
  return Uweet{r.i64(row, 0), r.i64(row, 1), r.text(row, 2), r.text(row, 3), r.i64(row, 4)};
}

// A list query whose last parameter is the LIMIT: asks for one row more than
// the page holds, so the cursor is set only when an older page really exists.
Page<Uweet> run_page(PgStore::Conn& c, Id id, std::vector<Param> params, int limit, const char* what) {
  Page<Uweet> page;
  params.emplace_back(static_cast<int64_t>(limit) + 1);
  auto r = c.run(id, params, what);
  if (!r) {
    log::error("store: {}", r.error().message);
    return page;
  }
  for (int i = 0; i < r->size(); ++i) page.items.push_back(read_uweet(*r, i));
  if (page.items.size() > static_cast<size_t>(limit)) {
    page.items.pop_back();
    page.next_before = page.items.back().id;
  }
  return page;
}

std::string int_array(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "}";
}

std::vector<int64_t> collect_ids(Result<Rows> r, const char* what) {
  std::vector<int64_t> out;
  if (!r) {
    log::error("store: {}: {}", what, r.error().message);
    return out;
  }
  for (int i = 0; i < r->size(); ++i) out.push_back(r->i64(i, 0));
  return out;
}

}  // namespace

// insert_uweet and insert_uweets: postgres/insert.cpp.

Result<DeletedUweet> PgStore::delete_uweet(int64_t author_id, int64_t uweet_id, int64_t now_ms) {
  DeletedUweet out;
  out.mentioned_user_ids = mentions(uweet_id);  // read before the cascade removes them
  auto r = c_->run(kUweetDeleteOwn, {author_id, uweet_id, now_ms}, "delete uweet");
  if (!r) return r.error();
  if (r->size() == 0) {
    auto found = c_->run(kUweetById, {uweet_id}, "delete uweet: look-up");
    if (!found) return found.error();
    if (found->size() > 0) return Error{403, "not_your_uweet", "You can delete only your own uweets."};
    return Error{404, "no_such_uweet", "There is no such uweet."};
  }
  out.uweet = read_uweet(*r, 0);
  out.seq = r->i64(0, 5);
  return out;
}

std::vector<Deletion> PgStore::deletions_after(int64_t after_seq, int limit) {
  std::vector<Deletion> out;
  if (limit <= 0) return out;
  auto r = c_->run(kDeletionsAfter, {after_seq, static_cast<int64_t>(std::min(limit, kMaxPageLimit))},
                   "deletions after");
  if (!r) {
    log::error("store: {}", r.error().message);
    return out;
  }
  for (int i = 0; i < r->size(); ++i)
    out.push_back(Deletion{r->i64(i, 0), r->i64(i, 1), r->i64(i, 2), r->i64(i, 3)});
  return out;
}

std::optional<Uweet> PgStore::uweet(int64_t id) {
  auto r = c_->run(kUweetById, {id}, "uweet");
  if (!r || r->size() == 0) return std::nullopt;
  return read_uweet(*r, 0);
}

std::vector<int64_t> PgStore::mentions(int64_t uweet_id) {
  return collect_ids(c_->run(kMentions, {uweet_id}, "mentions"), "mentions");
}

Page<Uweet> PgStore::public_timeline(std::optional<int64_t> before, int limit) {
  if (limit <= 0) return {};
  limit = std::min(limit, kMaxPageLimit);
  return run_page(*c_, kPublicTimeline, {upper_bound(before)}, limit, "public_timeline");
}

Page<Uweet> PgStore::user_uweets(int64_t author_id, std::optional<int64_t> before, int limit) {
  if (limit <= 0) return {};
  limit = std::min(limit, kMaxPageLimit);
  return run_page(*c_, kUserUweets, {author_id, upper_bound(before)}, limit, "user_uweets");
}

Page<Uweet> PgStore::home_timeline(int64_t user_id, std::optional<int64_t> before, int limit) {
  return home_timeline_by_sql(user_id, before, limit);
}

Page<Uweet> PgStore::home_timeline_by_sql(int64_t user_id, std::optional<int64_t> before, int limit) {
  if (limit <= 0) return {};
  limit = std::min(limit, kMaxPageLimit);
  return run_page(*c_, kHomeTimeline, {user_id, upper_bound(before)}, limit, "home_timeline");
}

Page<Uweet> PgStore::search(std::string_view query, std::optional<int64_t> before, int limit) {
  if (limit <= 0 || !rules::valid_utf8(query)) return {};
  // NUL cannot travel in a text parameter; like any control character it
  // only separates words.
  std::string text(query);
  std::replace(text.begin(), text.end(), '\0', ' ');
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  limit = std::min(limit, kMaxPageLimit);
  return run_page(*c_, kSearch, {text, upper_bound(before)}, limit, "search");
}

Result<int> PgStore::index_pending(int /*limit*/) { return 0; }

int64_t PgStore::indexed_upto() {
  auto r = c_->run(kNewestId, {}, "indexed_upto");
  if (!r || r->size() == 0) return 0;
  return r->i64(0, 0);
}

// ---- follows --------------------------------------------------------------

namespace {
// Both ends of a follow must exist and differ; 404 / 422 otherwise.
std::optional<Error> check_pair(PgStore::Conn& c, int64_t follower_id, int64_t followee_id) {
  if (follower_id == followee_id) return Error{422, "self_follow", "You cannot follow yourself."};
  auto r = c.run(kUsersExist, {int_array({follower_id, followee_id})}, "follow: users");
  if (!r) return r.error();
  if (r->size() == 0 || r->i64(0, 0) != 2) return Error{404, "no_such_user", "No such user."};
  return std::nullopt;
}

Page<User> run_user_page(PgStore::Conn& c, Id id, int64_t user_id, std::optional<int64_t> before, int limit,
                         const char* what) {
  Page<User> page;
  if (limit <= 0) return page;
  limit = std::min(limit, kMaxPageLimit);
  auto r = c.run(id, {user_id, upper_bound(before), static_cast<int64_t>(limit) + 1}, what);
  if (!r) {
    log::error("store: {}", r.error().message);
    return page;
  }
  std::vector<int64_t> follow_ids;
  for (int i = 0; i < r->size(); ++i) {
    follow_ids.push_back(r->i64(i, 0));
    page.items.push_back(User{r->i64(i, 1), r->text(i, 2), r->i64(i, 3)});
  }
  if (page.items.size() > static_cast<size_t>(limit)) {
    page.items.pop_back();
    follow_ids.pop_back();
    page.next_before = follow_ids.back();  // the cursor is the follow row id, not the user id
  }
  return page;
}
}  // namespace

Result<bool> PgStore::follow(int64_t follower_id, int64_t followee_id, int64_t now_s) {
  if (auto e = check_pair(*c_, follower_id, followee_id)) return *e;
  auto r = c_->run(kFollowInsert, {follower_id, followee_id, now_s, kFollowNotificationRepeatS}, "follow");
  if (!r) return r.error();
  return r->size() > 0 && r->i64(0, 0) > 0;
}

Result<bool> PgStore::unfollow(int64_t follower_id, int64_t followee_id) {
  if (auto e = check_pair(*c_, follower_id, followee_id)) return *e;
  auto r = c_->run(kFollowDelete, {follower_id, followee_id}, "unfollow");
  if (!r) return r.error();
  return r->affected() > 0;
}

bool PgStore::is_following(int64_t follower_id, int64_t followee_id) {
  auto r = c_->run(kIsFollowing, {follower_id, followee_id}, "is_following");
  return r && r->size() > 0;
}

Page<User> PgStore::followers(int64_t user_id, std::optional<int64_t> before, int limit) {
  return run_user_page(*c_, kFollowersPage, user_id, before, limit, "followers");
}

Page<User> PgStore::following(int64_t user_id, std::optional<int64_t> before, int limit) {
  return run_user_page(*c_, kFollowingPage, user_id, before, limit, "following");
}

std::vector<int64_t> PgStore::follower_ids(int64_t user_id, int64_t after_id, int limit) {
  if (limit <= 0) return {};
  return collect_ids(c_->run(kFollowerIds, {user_id, after_id, static_cast<int64_t>(limit)}, "follower_ids"),
                     "follower_ids");
}

std::vector<int64_t> PgStore::followee_ids(int64_t user_id) {
  return collect_ids(c_->run(kFolloweeIds, {user_id}, "followee_ids"), "followee_ids");
}

}  // namespace uw
