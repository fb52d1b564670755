#pragma once
// Internal to the PostgreSQL store (core/store/postgres/*.cpp): one libpq
// connection with its prepared statements, parameters, results and the
// mapping of failures to uw::Error. Not for other folders: use uw::Store.
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/store/postgres/store.hpp"

namespace uw::pg {

// Every statement the store prepares on each connection (named "uw<Id>").
enum Id : int {
  kUserInsert,
  kUserAuth,
  kUserByName,
  kUserById,
  kUserSetHash,
  kUserSetProfile,
  kUsersAfter,
  kCounts,
  kUsersExist,
  kSessionInsert,
  kSessionUser,
  kSessionDelete,
  kSessionDeleteExpired,
  kSessionDeleteOthers,
  kUweetInsert,
  kUweetInsertMany,
  kUweetDelete,
  kUweetByKey,
  kUweetById,
  kMentions,
  kPublicTimeline,
  kUserUweets,
  kHomeTimeline,
  kSearch,
  kNewestId,
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
  kUweetDeleteOwn,
  kTombstoneByKey,
  kDeletionsAfter,
  kNameReserved,
  kAccountDelete,
  kAccountDeletionsAfter,
  kNotesFollows,
  kNotesUweets,
  kNotesUnreadFollows,
  kNotesUnreadUweets,
  kNotesReadUpto,
  kNotesMarkRead,
  kFeedHorizon,
  kFeedRead,
  kFeedUsers,
  kFeedHeartbeat,
  kFeedHeartbeatWake,
  kFeedPeersBehind,
  kFeedLeave,
  kFeedXid,
  kFeedPrune,
  kFeedLogin,
  kStatementCount
};
const char* sql(Id id);
// The notification history's statements (postgres/notifications.cpp).
const char* notification_sql(Id id);
// The change feed's statements (postgres/feed.cpp).
const char* feed_sql(Id id);

// One parameter in text format (binary for bytea), or NULL.
struct Param {
  std::optional<std::string> value;
  bool binary = false;
  Param(int64_t v) : value(std::to_string(v)) {}        // NOLINT(google-explicit-constructor)
  Param(std::string_view v) : value(std::string(v)) {}  // NOLINT(google-explicit-constructor)
  Param(const std::string& v) : value(v) {}             // NOLINT(google-explicit-constructor)
  Param(const char* v) : value(std::string(v)) {}       // NOLINT(google-explicit-constructor)
  Param(std::nullopt_t) {}                              // NOLINT(google-explicit-constructor)
  static Param bytes(std::string_view v) {
    Param p{v};
    p.binary = true;
    return p;
  }
};

// An owned PGresult (text-format columns).
class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* r) : r_(r) {}
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows& operator=(Rows&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  ~Rows() { PQclear(r_); }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;

  int size() const { return r_ ? PQntuples(r_) : 0; }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  int64_t i64(int row, int col) const;
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  // Rows affected by an INSERT / UPDATE / DELETE.
  int64_t affected() const;

 private:
  PGresult* r_ = nullptr;
};

}  // namespace uw::pg

namespace uw {

struct PgStore::Conn {
  PGconn* pg = nullptr;
  std::string uri;       // as given (holds the password, never printed)
  std::string redacted;  // for messages
  bool read_only = false;
  // Store::Options::feed_origin, set as uw.origin on every (re)connect.
  std::string origin;
  // Counts connects: a LISTEN does not survive a reconnect (PgStore::feed_wait).
  uint64_t generation = 0;
  int connect_timeout_s = 5;
  bool prepared = false;
  // While the server is unreachable: no new connection attempt before this
  // (statements fail at once with 503 in between), and the loss is logged
  // once, not once per statement.
  std::chrono::steady_clock::time_point next_attempt{};
  bool down = false;
  // The last 503 a statement answered (Store::take_unavailable).
  std::optional<Error> unavailable;
  // A transaction's BEGIN (PgStore::begin) and savepoint statements
  // (SAVEPOINT, RELEASE, ROLLBACK TO) not sent yet: they go in the same round
  // trip as the next statement or COMMIT, so neither the BEGIN nor the
  // writer's per-job savepoint costs a round trip of its own (a failure
  // among them fails that statement, and the writer's batch with it).
  std::string pending;
  // Between PgStore::begin and commit/rollback. A connection lost meanwhile
  // is not replaced until the transaction ends: statements on a new one would
  // run outside the transaction and its COMMIT would "succeed" (PostgreSQL
  // commits nothing and says COMMIT), acknowledging what died with the old
  // one. So statements answer 503 and COMMIT fails.
  bool in_transaction = false;
  bool transaction_lost = false;

  ~Conn() { PQfinish(pg); }

  // Connects (or reconnects after a lost connection), sets the session up and
  // prepares every statement. 503 db_unavailable when the server cannot be reached.
  Result<Unit> connect();
  // Before each statement: a connection found broken is reset first (at most
  // one attempt per kReconnectInterval while the server stays away; never
  // inside a transaction, see in_transaction).
  Result<Unit> ensure();
  // The queued savepoint statements, one per element, and none queued after.
  std::vector<std::string> take_pending();
  // Runs a prepared statement. Errors: 503 db_unavailable (connection), 500 db_error.
  // A SELECT outside a transaction that meets a connection that died since the
  // last statement (a restarted server) reconnects and runs once more.
  Result<pg::Rows> run(pg::Id id, const std::vector<pg::Param>& params, std::string_view what);
  // run()'s statement after the queued savepoint statements (take_pending),
  // all in one round trip (libpq pipeline mode); the first failure is the answer.
  Result<pg::Rows> run_after(const std::vector<std::string>& statements, const std::string& name,
                             const std::vector<const char*>& values, const std::vector<int>& lengths,
                             const std::vector<int>& formats, std::string_view what);
  // Runs a statement without parameters through the simple protocol
  // (transaction control, migrations), after anything pending, in one round
  // trip. *tag, when given, gets the last statement's command tag ("COMMIT",
  // or "ROLLBACK" for a COMMIT of a transaction that had failed).
  Result<Unit> exec(const std::string& sql, std::string_view what, std::string* tag = nullptr);
  // An Error for a failed result (res may be null) or the connection; a 503
  // carries retry_after_s and is remembered in `unavailable`.
  Error error(const PGresult* res, std::string_view what);
  // Reads, without waiting, what the server sent since the last statement:
  // a server that stopped or restarted meanwhile closed the connection, and
  // that shows here without a round trip. False when the connection is gone.
  bool still_open();
  // Was this failure the connection going away (not an error of the statement)?
  bool lost() const;
};

namespace pg {
// Seconds a 503 tells clients to wait (Retry-After).
inline constexpr int64_t kRetryBusyS = 1;
inline constexpr int64_t kRetryUnavailableS = 2;
// How often a connection to a server that is away tries again.
inline constexpr std::chrono::milliseconds kReconnectInterval{250};
}  // namespace pg

}  // namespace uw
