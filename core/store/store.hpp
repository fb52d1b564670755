#pragma once
// uw::Store — Uwitter's store contract: everything the programs ask of the
// database, and the only code that runs SQL (the SQLite implementation is in
// core/store/sqlite/; a PostgreSQL one will sit beside it in
// core/store/postgres/). Today it is Uwitter's SQLite store. One Store wraps one sqlite3 connection and
// is used by ONE thread at a time (the web app's writer thread owns a writable
// one; reader threads and the notifier open their own read-only ones).
// Prepared statements only. Opening a writable store runs migrations keyed on
// PRAGMA user_version, sets WAL, foreign_keys=ON, busy_timeout, and
// synchronous=NORMAL (or FULL when Options::synchronous_full).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

struct sqlite3;

namespace uw {

struct User {
  int64_t id = 0;
  std::string username;    // as registered (display case)
  int64_t created_at = 0;  // unix seconds
};

struct UserAuth {
  int64_t id = 0;
  std::string username;
  std::string password_hash;  // crypto_pwhash_str output
};

struct Uweet {
  int64_t id = 0;
  int64_t author_id = 0;
  std::string author;  // username
  std::string text;
  int64_t created_at = 0;  // unix milliseconds
};

// A page of a newest-first list. next_before is the cursor for the next
// (older) page: pass it as `before`. Absent when this is the last page.
template <class T>
struct Page {
  std::vector<T> items;
  std::optional<int64_t> next_before;
};

struct Counts {
  int64_t uweets = 0;
  int64_t followers = 0;
  int64_t following = 0;
};

struct NewUweet {
  int64_t author_id = 0;
  std::string text;                         // already normalised
  int64_t created_at = 0;                   // unix ms
  std::vector<int64_t> mentioned_user_ids;  // resolved by the caller or by mentions()
  std::optional<std::string> idempotency_key;
};

// What the web app's caches load at start-up, in three scans instead of a
// few queries per user (Store::warm_snapshot).
struct WarmSnapshot {
  struct UserRow {
    User user;
    std::string password_hash;
  };
  std::vector<UserRow> users;                             // in id order
  std::vector<std::pair<int64_t, int64_t>> follows;       // (follower id, followee id)
  std::vector<std::pair<int64_t, int64_t>> uweet_counts;  // (author id, uweets), authors with any
};

// A session that has not expired (Store::live_sessions).
struct LiveSession {
  std::string token_hash;  // the stored hash, never the token
  int64_t user_id = 0;
  int64_t expires_at_s = 0;
};

// Work a backend runs on a thread of its own for the writer's connection
// (SQLite: WAL checkpoints moved off the writer thread,
// sqlite/checkpointer.hpp). Destroy it only after the writer's last commit.
class StoreBackground {
 public:
  virtual ~StoreBackground() = default;
  // Checkpoints run so far (any thread; for tests and metrics).
  virtual uint64_t checkpoints() const = 0;
};

// The FTS5 MATCH expression Store::search runs for user text: each token
// (split on ASCII white space and control characters) double-quoted with inner
// quotes doubled, joined by spaces (implicit AND). "" when there is no token.
// Never an FTS5 syntax error. Any thread.
std::string fts_query(std::string_view text);

class Store {
 public:
  struct Options {
    bool read_only = false;
    bool synchronous_full = false;
    int busy_timeout_ms = 5000;
    // PRAGMA mmap_size: reads go through the OS page cache shared by every
    // connection instead of each connection's small private cache (0 = off).
    int64_t mmap_bytes = int64_t{256} << 20;
    // The search index's file (attached as `search`); "" = next to the
    // database: "x.db" -> "x-search.db" (":memory:" for an in-memory one).
    std::string search_path;
    // Attach the search index at all. The web app's writer does not: its
    // BEGIN IMMEDIATE would take the index's write lock too and wait for the
    // indexer. Without it search() is empty and index_pending() an error.
    bool search = true;
  };
  // The search index file used for a database path and options.
  static std::string search_path_for(const std::string& path, const Options& opts);
  // Opens (creating when writable) the database at path.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const Options& opts);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int schema_version() const;

  // Transactions (BEGIN IMMEDIATE / COMMIT / ROLLBACK) and savepoints, for the
  // writer's group commit. Each returns an Error on failure.
  Result<Unit> begin();
  Result<Unit> commit();
  void rollback();
  Result<Unit> savepoint(const char* name);
  Result<Unit> release(const char* name);
  void rollback_to(const char* name);

