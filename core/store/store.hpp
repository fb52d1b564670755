#pragma once
// uw::Store — Uwitter's store contract: everything the programs ask of the
// database. The backends behind it are the only code that runs SQL: SQLite in
// core/store/sqlite/ (uw::SqliteStore, the embedded default) and PostgreSQL in
// core/store/postgres/ (uw::PgStore, libpq). Store::open picks one from the
// target: a libpq URI (postgresql://... or postgres://...) or a SQLite file.
// One Store wraps one connection and is used by ONE thread at a time (the web
// app's writer thread owns a writable one; reader threads and the notifier
// open their own read-only ones). Opening a writable store runs the backend's
// migrations (docs/STORAGE.md).
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace uw::metrics {
class Registry;
}  // namespace uw::metrics

namespace uw {

// User and Uweet have constructors (not plain aggregates) so that the fields
// added later default without -Wmissing-field-initializers at every
// User{id, name, created_at} already written.
struct User {
  User() = default;
  User(int64_t id_, std::string username_, int64_t created_at_, std::string display_name_ = {},
       std::string bio_ = {})
      : id(id_),
        username(std::move(username_)),
        created_at(created_at_),
        display_name(std::move(display_name_)),
        bio(std::move(bio_)) {}
  int64_t id = 0;
  std::string username;    // as registered (display case)
  int64_t created_at = 0;  // unix seconds
  // Normalised by rules::normalize_display_name / normalize_bio; "" = none.
  // Filled by user_by_name, user_by_id, users_after and warm_snapshot (not by
  // the follower / following pages).
  std::string display_name;
  std::string bio;
};

struct UserAuth {
  int64_t id = 0;
  std::string username;
  std::string password_hash;  // crypto_pwhash_str output
};

struct Uweet {
  Uweet() = default;
  Uweet(int64_t id_, int64_t author_id_, std::string author_, std::string text_, int64_t created_at_)
      : id(id_),
        author_id(author_id_),
        author(std::move(author_)),
        text(std::move(text_)),
        created_at(created_at_) {}
  int64_t id = 0;
  int64_t author_id = 0;
  std::string author;  // username
  std::string text;
  int64_t created_at = 0;  // unix milliseconds
  // The author's display name as the web app's cache knows it when it answers
  // (never stored with the uweet, never filled by a Store).
  std::string author_display;
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

// A uweet its author deleted (Store::delete_uweet): what was removed, for the
// caches and the live `delete` event.
struct DeletedUweet {
  Uweet uweet;
  std::vector<int64_t> mentioned_user_ids;  // the mentions removed with it
  int64_t seq = 0;                          // its place in the deletion log (deletions_after)
};

// One entry of the deletion log: a tombstone kept after the uweet row is gone.
// `seq` increases with every delete (like uweet ids with every post), so
// another process can apply deletes it did not make the way it learns of new
// uweets: "everything after the last seq I applied".
struct Deletion {
  int64_t seq = 0;
  int64_t uweet_id = 0;
  int64_t author_id = 0;
  int64_t deleted_at = 0;  // unix milliseconds
};

// What Store::delete_user removed, for the caches and the live events.
struct DeletedAccount {
  User user;
  std::vector<int64_t> uweet_ids;     // its uweets, ascending: tombstones in the deletion log now
  std::vector<int64_t> follower_ids;  // who followed it (their home timelines lose its uweets)
  std::vector<int64_t> followee_ids;  // whom it followed (their follower counts drop)
  int64_t seq = 0;                    // its place in the account deletion log (account_deletions_after)
};

// One entry of the account deletion log: kept after the user row is gone. It
// reserves the name until reserved_until_s, keeps the user id from being
// given again, and lets another process apply the delete ("every entry after
// the last seq I applied", like Deletion for uweets).
struct AccountDeletion {
  int64_t seq = 0;
  int64_t user_id = 0;
  std::string username;
  int64_t deleted_at = 0;        // unix milliseconds
  int64_t reserved_until_s = 0;  // unix seconds: create_user refuses the name before then
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

// The stored notification history (docs/STORAGE.md "Notifications"). Its
// order is commit order: a uweet's notification sits at the uweet's id, a
// "followed you" sits just after the newest uweet id given when the follow
// committed. A key compares (pos, sub) lexicographically: (uweet id, 0) for a
// uweet, (that newest id, follow notification row id >= 1) for a follow.
struct NotificationKey {
  int64_t pos = 0;
  int64_t sub = 0;
  friend auto operator<=>(const NotificationKey&, const NotificationKey&) = default;
};

enum class NotificationKind { follow, mention, uweet };

// One entry of a user's history. A uweet that both mentions the recipient and
// is by a followee is one `mention` (the more specific kind wins).
struct Notification {
  NotificationKey key;
  NotificationKind kind = NotificationKind::follow;
  int64_t actor_id = 0;        // who followed, mentioned or posted
  std::string actor;           // their username
  int64_t created_at = 0;      // unix milliseconds (a follow: its time in seconds * 1000)
  std::optional<Uweet> uweet;  // mention and uweet kinds
};

struct NotificationPage {
  std::vector<Notification> items;             // newest first
  std::optional<NotificationKey> next_before;  // pass as `before` for the next (older) page
};

// ---- the change feed (several web instances on one PostgreSQL) -------------
// docs/STORAGE.md "Change feed", docs/ARCHITECTURE.md "Several web
// instances". Every committed write that the web app's caches hold leaves a
// Change, written in the writing transaction itself; each instance reads the
// others' changes and applies them to its caches. SQLite (one process) has
// no feed: has_feed() is false and the feed calls answer 501 no_feed.
enum class ChangeKind : int {
  user = 1,             // a: user id (created, or profile / password changed): see FeedPage::users
  session_new = 2,      // a: user id, b: expires_at_s, h: token hash
  session_end = 3,      // a: user id, h: token hash (logout, password change, account delete, expiry)
  uweet = 4,            // a: uweet id, b: author id, c: created_at (ms), t: text
  uweet_deleted = 5,    // a: uweet id, b: author id
  account_deleted = 6,  // a: user id
  follow = 7,           // a: follower, b: followee
  unfollow = 8,         // a: follower, b: followee
  login_failed = 9,     // t: "username key\taddress", b: when (unix s)
  login_ok = 10,        // t: "username key\taddress"
};

struct Change {
  int64_t seq = 0;
  ChangeKind kind = ChangeKind::user;
  int64_t a = 0, b = 0, c = 0;
  std::string t;
  std::string h;
  int64_t at_ms = 0;  // when it was written (the database's clock, unix ms)
};

// Where a reader of the feed stands. Changes are final once their
// transaction is older than every transaction still running (the snapshot's
// xmin): ids and seqs are handed out before commit, so they do not commit in
// order, but the xmin horizon only moves past transactions that ended. A
// cursor has applied every change of a transaction id below `lo`; `hi` (0 =
// not yet chosen) is the horizon of a read in progress, after_seq the last
// seq applied of the changes with lo <= xid < hi.
struct FeedCursor {
  int64_t lo = 0;
  int64_t hi = 0;
  int64_t after_seq = 0;
};

struct FeedPage {
  std::vector<Change> changes;  // in seq order
  // The users named by `user` changes as they are now (a user deleted since
  // is missing: its account_deleted change is on this page or a later one;
  // one changed again since shows the newer state, its change comes later).
  std::vector<WarmSnapshot::UserRow> users;
  FeedCursor next;      // read on from here
  bool more = false;    // the page was full: read again at once
  bool pruned = false;  // changes after the cursor were pruned away: the caches must be reloaded
  int64_t now_ms = 0;   // the database's clock when read
};

// "X followed you" is stored at most once per (follower, followee) within
// this many seconds (the notifier's --follow-repeat-s default, issue 14).
inline constexpr int64_t kFollowNotificationRepeatS = 3'600;
// unread_notifications counts up to this many (a page shows "1000+").
inline constexpr int kUnreadCountCap = 1'000;

// Work a backend runs on a thread of its own for the writer's connection
// (SQLite: WAL checkpoints moved off the writer thread,
// sqlite/checkpointer.hpp; PostgreSQL: none). Destroy it only after the
// writer's last commit.
class StoreBackground {
 public:
  virtual ~StoreBackground() = default;
  // Checkpoints run so far (any thread; for tests and metrics).
  virtual uint64_t checkpoints() const = 0;
};

// Keeps a backend's search index up to date behind the writer, when the
// backend indexes apart from the insert (SQLite: sqlite/indexer.hpp, a thread
// and a file of its own). PostgreSQL indexes in the insert's own transaction
// and has none (Store::start_indexer returns nullptr): what is committed is
// searchable.
//
// Threading: notify(id), indexed_upto() any thread; wait_indexed() any thread
// but the loop; stop() and the destructor on the owner's thread.
class SearchIndexer {
 public:
  virtual ~SearchIndexer() = default;
  // Uweets up to newest_id were committed.
  virtual void notify(int64_t newest_id) = 0;
  // The newest uweet id in the index.
  virtual int64_t indexed_upto() const = 0;
  // Blocks until indexed_upto() >= id or `max` has passed; true if reached.
  virtual bool wait_indexed(int64_t id, std::chrono::milliseconds max) = 0;
  // Finishes the batch in progress and joins.
  virtual void stop() = 0;
};

// Is this --db target a PostgreSQL connection URI (postgresql:// or
// postgres://)? Anything else is a SQLite file path. Any thread.
bool is_postgres_target(std::string_view target);
// The target with any password replaced by "***", for logs, /metrics and error
// messages (a SQLite path is returned as is). Any thread.
std::string redact_target(std::string_view target);

// The error insert_uweet gives for an idempotency key whose uweet (uweet_id)
// was deleted: 409 uweet_deleted. Any thread.
Error uweet_deleted_error(int64_t uweet_id);
// The error create_user gives for a name reserved after its account was
// deleted: 409 username_reserved, saying the date it is free again. Any thread.
Error username_reserved_error(std::string_view username, int64_t reserved_until_s);

class Store {
 public:
  struct Options {
    bool read_only = false;
    // SQLite: PRAGMA synchronous=FULL instead of NORMAL. PostgreSQL: ignored
    // (synchronous_commit stays on, docs/STORAGE.md "PostgreSQL").
    bool synchronous_full = false;
    // SQLite: busy_timeout. PostgreSQL: the connect timeout (rounded up to seconds).
    int busy_timeout_ms = 5000;
    // SQLite only. PRAGMA mmap_size: reads go through the OS page cache shared by every
    // connection instead of each connection's small private cache (0 = off).
    int64_t mmap_bytes = int64_t{256} << 20;
    // SQLite only. The search index's file (attached as `search`); "" = next to the
    // database: "x.db" -> "x-search.db" (":memory:" for an in-memory one).
    std::string search_path;
    // SQLite only. Attach the search index at all. The web app's writer does not: its
    // BEGIN IMMEDIATE would take the index's write lock too and wait for the
    // indexer. Without it search() is empty and index_pending() an error.
    bool search = true;
    // PostgreSQL only: the instance name written with every change this
    // connection makes (the change feed's origin, [A-Za-z0-9_.-], up to 64
    // characters), so the instance can skip its own. "" = none.
    std::string feed_origin;
  };
  // Opens (creating and migrating when writable) the database at target: a
  // PostgreSQL connection URI (is_postgres_target) or a SQLite file path.
  // Error messages never hold a password (redact_target).
  static Result<std::unique_ptr<Store>> open(const std::string& target, const Options& opts);
  // Starts the backend's search indexer for target (a writable connection of
  // its own), or returns nullptr when the backend needs none (PostgreSQL).
  // metrics may be null.
  static Result<std::unique_ptr<SearchIndexer>> start_indexer(const std::string& target, const Options& opts,
                                                              metrics::Registry* metrics);

