// uw::Store: opening, PRAGMAs, the statement table, transactions, users and
// sessions. Uweets live in store_uweets.cpp, follows in store_follows.cpp.
#include "core/store/sqlite/store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "core/log.hpp"
#include "core/rules.hpp"
#include "core/store/sqlite/schema.hpp"
#include "core/store/sqlite/sql.hpp"

namespace uw {
namespace store_sql {

#define UW_UWEET_COLS "u.id, u.author_id, a.username, u.text, u.created_at"
#define UW_UWEET_FROM " FROM uweets u JOIN users a ON a.id = u.author_id"

const char* sql(Id id) {
  switch (id) {
    case kBegin:
      return "BEGIN IMMEDIATE";
    case kCommit:
      return "COMMIT";
    case kRollback:
      return "ROLLBACK";
    case kSavepoint:
      return "SAVEPOINT uw_store";
    case kRelease:
      return "RELEASE uw_store";
    case kRollbackTo:
      return "ROLLBACK TO uw_store";
    case kUserInsert:
      // The id is one above every id ever given, deleted accounts' included
      // (deleted_users): a new account never takes over a deleted one's id,
      // which tickets, caches and the notifier's inboxes name it by.
      return "INSERT INTO users(id, username, username_key, password_hash, created_at) VALUES ("
             "max(coalesce((SELECT max(id) FROM users), 0),"
             " coalesce((SELECT max(user_id) FROM deleted_users), 0)) + 1, ?1, ?2, ?3, ?4)";
    case kUserAuth:
      return "SELECT id, username, password_hash FROM users WHERE username_key = ?1";
    case kUserByName:
      return "SELECT id, username, created_at, display_name, bio FROM users WHERE username_key = ?1";
    case kUserById:
      return "SELECT id, username, created_at, display_name, bio FROM users WHERE id = ?1";
    case kUserSetProfile:
      return "UPDATE users SET display_name = ?2, bio = ?3 WHERE id = ?1";
    case kUserSetHash:
      return "UPDATE users SET password_hash = ?2 WHERE id = ?1";
    case kUsersAfter:
      return "SELECT id, username, created_at, display_name, bio FROM users WHERE id > ?1 ORDER BY id LIMIT "
             "?2";
    case kCountUweets:
      return "SELECT count(*) FROM uweets WHERE author_id = ?1";
    case kCountFollowers:
      return "SELECT count(*) FROM follows WHERE followee_id = ?1";
    case kCountFollowing:
      return "SELECT count(*) FROM follows WHERE follower_id = ?1";
    case kSessionInsert:
      return "INSERT INTO sessions(token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)";
    case kSessionUser:
      return "SELECT user_id FROM sessions WHERE token_hash = ?1 AND expires_at > ?2";
    case kSessionDelete:
      return "DELETE FROM sessions WHERE token_hash = ?1";
    case kSessionDeleteOthers:
      return "DELETE FROM sessions WHERE user_id = ?1 AND token_hash IS NOT ?2";
    case kSessionDeleteExpired:
      return "DELETE FROM sessions WHERE expires_at <= ?1";
    case kUweetInsert:
      // The id is one above every id ever given, deleted ones included
      // (deleted_uweets): without it SQLite would hand the id of a deleted
      // newest uweet out again, and "ids only grow" is what caches, cursors
      // and the search indexer rely on. Both maxima are index look-ups.
      return "INSERT INTO uweets(id, author_id, text, created_at, idempotency_key) VALUES ("
             "max(coalesce((SELECT max(id) FROM uweets), 0),"
             " coalesce((SELECT max(uweet_id) FROM deleted_uweets), 0)) + 1, ?1, ?2, ?3, ?4)";
    case kUweetByKey:
      return "SELECT " UW_UWEET_COLS UW_UWEET_FROM " WHERE u.author_id = ?1 AND u.idempotency_key = ?2";
    case kUweetById:
      return "SELECT " UW_UWEET_COLS UW_UWEET_FROM " WHERE u.id = ?1";
    case kMentionInsert:
      return "INSERT OR IGNORE INTO mentions(uweet_id, user_id) VALUES (?1, ?2)";
    case kMentions:
      return "SELECT user_id FROM mentions WHERE uweet_id = ?1 ORDER BY user_id";
    case kPublicTimeline:
      return "SELECT " UW_UWEET_COLS UW_UWEET_FROM " WHERE u.id < ?1 ORDER BY u.id DESC LIMIT ?2";
    case kUserUweets:
      return "SELECT " UW_UWEET_COLS UW_UWEET_FROM
             " WHERE u.author_id = ?1 AND u.id < ?2 ORDER BY u.id DESC LIMIT ?3";
    case kHomeTimeline:
      // The inner query picks the page's ids from the covering index
      // (author_id, id) alone; only those rows are then read. Selecting the
      // columns directly would read every candidate row before the sort.
      return "SELECT " UW_UWEET_COLS UW_UWEET_FROM
             " WHERE u.id IN (SELECT id FROM uweets WHERE author_id IN"
             " (SELECT followee_id FROM follows WHERE follower_id = ?1 UNION SELECT ?1)"
             " AND id < ?2 ORDER BY id DESC LIMIT ?3) ORDER BY u.id DESC";
    case kAuthorIds:
      return "SELECT id FROM uweets WHERE author_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";
    case kSearch:
      return "SELECT " UW_UWEET_COLS
             " FROM search.uweets_fts f JOIN uweets u ON u.id = f.rowid JOIN users a ON a.id = u.author_id"
             " WHERE f.uweets_fts MATCH ?1 AND f.rowid < ?2 ORDER BY f.rowid DESC LIMIT ?3";
    case kIndexedUpto:
      return "SELECT indexed_upto FROM search.progress WHERE one = 1";
    case kIndexRangeEnd:
      return "SELECT max(id), count(*) FROM (SELECT id FROM main.uweets WHERE id > ?1 ORDER BY id LIMIT ?2)";
    case kIndexRange:
      return "INSERT INTO search.uweets_fts(rowid, text)"
             " SELECT id, text FROM main.uweets WHERE id > ?1 AND id <= ?2 ORDER BY id";
    case kSetIndexedUpto:
      return "UPDATE search.progress SET indexed_upto = ?1 WHERE one = 1";
    case kFollowInsert:
      return "INSERT INTO follows(follower_id, followee_id, created_at) VALUES (?1, ?2, ?3)"
             " ON CONFLICT(follower_id, followee_id) DO NOTHING";
    case kFollowDelete:
      return "DELETE FROM follows WHERE follower_id = ?1 AND followee_id = ?2";
    case kIsFollowing:
      return "SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = ?2";
    case kFollowersPage:
      return "SELECT f.id, a.id, a.username, a.created_at FROM follows f JOIN users a ON a.id = f.follower_id"
             " WHERE f.followee_id = ?1 AND f.id < ?2 ORDER BY f.id DESC LIMIT ?3";
    case kFollowingPage:
      return "SELECT f.id, a.id, a.username, a.created_at FROM follows f JOIN users a ON a.id = f.followee_id"
             " WHERE f.follower_id = ?1 AND f.id < ?2 ORDER BY f.id DESC LIMIT ?3";
    case kFollowerIds:
      return "SELECT follower_id FROM follows WHERE followee_id = ?1 AND follower_id > ?2"
             " ORDER BY follower_id LIMIT ?3";
    case kFolloweeIds:
      return "SELECT followee_id FROM follows WHERE follower_id = ?1 ORDER BY followee_id";
    case kWarmUsers:
      return "SELECT id, username, created_at, password_hash, display_name, bio FROM users ORDER BY id";
    case kWarmFollows:
      return "SELECT follower_id, followee_id FROM follows";
    case kWarmUweetCounts:
      return "SELECT author_id, count(*) FROM uweets GROUP BY author_id";
    case kLiveSessions:
      return "SELECT token_hash, user_id, expires_at FROM sessions WHERE expires_at > ?1";
    case kUweetOwner:
      return "SELECT author_id, idempotency_key FROM uweets WHERE id = ?1";
    case kUweetDelete:
      return "DELETE FROM uweets WHERE id = ?1";
    case kMentionsDelete:
      return "DELETE FROM mentions WHERE uweet_id = ?1";
    case kTombstoneInsert:
      return "INSERT INTO deleted_uweets(uweet_id, author_id, idempotency_key, deleted_at) VALUES (?1, ?2, "
             "?3, ?4)";
    case kTombstoneByKey:
      return "SELECT uweet_id FROM deleted_uweets WHERE author_id = ?1 AND idempotency_key = ?2";
    case kDeletionsAfter:
      return "SELECT seq, uweet_id, author_id, deleted_at FROM deleted_uweets WHERE seq > ?1 ORDER BY seq "
             "LIMIT ?2";
    case kNameReserved:
      return "SELECT max(reserved_until) FROM deleted_users WHERE username_key = ?1 AND reserved_until > ?2";
    case kAccountUweetIds:
      return "SELECT id FROM uweets WHERE author_id = ?1 ORDER BY id";
    case kAccountFollowerIds:
      return "SELECT follower_id FROM follows WHERE followee_id = ?1 ORDER BY follower_id";
    case kAccountFolloweeIds:
      return "SELECT followee_id FROM follows WHERE follower_id = ?1 ORDER BY followee_id";
    case kAccountTombstones:
      return "INSERT INTO deleted_uweets(uweet_id, author_id, idempotency_key, deleted_at)"
             " SELECT id, author_id, idempotency_key, ?2 FROM uweets WHERE author_id = ?1 ORDER BY id";
    case kAccountMentionsDelete:
      return "DELETE FROM mentions WHERE user_id = ?1"
             " OR uweet_id IN (SELECT id FROM uweets WHERE author_id = ?1)";
    case kAccountUweetsDelete:
      return "DELETE FROM uweets WHERE author_id = ?1";
    case kAccountFollowsDelete:
      return "DELETE FROM follows WHERE follower_id = ?1 OR followee_id = ?1";
    case kAccountSessionsDelete:
      return "DELETE FROM sessions WHERE user_id = ?1";
    case kAccountLogInsert:
      return "INSERT INTO deleted_users(user_id, username, username_key, deleted_at, reserved_until)"
             " VALUES (?1, ?2, ?3, ?4, ?5)";
    case kAccountUserDelete:
      return "DELETE FROM users WHERE id = ?1";
    case kAccountDeletionsAfter:
      return "SELECT seq, user_id, username, deleted_at, reserved_until FROM deleted_users WHERE seq > ?1"
             " ORDER BY seq LIMIT ?2";
    case kFollowNoteInsert:
      // ?1 follower, ?2 followee, ?3 now (s), ?4 kFollowNotificationRepeatS.
      // pos: the newest uweet id ever given (as kUweetInsert computes it).
      return "INSERT INTO follow_notifications(recipient_id, actor_id, pos, created_at) SELECT ?2, ?1,"
             " max(coalesce((SELECT max(id) FROM uweets), 0),"
             " coalesce((SELECT max(uweet_id) FROM deleted_uweets), 0)), ?3"
             " WHERE NOT EXISTS (SELECT 1 FROM follow_notifications WHERE actor_id = ?1 AND recipient_id = ?2"
             " AND created_at > ?3 - ?4)";
    case kNotesFollows:
      return "SELECT n.pos, n.id, n.actor_id, a.username, n.created_at FROM follow_notifications n"
             " JOIN users a ON a.id = n.actor_id WHERE n.recipient_id = ?1"
             " AND (n.pos < ?2 OR (n.pos = ?2 AND n.id < ?3)) ORDER BY n.pos DESC, n.id DESC LIMIT ?4";
    case kNotesUweets:
      // The page's ids from two index ranges (the followees' uweets since each
      // follow began, the mentions of ?1 by others), then only those rows.
      return "SELECT " UW_UWEET_COLS
             ", EXISTS(SELECT 1 FROM mentions m WHERE m.uweet_id = u.id AND m.user_id = ?1)" UW_UWEET_FROM
             " WHERE u.id IN ("
             "SELECT u2.id FROM follows f JOIN uweets u2 ON u2.author_id = f.followee_id"
             " WHERE f.follower_id = ?1 AND u2.id < ?2 AND u2.created_at >= f.created_at * 1000"
             " UNION SELECT m.uweet_id FROM mentions m JOIN uweets u3 ON u3.id = m.uweet_id"
             " WHERE m.user_id = ?1 AND m.uweet_id < ?2 AND u3.author_id <> ?1"
             " ORDER BY 1 DESC LIMIT ?3) ORDER BY u.id DESC";
    case kNotesUnreadFollows:
      return "SELECT count(*) FROM (SELECT 1 FROM follow_notifications WHERE recipient_id = ?1"
             " AND (pos > ?2 OR (pos = ?2 AND id > ?3)) LIMIT ?4)";
    case kNotesUnreadUweets:
      return "SELECT count(*) FROM ("
             "SELECT u2.id FROM follows f JOIN uweets u2 ON u2.author_id = f.followee_id"
             " WHERE f.follower_id = ?1 AND u2.id > ?2 AND u2.created_at >= f.created_at * 1000"
             " UNION SELECT m.uweet_id FROM mentions m JOIN uweets u3 ON u3.id = m.uweet_id"
             " WHERE m.user_id = ?1 AND m.uweet_id > ?2 AND u3.author_id <> ?1 LIMIT ?3)";
    case kNotesReadUpto:
      return "SELECT pos, sub FROM notification_reads WHERE user_id = ?1";
    case kNotesMarkRead:
      return "INSERT INTO notification_reads(user_id, pos, sub) VALUES (?1, ?2, ?3) ON CONFLICT(user_id) DO"
             " UPDATE SET pos = excluded.pos, sub = excluded.sub"
             " WHERE excluded.pos > pos OR (excluded.pos = pos AND excluded.sub > sub)";
    case kStatementCount:
      break;
  }
  return "";
}

Error db_error(sqlite3* db, std::string_view what) {
  const int code = sqlite3_errcode(db) & 0xff;  // primary code (extended codes are on)
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    // Another process holds the write lock past the busy timeout.
    return Error{503, "db_busy",
                 fmt::format("{}: the database is locked by another process; try again shortly", what), 1};
  }
  if (code == SQLITE_FULL || (code == SQLITE_IOERR && sqlite3_system_errno(db) == ENOSPC)) {
    // Nothing of the failed transaction is kept; it works again once space is freed.
    return Error{
        503, "disk_full",
        fmt::format("{}: the disk holding the database is full; nothing was saved, try again later", what),
        5};
  }
  return Error{500, "db_error", fmt::format("{}: {}", what, sqlite3_errmsg(db))};
}

}  // namespace store_sql

