// uw::PgStore: the statement table, opening, transactions, users, sessions
// and the start-up bulk loads. Uweets, lists, search and follows are in
// postgres/uweets.cpp.
#include "core/store/postgres/store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/log.hpp"
#include "core/rules.hpp"
#include "core/store/postgres/conn.hpp"
#include "core/store/postgres/schema.hpp"

namespace uw {
namespace pg {

#define UW_PG_UWEET_COLS "u.id, u.author_id, a.username, u.text, u.created_at"
#define UW_PG_UWEET_FROM " FROM uweets u JOIN users a ON a.id = u.author_id"

const char* sql(Id id) {
  switch (id) {
    case kUserInsert:
      // A taken name inserts nothing (no error: that would abort the caller's transaction).
      // So does a name reserved after its account was deleted (deleted_users).
      return "INSERT INTO users(username, password_hash, created_at) SELECT $1::text, $2::text, $3::bigint"
             " WHERE NOT EXISTS (SELECT 1 FROM deleted_users WHERE lower(username) = lower($1::text)"
             "  AND reserved_until > $3::bigint)"
             " ON CONFLICT ((lower(username))) DO NOTHING RETURNING id";
    case kUserAuth:
      return "SELECT id, username, password_hash FROM users WHERE lower(username) = lower($1)";
    case kUserByName:
      return "SELECT id, username, created_at, display_name, bio FROM users WHERE lower(username) = "
             "lower($1)";
    case kUserById:
      return "SELECT id, username, created_at, display_name, bio FROM users WHERE id = $1";
    case kUserSetProfile:
      return "UPDATE users SET display_name = $2, bio = $3 WHERE id = $1";
    case kUserSetHash:
      return "UPDATE users SET password_hash = $2 WHERE id = $1";
    case kUsersAfter:
      return "SELECT id, username, created_at, display_name, bio FROM users WHERE id > $1 ORDER BY id LIMIT "
             "$2";
    case kCounts:
      return "SELECT (SELECT count(*) FROM uweets WHERE author_id = $1),"
             " (SELECT count(*) FROM follows WHERE followee_id = $1),"
             " (SELECT count(*) FROM follows WHERE follower_id = $1)";
    case kUsersExist:
      return "SELECT count(*) FROM users WHERE id = ANY($1::bigint[])";
    case kSessionInsert:
      return "INSERT INTO sessions(token_hash, user_id, expires_at) SELECT $1::bytea, $2::bigint, $3::bigint"
             " WHERE EXISTS (SELECT 1 FROM users WHERE id = $2::bigint)";
    case kSessionUser:
      return "SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2";
    case kSessionDelete:
      return "DELETE FROM sessions WHERE token_hash = $1";
    case kSessionDeleteOthers:
      return "DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2::bytea";
    case kSessionDeleteExpired:
      return "DELETE FROM sessions WHERE expires_at <= $1";
    case kUweetInsert:
      // The uweet and its mentions in one statement (so: together or not at
      // all). An unknown author or mentioned user, or a reused idempotency
      // key (of a stored or a deleted uweet), inserts nothing and returns no
      // row (no error: that would abort the caller's transaction, and the
      // rest of a pipelined batch).
      return "WITH a AS (SELECT id, username FROM users WHERE id = $1"
             "  AND (SELECT count(*) FROM users WHERE id = ANY($5::bigint[])) = cardinality($5::bigint[])),"
             " ins AS (INSERT INTO uweets(author_id, text, created_at, idempotency_key)"
             "  SELECT a.id, $2::text, $3::bigint, $4::text FROM a"
             "  WHERE NOT EXISTS (SELECT 1 FROM deleted_uweets t WHERE t.author_id = $1 AND "
             "t.idempotency_key = $4::text)"
             "  ON CONFLICT (author_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
             "  RETURNING id, author_id, text, created_at),"
             " m AS (INSERT INTO mentions(uweet_id, user_id)"
             "  SELECT ins.id, x FROM ins, unnest($5::bigint[]) x ON CONFLICT DO NOTHING)"
             " SELECT ins.id, ins.author_id, a.username, ins.text, ins.created_at FROM ins, a";
    case kUweetInsertMany:
      // kUweetInsert for a whole batch in one statement (insert.cpp): $1..$4
      // the uweets' columns as arrays, $5/$6 every mention as (the uweet's
      // place in the arrays, from 1; the user). Ids come from the identity's
      // sequence in the arrays' order (nextval over the sorted rows). A row that kUweetInsert would not
      // insert is left out (no error); the answer has one row per inserted uweet, with its place first.
      return "WITH input AS (SELECT f.*, nextval(pg_get_serial_sequence('uweets', 'id')) AS id"
             "  FROM (SELECT t.ord, t.author_id, t.text, t.created_at, t.key"
             "  FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY"
             "   AS t(author_id, text, created_at, key, ord)"
             "  WHERE EXISTS (SELECT 1 FROM users WHERE id = t.author_id)"
             "  AND NOT EXISTS (SELECT 1 FROM deleted_uweets d WHERE d.author_id = t.author_id"
             "   AND d.idempotency_key = t.key)"
             "  AND NOT EXISTS (SELECT 1 FROM unnest($5::bigint[], $6::bigint[]) AS mm(ord, user_id)"
             "   WHERE mm.ord = t.ord AND NOT EXISTS (SELECT 1 FROM users WHERE id = mm.user_id))"
             "  ORDER BY t.ord) f),"  // ids in the batch's order
             " ins AS (INSERT INTO uweets(id, author_id, text, created_at, idempotency_key)"
             "  SELECT id, author_id, text, created_at, key FROM input ORDER BY ord"
             "  ON CONFLICT (author_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
             "  RETURNING id, author_id, text, created_at),"
             " m AS (INSERT INTO mentions(uweet_id, user_id)"
             "  SELECT ins.id, mm.user_id FROM ins JOIN input ON input.id = ins.id"
             "  JOIN unnest($5::bigint[], $6::bigint[]) AS mm(ord, user_id) ON mm.ord = input.ord"
             "  ON CONFLICT DO NOTHING)"
             " SELECT input.ord, ins.id, ins.author_id, a.username, ins.text, ins.created_at"
             " FROM ins JOIN input ON input.id = ins.id JOIN users a ON a.id = ins.author_id";
    case kUweetDelete:
      return "DELETE FROM uweets WHERE id = $1";
    case kUweetByKey:
      return "SELECT " UW_PG_UWEET_COLS UW_PG_UWEET_FROM " WHERE u.author_id = $1 AND u.idempotency_key = $2";
    case kUweetById:
      return "SELECT " UW_PG_UWEET_COLS UW_PG_UWEET_FROM " WHERE u.id = $1";
    case kMentions:
      return "SELECT user_id FROM mentions WHERE uweet_id = $1 ORDER BY user_id";
    case kPublicTimeline:
      return "SELECT " UW_PG_UWEET_COLS UW_PG_UWEET_FROM " WHERE u.id < $1 ORDER BY u.id DESC LIMIT $2";
    case kUserUweets:
      return "SELECT " UW_PG_UWEET_COLS UW_PG_UWEET_FROM
             " WHERE u.author_id = $1 AND u.id < $2 ORDER BY u.id DESC LIMIT $3";
    case kHomeTimeline:
      return "SELECT " UW_PG_UWEET_COLS UW_PG_UWEET_FROM
             " WHERE u.author_id IN (SELECT followee_id FROM follows WHERE follower_id = $1"
             " UNION ALL SELECT $1::bigint) AND u.id < $2 ORDER BY u.id DESC LIMIT $3";
    case kSearch:
      return "SELECT " UW_PG_UWEET_COLS UW_PG_UWEET_FROM
             " WHERE u.search @@ plainto_tsquery('simple', translate($1, '<>&', '   ')) AND u.id < $2"
             " ORDER BY u.id DESC LIMIT $3";
    case kNewestId:
      return "SELECT coalesce(max(id), 0) FROM uweets";
    case kFollowInsert:
      // With the followee's "followed you" in the same statement (so together
      // or not at all), unless one for this pair is younger than $4 seconds;
      // pos is the newest uweet id given. Answers the follows added (0 or 1).
      return "WITH f AS (INSERT INTO follows(follower_id, followee_id, created_at) VALUES ($1, $2, $3)"
             "  ON CONFLICT (follower_id, followee_id) DO NOTHING RETURNING follower_id, followee_id),"
             " n AS (INSERT INTO follow_notifications(recipient_id, actor_id, pos, created_at)"
             "  SELECT followee_id, follower_id, greatest(coalesce((SELECT max(id) FROM uweets), 0),"
             "  coalesce((SELECT max(uweet_id) FROM deleted_uweets), 0)), $3::bigint FROM f"
             "  WHERE NOT EXISTS (SELECT 1 FROM follow_notifications WHERE actor_id = $1 AND recipient_id = "
             "$2"
             "  AND created_at > $3::bigint - $4::bigint))"
             " SELECT count(*) FROM f";
    case kFollowDelete:
      return "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2";
    case kIsFollowing:
      return "SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2";
    case kFollowersPage:
      return "SELECT f.id, a.id, a.username, a.created_at FROM follows f JOIN users a ON a.id = f.follower_id"
             " WHERE f.followee_id = $1 AND f.id < $2 ORDER BY f.id DESC LIMIT $3";
    case kFollowingPage:
      return "SELECT f.id, a.id, a.username, a.created_at FROM follows f JOIN users a ON a.id = f.followee_id"
             " WHERE f.follower_id = $1 AND f.id < $2 ORDER BY f.id DESC LIMIT $3";
    case kFollowerIds:
      return "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2"
             " ORDER BY follower_id LIMIT $3";
    case kFolloweeIds:
      return "SELECT followee_id FROM follows WHERE follower_id = $1 ORDER BY followee_id";
    case kWarmUsers:
      return "SELECT id, username, created_at, password_hash, display_name, bio FROM users ORDER BY id";
    case kWarmFollows:
      return "SELECT follower_id, followee_id FROM follows";
    case kWarmUweetCounts:
      return "SELECT author_id, count(*) FROM uweets GROUP BY author_id";
    case kLiveSessions:
      return "SELECT encode(token_hash, 'hex'), user_id, expires_at FROM sessions WHERE expires_at > $1";
    case kUweetDeleteOwn:
      // The row goes (its mentions by ON DELETE CASCADE) and its tombstone
      // is written, in one statement; no row back when it is not there or
      // not the author's.
      return "WITH d AS (DELETE FROM uweets WHERE id = $2 AND author_id = $1"
             "  RETURNING id, author_id, text, created_at, idempotency_key),"
             " t AS (INSERT INTO deleted_uweets(uweet_id, author_id, idempotency_key, deleted_at)"
             "  SELECT id, author_id, idempotency_key, $3::bigint FROM d RETURNING seq)"
             " SELECT d.id, d.author_id, a.username, d.text, d.created_at, (SELECT seq FROM t)"
             " FROM d JOIN users a ON a.id = d.author_id";
    case kTombstoneByKey:
      return "SELECT uweet_id FROM deleted_uweets WHERE author_id = $1 AND idempotency_key = $2";
    case kDeletionsAfter:
      return "SELECT seq, uweet_id, author_id, deleted_at FROM deleted_uweets WHERE seq > $1 ORDER BY seq "
             "LIMIT $2";
    case kNameReserved:
      return "SELECT max(reserved_until) FROM deleted_users WHERE lower(username) = lower($1)"
             " AND reserved_until > $2";
    case kAccountDelete:
      // Everything of the account in one statement (so: together or not at
      // all, in a transaction or not): tombstones from the uweet rows, then
      // the rows; the foreign keys are checked at the statement's end, when
      // every referencing row is gone. Row kinds: 0 the log entry (seq,
      // name), 1 a uweet id, 2 a follower id, 3 a followee id.
      return "WITH u AS (SELECT id, username FROM users WHERE id = $1),"
             " t AS (INSERT INTO deleted_uweets(uweet_id, author_id, idempotency_key, deleted_at)"
             "  SELECT id, author_id, idempotency_key, $2::bigint FROM uweets WHERE author_id = $1"
             "  RETURNING uweet_id),"
             " m AS (DELETE FROM mentions WHERE user_id = $1"
             "  OR uweet_id IN (SELECT id FROM uweets WHERE author_id = $1)),"
             " w AS (DELETE FROM uweets WHERE author_id = $1),"
             " f AS (DELETE FROM follows WHERE follower_id = $1 OR followee_id = $1"
             "  RETURNING follower_id, followee_id),"
             " s AS (DELETE FROM sessions WHERE user_id = $1),"
             " d AS (INSERT INTO deleted_users(user_id, username, deleted_at, reserved_until)"
             "  SELECT id, username, $2::bigint, $3::bigint FROM u RETURNING seq, username),"
             " x AS (DELETE FROM users WHERE id IN (SELECT id FROM u))"
             " SELECT 0, seq, username FROM d"
             " UNION ALL SELECT 1, uweet_id, NULL::text FROM t"
             " UNION ALL SELECT 2, follower_id, NULL::text FROM f WHERE followee_id = $1"
             " UNION ALL SELECT 3, followee_id, NULL::text FROM f WHERE follower_id = $1";
    case kAccountDeletionsAfter:
      return "SELECT seq, user_id, username, deleted_at, reserved_until FROM deleted_users WHERE seq > $1"
             " ORDER BY seq LIMIT $2";
    case kNotesFollows:
    case kNotesUweets:
    case kNotesUnreadFollows:
    case kNotesUnreadUweets:
    case kNotesReadUpto:
    case kNotesMarkRead:
      return notification_sql(id);
    case kFeedHorizon:
    case kFeedRead:
    case kFeedUsers:
    case kFeedHeartbeat:
    case kFeedHeartbeatWake:
    case kFeedPeersBehind:
    case kFeedLeave:
    case kFeedXid:
    case kFeedPrune:
    case kFeedLogin:
      return feed_sql(id);
    case kStatementCount:
      break;
  }
  return "";
}

}  // namespace pg

using namespace pg;

namespace {

bool valid_savepoint_name(const char* name) {
  if (!name || !*name) return false;
  for (const char* p = name; *p; ++p) {
    const char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

// Text libpq can carry (no NUL: text parameters are C strings) that
// PostgreSQL accepts (valid UTF-8).
bool sendable(std::string_view s) { return s.find('\0') == std::string_view::npos && rules::valid_utf8(s); }

User read_user(const Rows& r, int row, int col) {
  return User{r.i64(row, col), r.text(row, col + 1), r.i64(row, col + 2)};
}

// id, username, created_at, display_name, bio.
User read_profile(const Rows& r, int row) {
  User u = read_user(r, row, 0);
  u.display_name = r.text(row, 3);
  u.bio = r.text(row, 4);
  return u;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

constexpr size_t kTokenHashBytes = 32;

}  // namespace

PgStore::PgStore(std::unique_ptr<Conn> c) : c_(std::move(c)), conn_(c_->pg) {}
PgStore::~PgStore() = default;

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& uri, const Options& opts) {
  auto c = std::make_unique<Conn>();
  c->uri = uri;
  c->redacted = redact_target(uri);
  c->read_only = opts.read_only;
  if (opts.feed_origin.size() > 64 ||
      opts.feed_origin.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != std::string::npos)
    return Error{400, "bad_origin", "an instance name is up to 64 of [A-Za-z0-9_.-]"};
  c->origin = opts.feed_origin;
  c->connect_timeout_s = std::max(2, (opts.busy_timeout_ms + 999) / 1000);
  if (auto r = c->connect(); !r) return r.error();
  if (opts.read_only) {
    const int v = store_pg_schema::current_version(c->pg);
    if (v < store_pg_schema::latest_version()) {
      return Error{
          503, "db_not_ready",
          fmt::format("database {} has schema version {}; the writer has not created it yet (need {})",
                      c->redacted, v, store_pg_schema::latest_version())};
    }
  } else if (auto r = store_pg_schema::migrate(c->pg); !r) {
    return r.error();
  }
  if (auto r = c->ensure(); !r) return r.error();  // prepares the statements
  return std::unique_ptr<PgStore>(new PgStore(std::move(c)));
}

int PgStore::schema_version() const { return store_pg_schema::current_version(c_->pg); }

// ---- transactions ---------------------------------------------------------

Result<Unit> PgStore::begin() {
  if (auto r = c_->ensure(); !r) return r;
  if (!c_->still_open()) {
    // The server stopped or restarted since the last statement: nothing was
    // sent that could have done anything, so connect now.
    c_->unavailable.reset();
    if (auto r = c_->ensure(); !r) return r;
  }
  // BEGIN travels with the transaction's first statement (Conn::pending):
  // one round trip less per transaction, a writer's batch included. Should
  // the connection go before that, the statement fails and so does COMMIT
  // (in_transaction), as for a connection lost later in the transaction.
  c_->pending.insert(0, "BEGIN;");
  c_->in_transaction = true;
  c_->transaction_lost = false;
  return Unit{};
}

std::optional<Error> PgStore::take_unavailable() { return std::exchange(c_->unavailable, std::nullopt); }

Result<Unit> PgStore::commit() {
  const bool lost = c_->transaction_lost;
  c_->in_transaction = false;
  c_->transaction_lost = false;
  if (lost) {
    // Its connection went (and was replaced): the server rolled it back.
    c_->pending.clear();
    Error e{503, "db_unavailable", "commit: the database connection was lost during the transaction",
            kRetryUnavailableS};
    c_->unavailable = e;
    return e;
  }
  std::string tag;
  if (auto r = c_->exec("COMMIT", "commit", &tag); !r) return r;
  // COMMIT of a transaction that had failed (a savepoint that could not be
  // rolled back to) ends it with ROLLBACK and no error: not committed.
  if (tag != "COMMIT")
    return Error{500, "db_error", "commit: the transaction had failed and was rolled back"};
  return Unit{};
}

void PgStore::rollback() {
  c_->pending.clear();
  c_->in_transaction = false;
  const bool lost = std::exchange(c_->transaction_lost, false);
  if (lost) return;  // that transaction ended with its connection
  // Nothing open; or the connection is gone, and the server rolled back with it.
  if (c_->lost() || PQtransactionStatus(c_->pg) == PQTRANS_IDLE) return;
  if (auto r = c_->exec("ROLLBACK", "rollback"); !r) log::error("store: {}", r.error().message);
}

namespace {
// Queues a savepoint statement (Conn::pending): it is sent with the next
// statement or COMMIT, and a failure shows there.
Result<Unit> exec_named(PgStore::Conn& c, const char* verb, const char* name) {
  if (!valid_savepoint_name(name)) return Error{500, "bad_savepoint", "savepoint names are [A-Za-z0-9_]+"};
  // Savepoint names cannot be bound as parameters; the name is checked above.
  c.pending += fmt::format("{} {};", verb, name);
  return Unit{};
}
}  // namespace

Result<Unit> PgStore::savepoint(const char* name) { return exec_named(*c_, "SAVEPOINT", name); }
Result<Unit> PgStore::release(const char* name) { return exec_named(*c_, "RELEASE SAVEPOINT", name); }
void PgStore::rollback_to(const char* name) {
  if (c_->lost())
    return;  // the whole transaction went with the connection (the writer's step fails and says so)
  if (auto r = exec_named(*c_, "ROLLBACK TO SAVEPOINT", name); !r) log::error("store: {}", r.error().message);
}

// ---- users ----------------------------------------------------------------

Result<User> PgStore::create_user(std::string_view username, std::string_view password_hash, int64_t now_s) {
  if (auto r = rules::check_username(username); !r) return r.error();
  if (password_hash.empty() || !sendable(password_hash))
    return Error{500, "bad_hash", "create_user needs a password hash"};
  auto r = c_->run(kUserInsert, {username, password_hash, now_s}, "create user");
  if (!r) return r.error();
  if (r->size() == 0) {
    auto reserved = c_->run(kNameReserved, {username, now_s}, "create user: reserved name");
    if (!reserved) return reserved.error();
    if (reserved->size() > 0 && !reserved->null(0, 0))
      return username_reserved_error(username, reserved->i64(0, 0));
    return Error{409, "username_taken", fmt::format("The username '{}' is already taken.", username)};
  }
  return User{r->i64(0, 0), std::string(username), now_s};
}

std::optional<UserAuth> PgStore::user_auth(std::string_view username) {
  if (!sendable(username)) return std::nullopt;
  auto r = c_->run(kUserAuth, {username}, "user_auth");
  if (!r || r->size() == 0) return std::nullopt;
  return UserAuth{r->i64(0, 0), r->text(0, 1), r->text(0, 2)};
}

Result<Unit> PgStore::set_password_hash(int64_t user_id, std::string_view hash) {
  if (hash.empty() || !sendable(hash))
    return Error{500, "bad_hash", "set_password_hash needs a password hash"};
  auto r = c_->run(kUserSetHash, {user_id, hash}, "set password hash");
  if (!r) return r.error();
  if (r->affected() == 0) return Error{404, "no_such_user", "No such user."};
  return Unit{};
}

Result<Unit> PgStore::set_profile(int64_t user_id, std::string_view display_name, std::string_view bio) {
  if (!sendable(display_name) || !sendable(bio))
    return Error{422, "invalid_utf8", "A display name and a bio are valid UTF-8 text."};
  auto r = c_->run(kUserSetProfile, {user_id, display_name, bio}, "set profile");
  if (!r) return r.error();
  if (r->affected() == 0) return Error{404, "no_such_user", "No such user."};
  return Unit{};
}

std::optional<User> PgStore::user_by_name(std::string_view username) {
  if (!sendable(username)) return std::nullopt;
  auto r = c_->run(kUserByName, {username}, "user_by_name");
  if (!r || r->size() == 0) return std::nullopt;
  return read_profile(*r, 0);
}

std::optional<User> PgStore::user_by_id(int64_t id) {
  auto r = c_->run(kUserById, {id}, "user_by_id");
  if (!r || r->size() == 0) return std::nullopt;
  return read_profile(*r, 0);
}

Counts PgStore::counts(int64_t user_id) {
  auto r = c_->run(kCounts, {user_id}, "counts");
  if (!r || r->size() == 0) return {};
  return Counts{r->i64(0, 0), r->i64(0, 1), r->i64(0, 2)};
}

std::vector<User> PgStore::users_after(int64_t after_id, int limit) {
  std::vector<User> out;
  if (limit <= 0) return out;
  auto r = c_->run(kUsersAfter, {after_id, static_cast<int64_t>(limit)}, "users_after");
  if (!r) {
    log::error("store: {}", r.error().message);
    return out;
  }
  for (int i = 0; i < r->size(); ++i) out.push_back(read_profile(*r, i));
  return out;
}

// ---- sessions -------------------------------------------------------------

Result<Unit> PgStore::create_session(std::string_view token_hash, int64_t user_id, int64_t expires_at_s) {
  if (token_hash.size() != kTokenHashBytes) {
    return Error{500, "bad_token_hash", "a session token hash is exactly 32 bytes"};
  }
  auto r = c_->run(kSessionInsert, {Param::bytes(token_hash), user_id, expires_at_s}, "create session");
  if (!r) return r.error();
  if (r->affected() == 0) return Error{404, "no_such_user", "No such user."};
  return Unit{};
}

std::optional<int64_t> PgStore::session_user(std::string_view token_hash, int64_t now_s) {
  if (token_hash.size() != kTokenHashBytes) return std::nullopt;
  auto r = c_->run(kSessionUser, {Param::bytes(token_hash), now_s}, "session_user");
  if (!r || r->size() == 0) return std::nullopt;
  return r->i64(0, 0);
}

Result<Unit> PgStore::delete_session(std::string_view token_hash) {
  auto r = c_->run(kSessionDelete, {Param::bytes(token_hash)}, "delete session");
  if (!r) return r.error();
  return Unit{};
}

Result<int> PgStore::delete_other_sessions(int64_t user_id, std::string_view keep_hash) {
  const Param keep = keep_hash.empty() ? Param(std::nullopt) : Param::bytes(keep_hash);
  auto r = c_->run(kSessionDeleteOthers, {user_id, keep}, "end other sessions");
  if (!r) return r.error();
  return static_cast<int>(r->affected());
}

int PgStore::delete_expired_sessions(int64_t now_s) {
  auto r = c_->run(kSessionDeleteExpired, {now_s}, "delete expired sessions");
  if (!r) {
    log::error("store: {}", r.error().message);
    return 0;
  }
  return static_cast<int>(r->affected());
}

// ---- bulk loads -----------------------------------------------------------

Result<WarmSnapshot> PgStore::warm_snapshot() {
  WarmSnapshot snap;
  // One snapshot for the three scans when not inside a caller's transaction.
  const bool own = PQtransactionStatus(c_->pg) == PQTRANS_IDLE;
  if (own) {
    if (auto b = c_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "warm snapshot"); !b)
      return b.error();
  }
  const auto end = [&] {
    if (own) (void)c_->exec("COMMIT", "warm snapshot");
  };
  auto users = c_->run(kWarmUsers, {}, "scan users");
  if (!users) {
    end();
    return users.error();
  }
  snap.users.reserve(static_cast<size_t>(users->size()));
  for (int i = 0; i < users->size(); ++i) {
    User u = read_user(*users, i, 0);
    u.display_name = users->text(i, 4);
    u.bio = users->text(i, 5);
    snap.users.push_back({std::move(u), users->text(i, 3)});
  }
  auto follows = c_->run(kWarmFollows, {}, "scan follows");
  if (!follows) {
    end();
    return follows.error();
  }
  for (int i = 0; i < follows->size(); ++i) snap.follows.emplace_back(follows->i64(i, 0), follows->i64(i, 1));
  auto counts = c_->run(kWarmUweetCounts, {}, "count uweets");
  end();
  if (!counts) return counts.error();
  for (int i = 0; i < counts->size(); ++i)
    snap.uweet_counts.emplace_back(counts->i64(i, 0), counts->i64(i, 1));
  return snap;
}

Result<std::vector<LiveSession>> PgStore::live_sessions(int64_t now_s) {
  auto r = c_->run(kLiveSessions, {now_s}, "list sessions");
  if (!r) return r.error();
  std::vector<LiveSession> out;
  for (int i = 0; i < r->size(); ++i) {
    const std::string hex = r->text(i, 0);
    std::string hash;
    for (size_t k = 0; k + 1 < hex.size(); k += 2) {
      const int hi = hex_digit(hex[k]);
      const int lo = hex_digit(hex[k + 1]);
      if (hi < 0 || lo < 0) break;
      hash.push_back(static_cast<char>(hi * 16 + lo));
    }
    if (hash.size() != kTokenHashBytes) continue;
    out.push_back(LiveSession{std::move(hash), r->i64(i, 1), r->i64(i, 2)});
  }
  return out;
}

}  // namespace uw
