#pragma once
// uw::SqliteStore — the SQLite backend of the Store contract (the embedded
// default). One SqliteStore wraps one sqlite3 connection and is used by ONE
// thread at a time. Prepared statements only. Opening a writable store runs
// migrations keyed on PRAGMA user_version, sets WAL, foreign_keys=ON,
// busy_timeout, and synchronous=NORMAL (or FULL when Options::synchronous_full).
// The search index is a file of its own, filled by sqlite/indexer.hpp; WAL
// checkpoints run on sqlite/checkpointer.hpp (start_background).
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/store/store.hpp"

struct sqlite3;

namespace uw {

// The FTS5 MATCH expression SqliteStore::search runs for user text: each token
// (split on ASCII white space and control characters) double-quoted with inner
// quotes doubled, joined by spaces (implicit AND). "" when there is no token.
// Never an FTS5 syntax error. Any thread.
std::string fts_query(std::string_view text);

class SqliteStore final : public Store {
 public:
  // The search index file used for a database path and options.
  static std::string search_path_for(const std::string& path, const Options& opts);
  // Opens (creating when writable) the database at path.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, const Options& opts);
  ~SqliteStore() override;

  int schema_version() const override;

  Result<Unit> begin() override;  // BEGIN IMMEDIATE
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
  std::optional<Uweet> uweet(int64_t id) override;
  Result<DeletedUweet> delete_uweet(int64_t author_id, int64_t uweet_id, int64_t now_ms) override;
  std::vector<Deletion> deletions_after(int64_t after_seq, int limit) override;
  std::vector<int64_t> mentions(int64_t uweet_id) override;
  Page<Uweet> public_timeline(std::optional<int64_t> before, int limit) override;
  Page<Uweet> user_uweets(int64_t author_id, std::optional<int64_t> before, int limit) override;
  // A k-way merge over per-author index ranges (docs/STORAGE.md).
  Page<Uweet> home_timeline(int64_t user_id, std::optional<int64_t> before, int limit) override;
  Page<Uweet> home_timeline_by_sql(int64_t user_id, std::optional<int64_t> before, int limit) override;
  // FTS5 over the attached search index.
  Page<Uweet> search(std::string_view query, std::optional<int64_t> before, int limit) override;
  // In one transaction that writes only the search database (so it runs
  // beside the main writer).
  Result<int> index_pending(int limit) override;
  int64_t indexed_upto() override;

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

  // The WAL checkpointer; nullptr for an in-memory database.
  std::unique_ptr<StoreBackground> start_background() override;

  // The SQLite connection. Outside core/store/sqlite/ only tests and
  // benchmarks use it, to look at the file underneath (PRAGMAs, the WAL,
  // the FTS tables); program code asks the Store instead.
  sqlite3* raw() { return db_; }

 private:
  explicit SqliteStore(sqlite3* db);
  struct Statements;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> st_;
};

}  // namespace uw