using namespace store_sql;

namespace {

// Runs one PRAGMA (or other statement) and returns the first column of its first row.
std::optional<std::string> pragma(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) return std::nullopt;
  std::optional<std::string> out;
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    out = p ? p : "";
  } else if (rc == SQLITE_DONE) {
    out = "";
  }
  sqlite3_finalize(s);
  return out;
}

bool valid_savepoint_name(const char* name) {
  if (!name || !*name) return false;
  for (const char* p = name; *p; ++p) {
    const char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

User read_user(const Query& q, int first_col) {
  return User{q.i64(first_col), q.text(first_col + 1), q.i64(first_col + 2)};
}

// id, username, created_at, display_name, bio.
User read_profile(const Query& q) {
  User u = read_user(q, 0);
  u.display_name = q.text(3);
  u.bio = q.text(4);
  return u;
}

bool is_search_statement(Id id) {
  return id == kSearch || id == kIndexedUpto || id == kIndexRangeEnd || id == kIndexRange ||
         id == kSetIndexedUpto;
}

// Attaches the search index as `search` (docs/STORAGE.md "Search"): a
// database file of its own, so indexing (FTS5 costs ~4x the insert of a uweet)
// runs on the indexer's connection without holding the main database's write
// lock. A writable connection creates the file and its tables.
Result<Unit> attach_search(sqlite3* db, const std::string& path, const Store::Options& opts) {
  const std::string file = SqliteStore::search_path_for(path, opts);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS search", -1, &st, nullptr) != SQLITE_OK)
    return db_error(db, "attach search index");
  sqlite3_bind_text(st, 1, file.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    if (opts.read_only) {
      return Error{503, "db_not_ready",
                   fmt::format("search index {} cannot be opened ({}); the writer creates it", file,
                               sqlite3_errmsg(db))};
    }
    return db_error(db, "attach search index " + file);
  }
  if (opts.read_only) return Unit{};
  if (file != ":memory:") {
    const auto mode = pragma(db, "PRAGMA search.journal_mode = WAL");
    if (!mode) return db_error(db, "search index journal_mode");
    if (!pragma(db, "PRAGMA search.synchronous = NORMAL")) return db_error(db, "search index synchronous");
  }
  char* msg = nullptr;
  if (sqlite3_exec(db, store_schema::search_schema(), nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e{500, "db_migration", fmt::format("search index schema: {}", msg ? msg : sqlite3_errmsg(db))};
    sqlite3_free(msg);
    return e;
  }
  return Unit{};
}

}  // namespace

std::string SqliteStore::search_path_for(const std::string& path, const Options& opts) {
  if (!opts.search_path.empty()) return opts.search_path;
  if (path.empty() || path == ":memory:") return ":memory:";
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".db") == 0)
    return path.substr(0, path.size() - 3) + "-search.db";
  return path + "-search";
}