  Store() = default;
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  virtual int schema_version() const = 0;

  // Transactions (BEGIN / COMMIT / ROLLBACK) and savepoints, for the
  // writer's group commit. Each returns an Error on failure (PostgreSQL sends
  // SAVEPOINT / RELEASE / ROLLBACK TO in the round trip of the next
  // statement or COMMIT, so a failure of theirs shows there).
  [[nodiscard]] virtual Result<Unit> begin() = 0;
  [[nodiscard]] virtual Result<Unit> commit() = 0;
  virtual void rollback() = 0;
  [[nodiscard]] virtual Result<Unit> savepoint(const char* name) = 0;
  [[nodiscard]] virtual Result<Unit> release(const char* name) = 0;
  virtual void rollback_to(const char* name) = 0;

  // Users. create_user fails with 409 "username_taken" (case-insensitive), or
  // 409 "username_reserved" for the name of an account deleted less than its
  // reservation ago (delete_user). User ids are never given twice.
  virtual Result<User> create_user(std::string_view username, std::string_view password_hash,
                                   int64_t now_s) = 0;
  virtual std::optional<UserAuth> user_auth(std::string_view username) = 0;  // case-insensitive
  virtual Result<Unit> set_password_hash(int64_t user_id, std::string_view hash) = 0;
  // Display name and bio, already normalised (rules.hpp). 404 no_such_user.
  virtual Result<Unit> set_profile(int64_t user_id, std::string_view display_name, std::string_view bio) = 0;
  // Deletes a user and everything of theirs, together or not at all: their
  // uweets (each logged as a tombstone, as delete_uweet does, so its id never
  // comes back), the mentions in them and of them, their follows both ways,
  // their sessions, and the user row; logs an AccountDeletion that keeps the
  // name from create_user until reserved_until_s. 404 no_such_user.
  virtual Result<DeletedAccount> delete_user(int64_t user_id, int64_t now_ms, int64_t reserved_until_s) = 0;
  // The account deletion log, oldest first, seq > after_seq, at most limit.
  virtual std::vector<AccountDeletion> account_deletions_after(int64_t after_seq, int limit) = 0;
  virtual std::optional<User> user_by_name(std::string_view username) = 0;  // case-insensitive
  virtual std::optional<User> user_by_id(int64_t id) = 0;
  virtual Counts counts(int64_t user_id) = 0;
  // Users in id order after `after_id` (for bulk loading caches).
  virtual std::vector<User> users_after(int64_t after_id, int limit) = 0;

