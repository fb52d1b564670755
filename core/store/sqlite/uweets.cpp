// uw::Store: uweets, mentions, timelines and full-text search.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <queue>
#include <utility>

#include "core/log.hpp"
#include "core/rules.hpp"
#include "core/store/sqlite/sql.hpp"
#include "core/store/sqlite/store.hpp"

namespace uw {

using namespace store_sql;

namespace {

// Largest page any list returns, whatever the caller asks for.
constexpr int kMaxPageLimit = 1000;
// Above this many followees the home timeline is one SQL statement instead of
// a merge (a seek per author would then cost more than sorting ids).
constexpr size_t kMergeMaxAuthors = 2000;

Uweet read_uweet(const Query& q) { return Uweet{q.i64(0), q.i64(1), q.text(2), q.text(3), q.i64(4)}; }

int64_t upper_bound(std::optional<int64_t> before) {
  return before.value_or(std::numeric_limits<int64_t>::max());
}

// Runs a list query whose last parameter (at `limit_param`) is the LIMIT: asks
// for one row more than the page holds, so the cursor is set only when an
// older page really exists.
Page<Uweet> run_page(sqlite3* db, Query& q, int limit_param, int limit, const char* what) {
  Page<Uweet> page;
  q.bind(limit_param, static_cast<int64_t>(limit) + 1);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) page.items.push_back(read_uweet(q));
  if (rc != SQLITE_DONE) {
    log::error("store: {}: {}", what, sqlite3_errmsg(db));
    page.items.clear();
    return page;
  }
  if (page.items.size() > static_cast<size_t>(limit)) {
    page.items.pop_back();
    page.next_before = page.items.back().id;
  }
  return page;
}

// ASCII white space and every other C0 control (NUL included) separate terms.
bool is_query_space(char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; }

}  // namespace

// Turns user text into an FTS5 query that cannot be a syntax error: every
// white-space separated token becomes a quoted string ("..." with inner quotes
// doubled), and juxtaposed strings are an implicit AND. FTS5 operators typed by
// the user (NEAR, AND, -, *, :, ^, parentheses) are then just text.
std::string fts_query(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && is_query_space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !is_query_space(text[i])) ++i;
    if (i == start) break;
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : text.substr(start, i - start)) {
      out += c;
      if (c == '"') out += '"';
    }
    out += '"';
  }
  return out;
}

Result<Uweet> SqliteStore::insert_uweet(const NewUweet& u) {
  const auto by_key = [&]() -> std::optional<Uweet> {
    Query q((*st_)[kUweetByKey]);
    q.bind(1, u.author_id).bind(2, *u.idempotency_key);
    if (q.step() != SQLITE_ROW) return std::nullopt;
    return read_uweet(q);
  };
  if (u.idempotency_key) {
    if (auto first = by_key()) return *first;
    Query q((*st_)[kTombstoneByKey]);
    q.bind(1, u.author_id).bind(2, *u.idempotency_key);
    if (q.step() == SQLITE_ROW) return uweet_deleted_error(q.i64(0));
  }
  // One savepoint for the uweet, its FTS row (trigger) and its mentions, so the
  // three are stored together or not at all, inside or outside a caller's
  // transaction.
  {
    Query q((*st_)[kSavepoint]);
    if (q.step() != SQLITE_DONE) return db_error(db_, "insert uweet: savepoint");
  }
  const auto undo = [&](Error e) -> Result<Uweet> {
    {
      Query q((*st_)[kRollbackTo]);
      q.step();
    }
    {
      Query q((*st_)[kRelease]);
      q.step();
    }
    return e;
  };
  int64_t id = 0;
  {
    Query q((*st_)[kUweetInsert]);
    q.bind(1, u.author_id).bind(2, u.text).bind(3, u.created_at);
    if (u.idempotency_key) {
      q.bind(4, *u.idempotency_key);
    } else {
      q.bind_null(4);
    }
    const int rc = q.step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return undo(Error{404, "no_such_user", fmt::format("No user with id {}.", u.author_id)});
    }
    if (rc == SQLITE_CONSTRAINT_UNIQUE && u.idempotency_key) {
      // Another connection stored this key between our look-up and insert.
      static_cast<void>(undo(Error{}));
      if (auto first = by_key()) return *first;
      return db_error(db_, "insert uweet: idempotency key");
    }
    if (rc == SQLITE_CONSTRAINT_CHECK) {
      return undo(Error{422, "uweet_too_long", "A uweet has 1 to 141 characters."});
    }
    if (rc != SQLITE_DONE) return undo(db_error(db_, "insert uweet"));
    id = sqlite3_last_insert_rowid(db_);
  }
  for (int64_t user_id : u.mentioned_user_ids) {
    Query q((*st_)[kMentionInsert]);
    q.bind(1, id).bind(2, user_id);
    const int rc = q.step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return undo(Error{404, "no_such_user", fmt::format("Mentioned user {} does not exist.", user_id)});
    }
    if (rc != SQLITE_DONE) return undo(db_error(db_, "insert mention"));
  }
  {
    Query q((*st_)[kRelease]);
    if (q.step() != SQLITE_DONE) return undo(db_error(db_, "insert uweet: release"));
  }
  if (auto stored = uweet(id)) return *stored;
  return db_error(db_, "insert uweet: read back");
}