  // Users. create_user fails with 409 "username_taken" (case-insensitive).
  Result<User> create_user(std::string_view username, std::string_view password_hash, int64_t now_s);
  std::optional<UserAuth> user_auth(std::string_view username);  // case-insensitive
  Result<Unit> set_password_hash(int64_t user_id, std::string_view hash);
  std::optional<User> user_by_name(std::string_view username);  // case-insensitive
  std::optional<User> user_by_id(int64_t id);
  Counts counts(int64_t user_id);
  // Users in id order after `after_id` (for bulk loading caches).
  std::vector<User> users_after(int64_t after_id, int limit);

  // Sessions: only a hash of the token is stored (32 bytes, BLOB).
  Result<Unit> create_session(std::string_view token_hash, int64_t user_id, int64_t expires_at_s);
  // user id of a live session (expires_at > now), else nullopt.
  std::optional<int64_t> session_user(std::string_view token_hash, int64_t now_s);
  Result<Unit> delete_session(std::string_view token_hash);
  int delete_expired_sessions(int64_t now_s);

  // Uweets. With an idempotency key already used by this author, returns the
  // uweet stored the first time instead of inserting again.
  Result<Uweet> insert_uweet(const NewUweet& u);
  std::optional<Uweet> uweet(int64_t id);
  // Mentioned user ids of a uweet.
  std::vector<int64_t> mentions(int64_t uweet_id);
  // Lists: newest first, id < before (no bound when before is nullopt), at most limit.
  Page<Uweet> public_timeline(std::optional<int64_t> before, int limit);
  Page<Uweet> user_uweets(int64_t author_id, std::optional<int64_t> before, int limit);
  // Own uweets plus those of followees (a k-way merge over per-author index
  // ranges; see docs/STORAGE.md).
  Page<Uweet> home_timeline(int64_t user_id, std::optional<int64_t> before, int limit);
  // The same list as one SQL statement: the reference the merge is tested
  // against, used by home_timeline for users following very many people.
  Page<Uweet> home_timeline_by_sql(int64_t user_id, std::optional<int64_t> before, int limit);
  // FTS5 full-text search; the query is user text (quoted safely, never raw FTS syntax errors).
  // Finds uweets only once they are indexed (index_pending); ids above
  // indexed_upto() are not searched yet.
  Page<Uweet> search(std::string_view query, std::optional<int64_t> before, int limit);
  // Indexes up to `limit` uweets not yet in the search index, oldest first, in
  // one transaction that writes only the search database (so it runs beside
  // the main writer). Returns how many were indexed (0 = up to date). Writable
  // stores only.
  Result<int> index_pending(int limit);
  // The newest uweet id in the search index (0 = none).
  int64_t indexed_upto();

  // Follows. follow returns true if newly created, false if it already existed;
  // self-follow is 422 "self_follow"; unknown ids are 404 "no_such_user".
  Result<bool> follow(int64_t follower_id, int64_t followee_id, int64_t now_s);
  Result<bool> unfollow(int64_t follower_id, int64_t followee_id);
  bool is_following(int64_t follower_id, int64_t followee_id);
  // Newest follow first; cursor is the follow row id.
  Page<User> followers(int64_t user_id, std::optional<int64_t> before, int limit);
  Page<User> following(int64_t user_id, std::optional<int64_t> before, int limit);
  // Follower ids of a user in ascending id order with id > after_id (fan-out chunks).
  std::vector<int64_t> follower_ids(int64_t user_id, int64_t after_id, int limit);
  // Every followee of a user (small; for cache loading).
  std::vector<int64_t> followee_ids(int64_t user_id);

  // Start-up bulk loads for the web app's caches: every user with their
  // password hash, every follow edge, uweet counts per author; and every
  // session alive at now_s.
  Result<WarmSnapshot> warm_snapshot();
  Result<std::vector<LiveSession>> live_sessions(int64_t now_s);

  // For the writer's store, before its first transaction: starts the
  // backend's background work on this connection (see StoreBackground), or
  // returns nullptr when there is none (an in-memory database).
  std::unique_ptr<StoreBackground> start_background();

  // The SQLite connection. Outside core/store/sqlite/ only tests and
  // benchmarks use it, to look at the file underneath (PRAGMAs, the WAL,
  // the FTS tables); program code asks the Store instead.
  sqlite3* raw() { return db_; }

 private:
  explicit Store(sqlite3* db);
  struct Statements;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> st_;
};

}  // namespace uw