  // Sessions: only a hash of the token is stored (32 bytes, BLOB / bytea).
  virtual Result<Unit> create_session(std::string_view token_hash, int64_t user_id, int64_t expires_at_s) = 0;
  // user id of a live session (expires_at > now), else nullopt.
  virtual std::optional<int64_t> session_user(std::string_view token_hash, int64_t now_s) = 0;
  virtual Result<Unit> delete_session(std::string_view token_hash) = 0;
  // Ends every session of user_id but the one whose hash is keep_hash ("" =
  // every one); returns how many ended.
  virtual Result<int> delete_other_sessions(int64_t user_id, std::string_view keep_hash) = 0;
  virtual int delete_expired_sessions(int64_t now_s) = 0;

  // Uweets. With an idempotency key already used by this author, returns the
  // uweet stored the first time instead of inserting again (409 uweet_deleted
  // when that uweet was deleted since). The uweet and its
  // mentions are stored together or not at all.
  virtual Result<Uweet> insert_uweet(const NewUweet& u) = 0;
  // Several inserts inside the caller's open transaction (the writer's
  // batch), each as if by insert_uweet in a savepoint of its own: one that
  // fails leaves nothing behind and fails only itself; out[i] answers *us[i].
  // When the transaction itself breaks (the connection goes), the inserts
  // answer that error and the caller's COMMIT fails. The default runs them one
  // by one, each in a savepoint; PostgreSQL sends them all in one pipeline
  // (postgres/insert.cpp).
  virtual std::vector<Result<Uweet>> insert_uweets(const std::vector<const NewUweet*>& us);
  virtual std::optional<Uweet> uweet(int64_t id) = 0;
  // Deletes a uweet of author_id with its mentions (gone from every list,
  // count and search at once) and logs a tombstone that keeps its idempotency
  // key used: insert_uweet with that key is then 409 "uweet_deleted", and a
  // new uweet never reuses the id. Errors: 404 no_such_uweet (unknown or
  // already deleted), 403 not_your_uweet.
  virtual Result<DeletedUweet> delete_uweet(int64_t author_id, int64_t uweet_id, int64_t now_ms) = 0;
  // The deletion log, oldest first, seq > after_seq, at most limit.
  virtual std::vector<Deletion> deletions_after(int64_t after_seq, int limit) = 0;
  // Mentioned user ids of a uweet.
  virtual std::vector<int64_t> mentions(int64_t uweet_id) = 0;
  // Lists: newest first, id < before (no bound when before is nullopt), at most limit.
  virtual Page<Uweet> public_timeline(std::optional<int64_t> before, int limit) = 0;
  virtual Page<Uweet> user_uweets(int64_t author_id, std::optional<int64_t> before, int limit) = 0;
  // Own uweets plus those of followees.
  virtual Page<Uweet> home_timeline(int64_t user_id, std::optional<int64_t> before, int limit) = 0;
  // The same list as one SQL statement: the reference home_timeline is tested against.
  virtual Page<Uweet> home_timeline_by_sql(int64_t user_id, std::optional<int64_t> before, int limit) = 0;
  // Full-text search; the query is user text (quoted safely: odd input gives
  // results or an empty page, never a database error). Finds uweets only once
  // they are indexed (index_pending); ids above indexed_upto() are not searched yet.
  virtual Page<Uweet> search(std::string_view query, std::optional<int64_t> before, int limit) = 0;
  // Indexes up to `limit` uweets not yet in the search index, oldest first.
  // Returns how many were indexed (0 = up to date; always 0 on PostgreSQL,
  // which indexes at insert). Writable stores only.
  virtual Result<int> index_pending(int limit) = 0;
  // The newest uweet id in the search index (0 = none).
  virtual int64_t indexed_upto() = 0;