// The uweet row and its mentions go; a tombstone stays (deleted_uweets). One
// savepoint, so the three happen together or not at all.
Result<DeletedUweet> SqliteStore::delete_uweet(int64_t author_id, int64_t uweet_id, int64_t now_ms) {
  auto found = uweet(uweet_id);
  if (!found) return Error{404, "no_such_uweet", "There is no such uweet."};
  if (found->author_id != author_id)
    return Error{403, "not_your_uweet", "You can delete only your own uweets."};
  std::optional<std::string> key;
  {
    Query q((*st_)[kUweetOwner]);
    q.bind(1, uweet_id);
    if (q.step() != SQLITE_ROW) return db_error(db_, "delete uweet: read");
    if (!q.null(1)) key = q.text(1);
  }
  DeletedUweet out;
  out.uweet = std::move(*found);
  out.mentioned_user_ids = mentions(uweet_id);
  if (Query((*st_)[kSavepoint]).step() != SQLITE_DONE) return db_error(db_, "delete uweet: savepoint");
  const auto undo = [&](Error e) -> Result<DeletedUweet> {
    Query((*st_)[kRollbackTo]).step();
    Query((*st_)[kRelease]).step();
    return e;
  };
  {
    Query q((*st_)[kTombstoneInsert]);
    q.bind(1, uweet_id).bind(2, author_id).bind(4, now_ms);
    if (key) {
      q.bind(3, *key);
    } else {
      q.bind_null(3);
    }
    if (q.step() != SQLITE_DONE) return undo(db_error(db_, "delete uweet: tombstone"));
    out.seq = sqlite3_last_insert_rowid(db_);
  }
  for (Id id : {kMentionsDelete, kUweetDelete}) {
    Query q((*st_)[id]);
    q.bind(1, uweet_id);
    if (q.step() != SQLITE_DONE) return undo(db_error(db_, "delete uweet"));
  }
  if (Query((*st_)[kRelease]).step() != SQLITE_DONE) return undo(db_error(db_, "delete uweet: release"));
  return out;
}

std::vector<Deletion> SqliteStore::deletions_after(int64_t after_seq, int limit) {
  std::vector<Deletion> out;
  if (limit <= 0) return out;
  Query q((*st_)[kDeletionsAfter]);
  q.bind(1, after_seq).bind(2, static_cast<int64_t>(std::min(limit, kMaxPageLimit)));
  while (q.step() == SQLITE_ROW) out.push_back(Deletion{q.i64(0), q.i64(1), q.i64(2), q.i64(3)});
  return out;
}

std::optional<Uweet> SqliteStore::uweet(int64_t id) {
  Query q((*st_)[kUweetById]);
  q.bind(1, id);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return read_uweet(q);
}

std::vector<int64_t> SqliteStore::mentions(int64_t uweet_id) {
  std::vector<int64_t> out;
  Query q((*st_)[kMentions]);
  q.bind(1, uweet_id);
  while (q.step() == SQLITE_ROW) out.push_back(q.i64(0));
  return out;
}

Page<Uweet> SqliteStore::public_timeline(std::optional<int64_t> before, int limit) {
  if (limit <= 0) return {};
  limit = std::min(limit, kMaxPageLimit);
  Query q((*st_)[kPublicTimeline]);
  q.bind(1, upper_bound(before));
  return run_page(db_, q, 2, limit, "public_timeline");
}

Page<Uweet> SqliteStore::user_uweets(int64_t author_id, std::optional<int64_t> before, int limit) {
  if (limit <= 0) return {};
  limit = std::min(limit, kMaxPageLimit);
  Query q((*st_)[kUserUweets]);
  q.bind(1, author_id).bind(2, upper_bound(before));
  return run_page(db_, q, 3, limit, "user_uweets");
}

