#pragma once
// uw::PgStore — the PostgreSQL backend of the Store contract, on libpq
// directly (no ORM). One PgStore wraps one PGconn and is used by ONE thread at
// a time, exactly like SqliteStore. Every statement is prepared once per
// connection (PQprepare) and run with PQexecPrepared.
//
// What differs from SQLite, and why (docs/STORAGE.md "PostgreSQL"):
//  * Opening a writable store runs the migrations in postgres/schema.cpp,
//    keyed on the table uw_schema_version, under an advisory lock (several
//    programs may open the same database at once). A read-only store sets
//    default_transaction_read_only and refuses a database the writer has not
//    migrated yet (503 db_not_ready).
//  * Full-text search is a generated tsvector column with a GIN index,
//    maintained in the insert's own transaction: what is committed is
//    searchable, so there is no indexer (index_pending() is 0, indexed_upto()
//    the newest id) and no background work (start_background() is nullptr).
//  * Writes that the contract expects to fail (a taken username, an unknown
//    user, a reused idempotency key) are written so that PostgreSQL raises no
//    error for them (ON CONFLICT DO NOTHING, INSERT ... SELECT ... WHERE
//    EXISTS): an error would abort the caller's whole transaction, where SQLite
//    fails only the statement.
//  * insert_uweets (the writer's run of inserts) sends every insert of the
//    batch in one libpq pipeline inside one savepoint, not one round trip
//    each (postgres/insert.cpp).
//  * Savepoint statements are queued and sent in the same round trip as the
//    next statement or COMMIT (one simple-protocol message): the writer's
//    SAVEPOINT / RELEASE per job cost no round trips of their own. A COMMIT
//    whose transaction had failed answers an error, not success.
//  * Ids come from identity columns (sequences) at INSERT time, so with
//    several writers they do not commit in id order (docs/STORAGE.md "Ids and
//    commit order").
//  * A lost connection is reset before the next statement (PQreset, at
//    most every 250 ms while the server stays away; in between statements
//    answer 503 db_unavailable at once). BEGIN, and a SELECT outside a
//    transaction, that find the connection dead since the last statement (a
//    restarted server) reconnect and run once more; anything else that met
//    the failure answers 503 db_unavailable with Retry-After, and later
//    statements work again once the server is back (docs/STORAGE.md
//    "Server restarts").
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/store/store.hpp"

struct pg_conn;

namespace uw {

class PgStore final : public Store {
 public:
  // Connects to the libpq URI (postgresql://...); see Store::open.
  static Result<std::unique_ptr<PgStore>> open(const std::string& uri, const Options& opts);
  ~PgStore() override;

  int schema_version() const override;

  Result<Unit> begin() override;
  Result<Unit> commit() override;
  void rollback() override;
  Result<Unit> savepoint(const char* name) override;
  Result<Unit> release(const char* name) override;
  void rollback_to(const char* name) override;

  Result<User> create_user(std::string_view username, std::string_view password_hash, int64_t now_s) override;
  std::optional<UserAuth> user_auth(std::string_view username) override;
  Result<Unit> set_password_hash(int64_t user_id, std::string_view hash) override;
  Result<Unit> set_profile(int64_t user_id, std::string_view display_name, std::string_view bio) override;
  Result<DeletedAccount> delete_user(int64_t user_id, int64_t now_ms, int64_t reserved_until_s) override;
  std::vector<AccountDeletion> account_deletions_after(int64_t after_seq, int limit) override;
  std::optional<User> user_by_name(std::string_view username) override;
  std::optional<User> user_by_id(int64_t id) override;
  Counts counts(int64_t user_id) override;
  std::vector<User> users_after(int64_t after_id, int limit) override;

  Result<Unit> create_session(std::string_view token_hash, int64_t user_id, int64_t expires_at_s) override;
  std::optional<int64_t> session_user(std::string_view token_hash, int64_t now_s) override;
  Result<Unit> delete_session(std::string_view token_hash) override;
  Result<int> delete_other_sessions(int64_t user_id, std::string_view keep_hash) override;
  int delete_expired_sessions(int64_t now_s) override;