  // Follows. follow returns true if newly created, false if it already existed;
  // self-follow is 422 "self_follow"; unknown ids are 404 "no_such_user". A
  // new follow stores the followee's "followed you" notification in the same
  // statement or savepoint, unless one for this pair is younger than
  // kFollowNotificationRepeatS.
  virtual Result<bool> follow(int64_t follower_id, int64_t followee_id, int64_t now_s) = 0;
  virtual Result<bool> unfollow(int64_t follower_id, int64_t followee_id) = 0;
  virtual bool is_following(int64_t follower_id, int64_t followee_id) = 0;
  // Newest follow first; cursor is the follow row id.
  virtual Page<User> followers(int64_t user_id, std::optional<int64_t> before, int limit) = 0;
  virtual Page<User> following(int64_t user_id, std::optional<int64_t> before, int limit) = 0;
  // Follower ids of a user in ascending id order with id > after_id (fan-out chunks).
  virtual std::vector<int64_t> follower_ids(int64_t user_id, int64_t after_id, int limit) = 0;
  // Every followee of a user (small; for cache loading).
  virtual std::vector<int64_t> followee_ids(int64_t user_id) = 0;

  // The notification history of user_id, newest first, keys < before (no
  // bound when nullopt), at most limit: the "followed you" rows follow()
  // stored, merged with mentions of the user and uweets of the user's
  // followees posted since the follow began (computed from follows, mentions
  // and uweets on read: a post costs no row per follower). A deleted uweet's
  // entries go with it; a deleted account's history, as recipient and as
  // actor, goes with the account.
  virtual NotificationPage notifications(int64_t user_id, std::optional<NotificationKey> before,
                                         int limit) = 0;
  // The user's "read up to" marker ({0, 0} = nothing read).
  virtual NotificationKey notifications_read_upto(int64_t user_id) = 0;
  // Moves the marker forward to up_to (never back); answers the marker now.
  // 404 no_such_user.
  virtual Result<NotificationKey> mark_notifications_read(int64_t user_id, NotificationKey up_to) = 0;
  // Entries newer than the marker, counted up to kUnreadCountCap.
  virtual int64_t unread_notifications(int64_t user_id) = 0;