// Home timeline as a k-way merge of per-author id lists: each author's ids
// come newest first from the covering index (author_id, id), a few at a time
// (the batch doubles on each refill), and a max-heap picks the page. The cost
// is about one index seek per author plus the page, whatever the authors
// posted before `before`; the single statement (home_timeline_by_sql) sorts
// every candidate id instead. One savepoint gives all reads one snapshot.
Page<Uweet> SqliteStore::home_timeline(int64_t user_id, std::optional<int64_t> before, int limit) {
  if (limit <= 0) return {};
  limit = std::min(limit, kMaxPageLimit);
  std::vector<int64_t> authors = followee_ids(user_id);
  if (authors.size() > kMergeMaxAuthors) return home_timeline_by_sql(user_id, before, limit);
  authors.push_back(user_id);

  const bool snapshot = Query((*st_)[kSavepoint]).step() == SQLITE_DONE;
  const size_t want = static_cast<size_t>(limit) + 1;
  struct Cursor {
    std::vector<int64_t> ids;
    size_t next = 0;
    int64_t batch = 0;
    bool exhausted = false;
  };
  std::vector<Cursor> cursors(authors.size());
  const int64_t first_batch = std::clamp<int64_t>(static_cast<int64_t>(want / authors.size()) + 2, 2, want);
  bool failed = false;
  const auto fetch = [&](size_t i, int64_t below) {
    Cursor& c = cursors[i];
    c.ids.clear();
    c.next = 0;
    c.batch = c.batch == 0 ? first_batch : std::min<int64_t>(c.batch * 2, want);
    Query q((*st_)[kAuthorIds]);
    q.bind(1, authors[i]).bind(2, below).bind(3, c.batch);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) c.ids.push_back(q.i64(0));
    failed = failed || rc != SQLITE_DONE;
    c.exhausted = static_cast<int64_t>(c.ids.size()) < c.batch;
  };
  std::priority_queue<std::pair<int64_t, size_t>> heap;  // (id, cursor), newest on top
  for (size_t i = 0; i < authors.size(); ++i) {
    fetch(i, upper_bound(before));
    if (!cursors[i].ids.empty()) heap.emplace(cursors[i].ids[0], i);
  }
  std::vector<int64_t> ids;
  while (ids.size() < want && !heap.empty()) {
    const auto [id, i] = heap.top();
    heap.pop();
    ids.push_back(id);
    Cursor& c = cursors[i];
    if (++c.next == c.ids.size() && !c.exhausted) fetch(i, id);
    if (c.next < c.ids.size()) heap.emplace(c.ids[c.next], i);
  }
  Page<Uweet> page;
  for (int64_t id : ids) {
    if (auto u = uweet(id)) page.items.push_back(std::move(*u));
  }
  if (snapshot) Query((*st_)[kRelease]).step();
  if (failed) {
    log::error("store: home_timeline: {}", sqlite3_errmsg(db_));
    return {};
  }
  if (page.items.size() > static_cast<size_t>(limit)) {
    page.items.pop_back();
    page.next_before = page.items.back().id;
  }
  return page;
}

Page<Uweet> SqliteStore::home_timeline_by_sql(int64_t user_id, std::optional<int64_t> before, int limit) {
  if (limit <= 0) return {};
  limit = std::min(limit, kMaxPageLimit);
  Query q((*st_)[kHomeTimeline]);
  q.bind(1, user_id).bind(2, upper_bound(before));
  return run_page(db_, q, 3, limit, "home_timeline");
}

Page<Uweet> SqliteStore::search(std::string_view query, std::optional<int64_t> before, int limit) {
  if (limit <= 0 || !rules::valid_utf8(query) || !(*st_)[kSearch]) return {};
  const std::string match = fts_query(query);
  if (match.empty()) return {};
  limit = std::min(limit, kMaxPageLimit);
  Query q((*st_)[kSearch]);
  q.bind(1, match).bind(2, upper_bound(before));
  return run_page(db_, q, 3, limit, "search");
}

int64_t SqliteStore::indexed_upto() {
  if (!(*st_)[kIndexedUpto]) return 0;  // opened without the search index
  Query q((*st_)[kIndexedUpto]);
  return q.step() == SQLITE_ROW ? q.i64(0) : 0;
}

Result<int> SqliteStore::index_pending(int limit) {
  if (!(*st_)[kIndexRange])
    return Error{500, "no_search_index", "this store was opened without the search index"};
  if (limit <= 0) return 0;
  // A deferred BEGIN: BEGIN IMMEDIATE would take the write lock of every
  // attached database, the main one included. This transaction reads main and
  // writes only `search`.
  if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
    return db_error(db_, "index: begin");
  const auto fail = [&](const char* what) -> Result<int> {
    Error e = db_error(db_, what);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  };
  const int64_t from = indexed_upto();
  int64_t to = 0;
  int n = 0;
  {
    Query q((*st_)[kIndexRangeEnd]);
    q.bind(1, from).bind(2, static_cast<int64_t>(limit));
    if (q.step() != SQLITE_ROW) return fail("index: range");
    to = q.i64(0);
    n = static_cast<int>(q.i64(1));
  }
  if (to <= from) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return 0;
  }
  {
    Query q((*st_)[kIndexRange]);
    q.bind(1, from).bind(2, to);
    if (q.step() != SQLITE_DONE) return fail("index: insert");
  }
  {
    Query q((*st_)[kSetIndexedUpto]);
    q.bind(1, to);
    if (q.step() != SQLITE_DONE) return fail("index: progress");
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("index: commit");
  return n;
}

}  // namespace uw