SqliteStore::SqliteStore(sqlite3* db) : db_(db), st_(std::make_unique<Statements>()) {}

SqliteStore::~SqliteStore() {
  st_.reset();  // statements before the connection
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, const Options& opts) {
  const int flags = (opts.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // The Store owns db from here on, even on failure (the destructor closes it).
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  if (rc != SQLITE_OK) {
    return Error{
        500, "db_open",
        fmt::format("cannot open database {}: {}", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, opts.busy_timeout_ms);
  const std::string sync = opts.synchronous_full ? "FULL" : "NORMAL";
  if (!pragma(db, "PRAGMA synchronous = " + sync) || !pragma(db, "PRAGMA foreign_keys = ON") ||
      !pragma(db, "PRAGMA temp_store = MEMORY") ||
      !pragma(db, fmt::format("PRAGMA mmap_size = {}", std::max<int64_t>(0, opts.mmap_bytes)))) {
    return db_error(db, "set pragmas");
  }
  if (opts.read_only) {
    // Belt and braces: the connection refuses writes even on a writable file.
    if (!pragma(db, "PRAGMA query_only = ON")) return db_error(db, "set query_only");
    const int v = store_schema::current_version(db);
    if (v < store_schema::latest_version()) {
      return Error{
          503, "db_not_ready",
          fmt::format("database {} has schema version {}; the writer has not created it yet (need {})", path,
                      v, store_schema::latest_version())};
    }
  } else {
    const auto mode = pragma(db, "PRAGMA journal_mode = WAL");
    if (!mode) return db_error(db, "set journal_mode");
    if (*mode != "wal" && path != ":memory:" && !path.empty()) {
      return Error{500, "db_open",
                   fmt::format("database {} refused WAL mode (journal_mode={})", path, *mode)};
    }
    // Under a steady stream of commits the WAL only restarts from its start when
    // a checkpoint catches up; this cuts the file back afterwards.
    if (!pragma(db, "PRAGMA journal_size_limit = 67108864")) return db_error(db, "set journal_size_limit");
    if (auto r = store_schema::migrate(db); !r) return r.error();
  }
  if (opts.search) {
    if (auto r = attach_search(db, path, opts); !r) return r.error();
  }
  for (int i = 0; i < kStatementCount; ++i) {
    const auto id = static_cast<Id>(i);
    if (!opts.search && is_search_statement(id)) continue;  // stays null
    if (sqlite3_prepare_v3(db, sql(id), -1, SQLITE_PREPARE_PERSISTENT, &store->st_->stmt[i], nullptr) !=
        SQLITE_OK) {
      return db_error(db, fmt::format("prepare statement {}", i));
    }
  }
  return store;
}

int SqliteStore::schema_version() const { return store_schema::current_version(db_); }

// ---- transactions ---------------------------------------------------------

Result<Unit> SqliteStore::begin() {
  Query q((*st_)[kBegin]);
  if (q.step() != SQLITE_DONE) return db_error(db_, "begin");
  return Unit{};
}

Result<Unit> SqliteStore::commit() {
  Query q((*st_)[kCommit]);
  if (q.step() != SQLITE_DONE) return db_error(db_, "commit");
  return Unit{};
}

void SqliteStore::rollback() {
  // Without an open transaction ROLLBACK fails harmlessly; nothing to report.
  if (sqlite3_get_autocommit(db_)) return;
  Query q((*st_)[kRollback]);
  if (q.step() != SQLITE_DONE) log::error("store: rollback failed: {}", sqlite3_errmsg(db_));
}

namespace {
Result<Unit> exec_named(sqlite3* db, const char* verb, const char* name) {
  if (!valid_savepoint_name(name)) {
    return Error{500, "bad_savepoint", "savepoint names are [A-Za-z0-9_]+"};
  }
  // Savepoint names cannot be bound as parameters; the name is checked above.
  const std::string sql = fmt::format("{} {}", verb, name);
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return db_error(db, sql);
  return Unit{};
}
}  // namespace

Result<Unit> SqliteStore::savepoint(const char* name) { return exec_named(db_, "SAVEPOINT", name); }
Result<Unit> SqliteStore::release(const char* name) { return exec_named(db_, "RELEASE", name); }
void SqliteStore::rollback_to(const char* name) {
  if (auto r = exec_named(db_, "ROLLBACK TO", name); !r) log::error("store: {}", r.error().message);
}

// ---- users ----------------------------------------------------------------

Result<User> SqliteStore::create_user(std::string_view username, std::string_view password_hash,
                                      int64_t now_s) {
  if (auto r = rules::check_username(username); !r) return r.error();
  if (password_hash.empty()) return Error{500, "bad_hash", "create_user needs a password hash"};
  {
    Query q((*st_)[kNameReserved]);
    q.bind(1, rules::username_key(username)).bind(2, now_s);
    if (q.step() == SQLITE_ROW && !q.null(0)) return username_reserved_error(username, q.i64(0));
  }
  Query q((*st_)[kUserInsert]);
  q.bind(1, username).bind(2, rules::username_key(username)).bind(3, password_hash).bind(4, now_s);
  const int rc = q.step();
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    return Error{409, "username_taken", fmt::format("The username '{}' is already taken.", username)};
  }
  if (rc != SQLITE_DONE) return db_error(db_, "create user");
  return User{sqlite3_last_insert_rowid(db_), std::string(username), now_s};
}

std::optional<UserAuth> SqliteStore::user_auth(std::string_view username) {
  Query q((*st_)[kUserAuth]);
  q.bind(1, rules::username_key(username));
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return UserAuth{q.i64(0), q.text(1), q.text(2)};
}

Result<Unit> SqliteStore::set_password_hash(int64_t user_id, std::string_view hash) {
  if (hash.empty()) return Error{500, "bad_hash", "set_password_hash needs a password hash"};
  Query q((*st_)[kUserSetHash]);
  q.bind(1, user_id).bind(2, hash);
  if (q.step() != SQLITE_DONE) return db_error(db_, "set password hash");
  if (sqlite3_changes(db_) == 0) return Error{404, "no_such_user", "No such user."};
  return Unit{};
}

Result<Unit> SqliteStore::set_profile(int64_t user_id, std::string_view display_name, std::string_view bio) {
  Query q((*st_)[kUserSetProfile]);
  q.bind(1, user_id).bind(2, display_name).bind(3, bio);
  if (q.step() != SQLITE_DONE) return db_error(db_, "set profile");
  if (sqlite3_changes(db_) == 0) return Error{404, "no_such_user", "No such user."};
  return Unit{};
}

std::optional<User> SqliteStore::user_by_name(std::string_view username) {
  Query q((*st_)[kUserByName]);
  q.bind(1, rules::username_key(username));
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return read_profile(q);
}

std::optional<User> SqliteStore::user_by_id(int64_t id) {
  Query q((*st_)[kUserById]);
  q.bind(1, id);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return read_profile(q);
}

Counts SqliteStore::counts(int64_t user_id) {
  const auto count = [&](Id id) -> int64_t {
    Query q((*st_)[id]);
    q.bind(1, user_id);
    return q.step() == SQLITE_ROW ? q.i64(0) : 0;
  };
  return Counts{count(kCountUweets), count(kCountFollowers), count(kCountFollowing)};
}

std::vector<User> SqliteStore::users_after(int64_t after_id, int limit) {
  std::vector<User> out;
  if (limit <= 0) return out;
  Query q((*st_)[kUsersAfter]);
  q.bind(1, after_id).bind(2, static_cast<int64_t>(limit));
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(read_profile(q));
  if (rc != SQLITE_DONE) log::error("store: users_after: {}", sqlite3_errmsg(db_));
  return out;
}

// ---- sessions -------------------------------------------------------------

namespace {
constexpr size_t kTokenHashBytes = 32;
}

Result<Unit> SqliteStore::create_session(std::string_view token_hash, int64_t user_id, int64_t expires_at_s) {
  if (token_hash.size() != kTokenHashBytes) {
    return Error{500, "bad_token_hash", "a session token hash is exactly 32 bytes"};
  }
  Query q((*st_)[kSessionInsert]);
  q.bind_blob(1, token_hash).bind(2, user_id).bind(3, expires_at_s);
  const int rc = q.step();
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return Error{404, "no_such_user", "No such user."};
  if (rc != SQLITE_DONE) return db_error(db_, "create session");
  return Unit{};
}

std::optional<int64_t> SqliteStore::session_user(std::string_view token_hash, int64_t now_s) {
  if (token_hash.size() != kTokenHashBytes) return std::nullopt;
  Query q((*st_)[kSessionUser]);
  q.bind_blob(1, token_hash).bind(2, now_s);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return q.i64(0);
}

Result<Unit> SqliteStore::delete_session(std::string_view token_hash) {
  Query q((*st_)[kSessionDelete]);
  q.bind_blob(1, token_hash);
  if (q.step() != SQLITE_DONE) return db_error(db_, "delete session");
  return Unit{};
}

Result<int> SqliteStore::delete_other_sessions(int64_t user_id, std::string_view keep_hash) {
  Query q((*st_)[kSessionDeleteOthers]);
  q.bind(1, user_id);
  if (keep_hash.empty()) {
    q.bind_null(2);
  } else {
    q.bind_blob(2, keep_hash);
  }
  if (q.step() != SQLITE_DONE) return db_error(db_, "end other sessions");
  return sqlite3_changes(db_);
}

int SqliteStore::delete_expired_sessions(int64_t now_s) {
  Query q((*st_)[kSessionDeleteExpired]);
  q.bind(1, now_s);
  if (q.step() != SQLITE_DONE) {
    log::error("store: delete_expired_sessions: {}", sqlite3_errmsg(db_));
    return 0;
  }
  return sqlite3_changes(db_);
}

}  // namespace uw