  // Start-up bulk loads for the web app's caches: every user with their
  // password hash, every follow edge, uweet counts per author; and every
  // session alive at now_s.
  virtual Result<WarmSnapshot> warm_snapshot() = 0;
  virtual Result<std::vector<LiveSession>> live_sessions(int64_t now_s) = 0;

  // The 503 (database unreachable or busy) that a statement on this
  // connection met since the last call, and clears it. The reads above that
  // return a value rather than a Result (pages, optionals, counts) answer
  // empty when the database is away; a caller that must tell "none" from
  // "could not look" (the reader threads, the notifier's fan-out) asks here
  // after them. nullopt when none, and always on SQLite (a reader there
  // fails only on a broken file). The owner's thread.
  virtual std::optional<Error> take_unavailable() { return std::nullopt; }

  // ---- the change feed (see ChangeKind; PostgreSQL only) ------------------
  // The defaults (SQLite) answer 501 no_feed.
  virtual bool has_feed() const { return false; }
  // A cursor at the current horizon: every change after it is read later.
  virtual Result<FeedCursor> feed_start() { return no_feed(); }
  // Up to limit changes after `from` not written by origin skip_origin
  // ("" skips none), with the users they name as they are when read.
  virtual Result<FeedPage> feed_read(const FeedCursor& from, std::string_view skip_origin, int limit) {
    (void)from, (void)skip_origin, (void)limit;
    return no_feed();
  }
  // LISTEN for the feed's wake-up (again after a reconnect).
  virtual Result<Unit> feed_listen() { return no_feed(); }
  // Waits up to max for a wake-up (true), for wake_fd to be readable or the
  // time to pass (false). 503 when the connection went (feed_listen again).
  virtual Result<bool> feed_wait(std::chrono::milliseconds max, int wake_fd) {
    (void)max, (void)wake_fd;
    return no_feed();
  }
  // Says that instance `name` is alive and has applied everything below
  // applied_lo; wake_peers also NOTIFYs the instances' listeners (a peer may
  // be waiting for this: a revocation was applied).
  virtual Result<Unit> feed_heartbeat(std::string_view name, int64_t applied_lo, bool wake_peers = false) {
    (void)name, (void)applied_lo, (void)wake_peers;
    return no_feed();
  }
  // How many instances but `name`, alive (a heartbeat in the last live_ms),
  // have not applied the transaction xid yet.
  virtual Result<int64_t> feed_peers_behind(std::string_view name, int64_t xid, int64_t live_ms) {
    (void)name, (void)xid, (void)live_ms;
    return no_feed();
  }
  // Forgets instance `name` (a clean shutdown: peers stop waiting for it).
  virtual Result<Unit> feed_leave(std::string_view name) {
    (void)name;
    return no_feed();
  }
  // The id of the open transaction (the writer's batch): what peers must have applied.
  virtual Result<int64_t> feed_xid() { return no_feed(); }
  // Removes changes written before before_ms, unless another instance is
  // pruning right now; answers how many went.
  virtual Result<int64_t> feed_prune(int64_t before_ms) {
    (void)before_ms;
    return no_feed();
  }
  // Logs a login failure (or a good password that clears failures) for the
  // other instances' throttles, in the open transaction.
  virtual Result<Unit> feed_login(bool failed, std::string_view key, std::string_view address, int64_t at_s) {
    (void)failed, (void)key, (void)address, (void)at_s;
    return no_feed();
  }
  static Error no_feed() {
    return Error{501, "no_feed", "this database backend has no change feed (one process: nothing to follow)"};
  }

  // For the writer's store, before its first transaction: starts the
  // backend's background work on this connection (see StoreBackground), or
  // returns nullptr when there is none.
  virtual std::unique_ptr<StoreBackground> start_background() = 0;
};

}  // namespace uw