  Result<Uweet> insert_uweet(const NewUweet& u) override;
  // One pipeline for all of them (postgres/insert.cpp): one round trip.
  std::vector<Result<Uweet>> insert_uweets(const std::vector<const NewUweet*>& us) override;
  std::optional<Uweet> uweet(int64_t id) override;
  Result<DeletedUweet> delete_uweet(int64_t author_id, int64_t uweet_id, int64_t now_ms) override;
  std::vector<Deletion> deletions_after(int64_t after_seq, int limit) override;
  std::vector<int64_t> mentions(int64_t uweet_id) override;
  Page<Uweet> public_timeline(std::optional<int64_t> before, int limit) override;
  Page<Uweet> user_uweets(int64_t author_id, std::optional<int64_t> before, int limit) override;
  // One statement (the planner merges the per-author index ranges itself).
  Page<Uweet> home_timeline(int64_t user_id, std::optional<int64_t> before, int limit) override;
  Page<Uweet> home_timeline_by_sql(int64_t user_id, std::optional<int64_t> before, int limit) override;
  // plainto_tsquery('simple', text): every word is a lexeme, operators and
  // quotes are just punctuation, so no input is a syntax error.
  Page<Uweet> search(std::string_view query, std::optional<int64_t> before, int limit) override;
  Result<int> index_pending(int limit) override;  // 0: indexed at insert
  int64_t indexed_upto() override;                // the newest committed id

  Result<bool> follow(int64_t follower_id, int64_t followee_id, int64_t now_s) override;
  Result<bool> unfollow(int64_t follower_id, int64_t followee_id) override;
  bool is_following(int64_t follower_id, int64_t followee_id) override;
  Page<User> followers(int64_t user_id, std::optional<int64_t> before, int limit) override;
  Page<User> following(int64_t user_id, std::optional<int64_t> before, int limit) override;
  std::vector<int64_t> follower_ids(int64_t user_id, int64_t after_id, int limit) override;
  std::vector<int64_t> followee_ids(int64_t user_id) override;

  NotificationPage notifications(int64_t user_id, std::optional<NotificationKey> before, int limit) override;
  NotificationKey notifications_read_upto(int64_t user_id) override;
  Result<NotificationKey> mark_notifications_read(int64_t user_id, NotificationKey up_to) override;
  int64_t unread_notifications(int64_t user_id) override;

  Result<WarmSnapshot> warm_snapshot() override;
  Result<std::vector<LiveSession>> live_sessions(int64_t now_s) override;

  // The change feed (postgres/feed.cpp; docs/STORAGE.md "Change feed").
  bool has_feed() const override { return true; }
  Result<FeedCursor> feed_start() override;
  Result<FeedPage> feed_read(const FeedCursor& from, std::string_view skip_origin, int limit) override;
  Result<Unit> feed_listen() override;
  Result<bool> feed_wait(std::chrono::milliseconds max, int wake_fd) override;
  Result<Unit> feed_heartbeat(std::string_view name, int64_t applied_lo, bool wake_peers) override;
  Result<int64_t> feed_peers_behind(std::string_view name, int64_t xid, int64_t live_ms) override;
  Result<Unit> feed_leave(std::string_view name) override;
  Result<int64_t> feed_xid() override;
  Result<int64_t> feed_prune(int64_t before_ms) override;
  Result<Unit> feed_login(bool failed, std::string_view key, std::string_view address, int64_t at_s) override;

  std::unique_ptr<StoreBackground> start_background() override { return nullptr; }
  std::optional<Error> take_unavailable() override;

  // The libpq connection, for tests that look underneath (settings, plans).
  pg_conn* raw() { return conn_; }

  struct Conn;  // postgres/conn.hpp

 private:
  explicit PgStore(std::unique_ptr<Conn> c);
  std::unique_ptr<Conn> c_;
  pg_conn* conn_ = nullptr;
  uint64_t listening_generation_ = 0;  // Conn::generation when LISTEN ran (0 = never)
};

}  // namespace uw
