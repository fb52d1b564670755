// Tests of core/store/sqlite/store.cpp, schema.cpp and uweets.cpp (single
// items): opening, PRAGMAs, migrations, read-only access, users, sessions,
// uweets, mentions, idempotency. Real SQLite files in a TempDir.
#include "core/store/sqlite/store.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/rules.hpp"
#include "core/store/sqlite/schema.hpp"
#include "tests/core/store/store_fixture.hpp"

namespace uw::test {
namespace {

using namespace std::string_literals;

TEST_F(StoreTest, OpenSetsWalForeignKeysNormalSyncAndSchemaVersion) {
  EXPECT_GE(store().schema_version(), 1);
  EXPECT_EQ(query1("PRAGMA user_version"), std::to_string(store().schema_version()));
  EXPECT_EQ(query1("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query1("PRAGMA foreign_keys"), "1");
  EXPECT_EQ(query1("PRAGMA synchronous"), "1");  // NORMAL
  EXPECT_EQ(query1("PRAGMA busy_timeout"), "5000");
  EXPECT_EQ(query1("PRAGMA mmap_size"), std::to_string(int64_t{256} << 20));
}

TEST_F(StoreTest, SynchronousFullOptionIsVisibleViaPragma) {
  Store::Options o;
  o.synchronous_full = true;
  o.busy_timeout_ms = 1234;
  auto r = SqliteStore::open(path(), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(query1((*r)->raw(), "PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(query1((*r)->raw(), "PRAGMA busy_timeout"), "1234");
}

TEST_P(StoreContract, ReopeningIsANoOpMigrationAndKeepsData) {
  const int version = store().schema_version();
  const int64_t bob = user("bob");
  store_.reset();
  for (int i = 0; i < 2; ++i) {
    auto r = Store::open(target(), {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->schema_version(), version);
    auto u = (*r)->user_by_id(bob);
    ASSERT_TRUE(u.has_value());
    EXPECT_EQ(u->username, "bob");
  }
}

TEST_P(StoreContract, TwoWritersOpenTheSameFileWithoutMigratingTwice) {
  auto a = Store::open(target(), {});
  auto b = Store::open(target(), {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->schema_version(), (*b)->schema_version());
}

TEST_F(StoreTest, RefusesADatabaseFromANewerProgram) {
  EXPECT_EQ(query1("PRAGMA user_version = 999"), "");
  store_.reset();
  auto r = SqliteStore::open(path(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db_version");
}

TEST(StoreOpen, ReadOnlyOpenOfMissingOrEmptyDatabaseFails) {
  TempDir dir;
  Store::Options ro;
  ro.read_only = true;
  auto missing = SqliteStore::open(dir.file("none.db"), ro);
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.db")));  // read-only never creates
  { std::ofstream(dir.file("empty.db")).flush(); }
  auto empty = SqliteStore::open(dir.file("empty.db"), ro);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().status, 503);
  EXPECT_EQ(empty.error().code, "db_not_ready");
}

TEST_P(StoreContract, ReadOnlyOpenSeesCommitsAndCannotWrite) {
  const int64_t bob = user("bob");
  Store::Options ro;
  ro.read_only = true;
  auto r = Store::open(target(), ro);
  ASSERT_TRUE(r.ok()) << r.error().message;
  Store& reader = **r;
  ASSERT_TRUE(reader.user_by_id(bob).has_value());
  const int64_t id = post(bob, "first");
  EXPECT_EQ(reader.uweet(id)->text, "first");  // a later commit of the writer is visible
  auto w = reader.create_user("eve", "hash", 1);
  ASSERT_FALSE(w.ok());
  EXPECT_FALSE(reader.follow(bob, user("carol"), 1).ok());
  NewUweet u{bob, "from the reader", 1, {}, std::nullopt};
  EXPECT_FALSE(reader.insert_uweet(u).ok());
  EXPECT_EQ(store().counts(bob).uweets, 1);
}

TEST_P(StoreContract, ReadOnlyOpenWorksAfterTheWriterClosed) {
  const int64_t bob = user("bob");
  store_.reset();  // last connection: checkpoints and removes -wal/-shm
  Store::Options ro;
  ro.read_only = true;
  auto r = Store::open(target(), ro);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE((*r)->user_by_id(bob).has_value());
}

// Not a test on its own: the writer half of
// ReadOnlyOpenWorksWhileAnotherProcessHoldsTheWriteLock, run in a child process
// (this same test program re-executed) so the lock is held by another process.
TEST(StoreWriterChild, DISABLED_HoldWriteTransaction) {
  const char* db = std::getenv("UW_STORE_CHILD_DB");
  const char* release = std::getenv("UW_STORE_CHILD_RELEASE");
  if (!db || !release) GTEST_SKIP() << "only run by the parent test";
  auto r = SqliteStore::open(db, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  Store& s = **r;
  const auto bob = s.user_by_name("bob");
  ASSERT_TRUE(bob.has_value());
  ASSERT_TRUE(s.insert_uweet(NewUweet{bob->id, "committed by child", 2, {}, std::nullopt}).ok());
  ASSERT_TRUE(s.begin().ok());
  ASSERT_TRUE(s.insert_uweet(NewUweet{bob->id, "pending in child", 3, {}, std::nullopt}).ok());
  std::printf("holding\n");
  std::fflush(stdout);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(release) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polls the parent's signal file
  }
  ASSERT_TRUE(s.commit().ok());
}

TEST_F(StoreTest, ReadOnlyOpenWorksWhileAnotherProcessHoldsTheWriteLock) {
  const int64_t bob = user("bob");
  store_.reset();
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(n, 0);
  self[n] = 0;
  const std::string release = dir_.file("release");
  setenv("UW_STORE_CHILD_DB", path().c_str(), 1);
  setenv("UW_STORE_CHILD_RELEASE", release.c_str(), 1);
  ChildProcess child;
  ASSERT_TRUE(child.start({self, "--gtest_also_run_disabled_tests",
                           "--gtest_filter=StoreWriterChild.DISABLED_HoldWriteTransaction"},
                          dir_.file("child.err")));
  unsetenv("UW_STORE_CHILD_DB");
  unsetenv("UW_STORE_CHILD_RELEASE");
  ASSERT_TRUE(child.wait_line("holding").has_value()) << child.stderr_text();

  Store::Options ro;
  ro.read_only = true;
  ro.busy_timeout_ms = 100;
  auto r = SqliteStore::open(path(), ro);
  ASSERT_TRUE(r.ok()) << r.error().message;
  Store& reader = **r;
  auto page = reader.user_uweets(bob, std::nullopt, 10);
  ASSERT_EQ(page.items.size(), 1u);  // the pending insert is invisible
  EXPECT_EQ(page.items[0].text, "committed by child");

  { std::ofstream(release).flush(); }
  EXPECT_EQ(child.wait_exit(std::chrono::seconds(20)), 0) << child.stderr_text();
  EXPECT_EQ(reader.user_uweets(bob, std::nullopt, 10).items.size(), 2u);
}

TEST_F(StoreTest, SecondWriterWaitsForTheBusyTimeoutThenReports503) {
  const int64_t bob = user("bob");
  Store::Options o;
  o.busy_timeout_ms = 50;
  auto r = SqliteStore::open(path(), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  Store& other = **r;
  ASSERT_TRUE(store().begin().ok());
  post(bob, "holding the write lock");
  auto busy = other.begin();
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().status, 503);
  EXPECT_EQ(busy.error().code, "db_busy");
  ASSERT_TRUE(store().commit().ok());
  ASSERT_TRUE(other.begin().ok());
  EXPECT_EQ(other.counts(bob).uweets, 1);
  ASSERT_TRUE(other.commit().ok());
}

// ---- users ------------------------------------------------------------------

TEST_P(StoreContract, CreatesUsersAndFindsThemCaseInsensitively) {
  auto r = store().create_user("Bob_42", "$argon2id$v=19$hash", 1'700'000'123);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT(r->id, 0);
  EXPECT_EQ(r->username, "Bob_42");
  for (const char* name : {"Bob_42", "bob_42", "BOB_42"}) {
    auto u = store().user_by_name(name);
    ASSERT_TRUE(u.has_value()) << name;
    EXPECT_EQ(u->id, r->id);
    EXPECT_EQ(u->username, "Bob_42");  // display case kept
    EXPECT_EQ(u->created_at, 1'700'000'123);
    auto a = store().user_auth(name);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->password_hash, "$argon2id$v=19$hash");
  }
  EXPECT_FALSE(store().user_by_name("bob").has_value());
  EXPECT_FALSE(store().user_by_id(r->id + 1).has_value());
}

TEST_P(StoreContract, DuplicateUsernameInAnyCaseIs409) {
  user("alice");
  for (const char* name : {"alice", "Alice", "ALICE", "aLiCe"}) {
    auto r = store().create_user(name, "h", 1);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().status, 409);
    EXPECT_EQ(r.error().code, "username_taken");
  }
}

TEST_P(StoreContract, InvalidUsernameIs422) {
  for (const std::string& name : {""s, "has space"s, "x'; DROP TABLE users;--"s, std::string(16, 'a')}) {
    auto r = store().create_user(name, "h", 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().status, 422);
  }
}

TEST_P(StoreContract, PasswordHashCanBeReplaced) {
  const int64_t id = user("bob");
  ASSERT_TRUE(store().set_password_hash(id, "new-hash").ok());
  EXPECT_EQ(store().user_auth("bob")->password_hash, "new-hash");
  auto missing = store().set_password_hash(id + 100, "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().status, 404);
}

TEST_P(StoreContract, UsersAfterWalksAllUsersInIdOrder) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(user("u" + std::to_string(i)));
  std::vector<int64_t> seen;
  int64_t after = 0;
  for (;;) {
    auto chunk = store().users_after(after, 3);
    if (chunk.empty()) break;
    for (const auto& u : chunk) seen.push_back(u.id);
    after = chunk.back().id;
  }
  EXPECT_EQ(seen, ids);
}

// ---- sessions ---------------------------------------------------------------

std::string token_hash(char fill) { return std::string(32, fill); }

TEST_P(StoreContract, SessionsLiveUntilExpiryAndDieAtLogout) {
  const int64_t bob = user("bob");
  const std::string h = token_hash('\x01') + "";
  std::string with_nul = token_hash('\0');
  ASSERT_TRUE(store().create_session(h, bob, 1000).ok());
  ASSERT_TRUE(store().create_session(with_nul, bob, 2000).ok());
  EXPECT_EQ(store().session_user(h, 999), bob);
  EXPECT_FALSE(store().session_user(h, 1000).has_value());  // expires_at is exclusive
  EXPECT_EQ(store().session_user(with_nul, 1999), bob);     // binary hash, NUL bytes and all
  EXPECT_FALSE(store().session_user(token_hash('\x02'), 0).has_value());
  EXPECT_FALSE(store().session_user("short", 0).has_value());
  ASSERT_TRUE(store().delete_session(h).ok());
  EXPECT_FALSE(store().session_user(h, 0).has_value());
  EXPECT_EQ(query1("SELECT length(token_hash) FROM sessions"), "32");
}

TEST_P(StoreContract, DeleteExpiredSessionsRemovesOnlyExpiredOnes) {
  const int64_t bob = user("bob");
  for (char c = 1; c <= 5; ++c) ASSERT_TRUE(store().create_session(token_hash(c), bob, 100 * c).ok());
  EXPECT_EQ(store().delete_expired_sessions(300), 3);  // 100, 200, 300
  EXPECT_EQ(store().delete_expired_sessions(300), 0);
  EXPECT_EQ(store().session_user(token_hash(4), 300), bob);
}

TEST_P(StoreContract, SessionRejectsBadHashAndUnknownUser) {
  EXPECT_FALSE(store().create_session("too short", user("bob"), 10).ok());
  auto r = store().create_session(token_hash('x'), 424242, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 404);
}

// ---- uweets -----------------------------------------------------------------

TEST_P(StoreContract, StoresAndReadsUweetsVerbatim) {
  const int64_t bob = user("Bob");
  const std::vector<std::string> texts = {
      "hello world",
      "'; DROP TABLE uweets; --",
      "Robert'); DELETE FROM users WHERE ('1'='1",
      "\"double\" and 'single' quotes, back\\slash, 100% _under_ %s ?1 :name @x",
      "multi\nline\ntext",
      "\xF0\x9F\x98\x80 emoji and \xE4\xB8\xAD\xE6\x96\x87",
  };
  for (const auto& text : texts) {
    const int64_t id = post(bob, text, 1'700'000'000'123);
    auto u = store().uweet(id);
    ASSERT_TRUE(u.has_value()) << text;
    EXPECT_EQ(u->text, text);
    EXPECT_EQ(u->author_id, bob);
    EXPECT_EQ(u->author, "Bob");
    EXPECT_EQ(u->created_at, 1'700'000'000'123);
  }
  EXPECT_EQ(query1("SELECT count(*) FROM users"), "1");
  EXPECT_FALSE(store().uweet(999999).has_value());
}

TEST_P(StoreContract, LongestUweetFitsAndUnknownAuthorIs404) {
  const int64_t bob = user("bob");
  std::string longest;
  for (int i = 0; i < 141; ++i) longest += "\xF0\x9F\x98\x80";
  ASSERT_TRUE(rules::normalize_uweet(longest).ok());
  EXPECT_EQ(store().uweet(post(bob, longest))->text, longest);
  auto r = store().insert_uweet(NewUweet{bob + 1, "ghost", 1, {}, std::nullopt});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 404);
  EXPECT_EQ(query1("SELECT count(*) FROM uweets"), "1");
}

TEST_P(StoreContract, StoresMentions) {
  const int64_t bob = user("bob"), alice = user("alice"), carol = user("carol");
  auto r =
      store().insert_uweet(NewUweet{bob, "hi @alice @carol @alice", 1, {carol, alice, carol}, std::nullopt});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(store().mentions(r->id), (std::vector<int64_t>{alice, carol}));
  EXPECT_TRUE(store().mentions(post(bob, "no mentions")).empty());

  // An unknown mentioned id rolls the whole uweet back.
  auto bad = store().insert_uweet(NewUweet{bob, "hi @ghost", 1, {alice, 999}, std::nullopt});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().status, 404);
  EXPECT_EQ(store().counts(bob).uweets, 2);
  index_all();
  EXPECT_TRUE(store().search("ghost", std::nullopt, 10).items.empty());
}

TEST_P(StoreContract, IdempotencyKeyReturnsTheFirstUweet) {
  const int64_t bob = user("bob"), alice = user("alice");
  auto first = store().insert_uweet(NewUweet{bob, "once", 10, {alice}, "key-1"});
  ASSERT_TRUE(first.ok());
  auto again = store().insert_uweet(NewUweet{bob, "twice?", 20, {}, "key-1"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->text, "once");
  EXPECT_EQ(again->created_at, 10);
  // Keys are per author, and no key means no deduplication.
  auto other = store().insert_uweet(NewUweet{alice, "same key, other author", 30, {}, "key-1"});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->id, first->id);
  post(bob, "plain");
  post(bob, "plain");
  EXPECT_EQ(store().counts(bob).uweets, 3);
}

TEST_P(StoreContract, UweetInsideARolledBackTransactionLeavesNoTrace) {
  const int64_t bob = user("bob"), alice = user("alice");
  ASSERT_TRUE(store().begin().ok());
  auto r = store().insert_uweet(NewUweet{bob, "vanishing words", 1, {alice}, "k"});
  ASSERT_TRUE(r.ok());
  store().rollback();
  EXPECT_FALSE(store().uweet(r->id).has_value());
  EXPECT_TRUE(store().mentions(r->id).empty());
  index_all();
  EXPECT_TRUE(store().search("vanishing", std::nullopt, 10).items.empty());
  // The key is free again, and committed transactions keep their rows.
  ASSERT_TRUE(store().begin().ok());
  ASSERT_TRUE(store().savepoint("one").ok());
  post(bob, "kept words");
  ASSERT_TRUE(store().release("one").ok());
  ASSERT_TRUE(store().savepoint("two").ok());
  post(bob, "undone words");
  store().rollback_to("two");
  ASSERT_TRUE(store().release("two").ok());
  auto again = store().insert_uweet(NewUweet{bob, "vanishing words", 2, {}, "k"});
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(store().commit().ok());
  EXPECT_EQ(store().counts(bob).uweets, 2);
  index_all();
  EXPECT_EQ(store().search("words", std::nullopt, 10).items.size(), 2u);
  EXPECT_FALSE(store().savepoint("bad name").ok());
}

// The search index lives in its own file next to the database and is brought
// up to date in batches, oldest first; its progress survives a reopen.
TEST_F(StoreTest, SearchIndexCatchesUpInBatchesAndResumesAfterReopen) {
  const int64_t bob = user("bob");
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(post(bob, "indexed words " + std::to_string(i)));
  EXPECT_EQ(store().indexed_upto(), 0);
  EXPECT_TRUE(store().search("indexed", std::nullopt, 10).items.empty()) << "not indexed yet";
  auto first = store().index_pending(2);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first.value(), 2);
  EXPECT_EQ(store().indexed_upto(), ids[1]);
  auto page = store().search("indexed", std::nullopt, 10);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id, ids[1]);
  EXPECT_TRUE(std::filesystem::exists(dir_.file("uwitter-search.db")));
  store_.reset();
  auto r = SqliteStore::open(path(), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  store_ = std::move(r.value());
  EXPECT_EQ(store().indexed_upto(), ids[1]);
  auto rest = store().index_pending(100);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest.value(), 3);
  EXPECT_EQ(store().index_pending(100).value(), 0);
  EXPECT_EQ(store().search("indexed", std::nullopt, 10).items.size(), 5u);
  // A read-only connection searches the same index.
  Store::Options ro;
  ro.read_only = true;
  auto reader = SqliteStore::open(path(), ro);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(reader.value()->search("words 3", std::nullopt, 10).items.size(), 1u);
}

// The web app's writer opens the database without the search index: its
// BEGIN IMMEDIATE must not wait while the indexer holds the index's write lock
// (with the index attached, it would: BEGIN IMMEDIATE locks every attached
// database). Without the index, search is empty and indexing refused.
TEST_F(StoreTest, WriterWithoutTheSearchIndexIsNotBlockedByIndexing) {
  const int64_t bob = user("bob");
  post(bob, "first words");
  Store::Options plain;
  plain.search = false;
  plain.busy_timeout_ms = 100;
  auto writer = SqliteStore::open(path(), plain);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  Store::Options with_index;
  with_index.busy_timeout_ms = 100;
  auto other = SqliteStore::open(path(), with_index);
  ASSERT_TRUE(other.ok()) << other.error().message;
  // Hold the index's write lock as a long index batch does (a deferred BEGIN,
  // like Store::index_pending: only the index is written).
  auto hold_index_lock = [&] {
    ASSERT_EQ(sqlite3_exec(store().raw(), "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(store().raw(), "INSERT INTO search.uweets_fts(rowid, text) VALUES (1000, 'x')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  };
  hold_index_lock();
  EXPECT_FALSE(other.value()->begin().ok()) << "BEGIN IMMEDIATE with the index attached waits for its lock";
  ASSERT_TRUE(writer.value()->begin().ok());
  NewUweet u{bob, "written while indexing", 2, {}, std::nullopt};
  EXPECT_TRUE(writer.value()->insert_uweet(u).ok());
  EXPECT_TRUE(writer.value()->commit().ok());
  store().rollback();
  EXPECT_TRUE(writer.value()->search("words", std::nullopt, 10).items.empty());
  EXPECT_FALSE(writer.value()->index_pending(10).ok());
  EXPECT_EQ(store().counts(bob).uweets, 2);
}

// A version-1 database kept its search index inside (uweets_fts, by trigger).
// Opening it migrates to version 2, which drops that table; the uweets are
// then indexed into the search file like any new ones.
TEST_F(StoreTest, Version1DatabaseLosesItsInlineIndexAndIsReindexed) {
  test::TempDir dir;
  const std::string old_path = dir.file("v1.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(old_path.c_str(), &raw), SQLITE_OK);
  ASSERT_TRUE(store_schema::migrate(raw, 1).ok());
  ASSERT_EQ(
      sqlite3_exec(raw,
                   "INSERT INTO users(id, username, username_key, password_hash, created_at)"
                   " VALUES (1, 'Old', 'old', 'h', 1);"
                   "INSERT INTO uweets(author_id, text, created_at) VALUES (1, 'from the old days', 1);"
                   "INSERT INTO uweets(author_id, text, created_at) VALUES (1, 'old and searchable', 2);",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  EXPECT_EQ(query1(raw, "SELECT count(*) FROM uweets_fts WHERE uweets_fts MATCH 'old'"), "2");
  sqlite3_close(raw);

  auto r = SqliteStore::open(old_path, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  SqliteStore& s = *r.value();
  EXPECT_EQ(s.schema_version(), store_schema::latest_version());
  EXPECT_EQ(query1(s.raw(), "SELECT count(*) FROM main.sqlite_schema WHERE name LIKE 'uweets_fts%'"), "0");
  EXPECT_TRUE(s.search("old", std::nullopt, 10).items.empty());
  auto n = s.index_pending(100);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n.value(), 2);
  EXPECT_EQ(s.search("old", std::nullopt, 10).items.size(), 2u);
  EXPECT_EQ(s.search("searchable", std::nullopt, 10).items.size(), 1u);
}

// ---- PostgreSQL alone ------------------------------------------------------

class PgStoreTest : public ::testing::Test, public StoreFixture {
 protected:
  void SetUp() override { open_backend("postgres"); }
};

TEST_F(PgStoreTest, OpenMigratesToTheLatestVersionOnceAndStoresOnlyTheTokenHash) {
  EXPECT_GE(store().schema_version(), 1);
  EXPECT_EQ(query1("SELECT version FROM uw_schema_version"), std::to_string(store().schema_version()));
  EXPECT_EQ(query1("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                   " WHERE attrelid = 'sessions'::regclass AND attname = 'token_hash'"),
            "bytea");
  EXPECT_EQ(query1("SHOW synchronous_commit"), "on");  // acknowledged means durable
}

TEST_F(PgStoreTest, RefusesADatabaseFromANewerProgram) {
  EXPECT_EQ(query1("UPDATE uw_schema_version SET version = 999"), "");
  store_.reset();
  auto r = Store::open(target(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db_version");
}

TEST_F(PgStoreTest, ReadOnlyOpenOfAnEmptyDatabaseIs503) {
  kit::PgServer* server = shared_pg();
  ASSERT_NE(server, nullptr);
  const std::string empty = server->create_database();
  Store::Options ro;
  ro.read_only = true;
  auto r = Store::open(empty, ro);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 503);
  EXPECT_EQ(r.error().code, "db_not_ready");
}

TEST(PgStoreOpen, UnreachableServerIs503AndTheMessageHidesThePassword) {
  // A port nothing listens on: bind one, keep it bound, do not listen.
  Store::Options o;
  o.busy_timeout_ms = 2000;
  auto r = Store::open("postgresql://uw:s3cret-pw@127.0.0.1:1/uwitter", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 503);
  EXPECT_EQ(r.error().code, "db_unavailable");
  EXPECT_EQ(r.error().message.find("s3cret-pw"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("postgresql://uw:***@127.0.0.1:1/uwitter"), std::string::npos)
      << r.error().message;
}

// Sequences hand out ids at INSERT time, so with two writers id N can commit
// after id N+1 (docs/STORAGE.md "Ids and commit order"). Keyset pages are
// queries over what is committed: once both are, every list sees both, and a
// page that started below N+1 still finds N.
TEST_F(PgStoreTest, IdsThatCommitOutOfOrderAreListedPagedAndSearchedOnceBothCommitted) {
  const int64_t bob = user("bob");
  const int64_t carol = user("carol");
  ASSERT_TRUE(store().follow(carol, bob, 1).ok());
  auto other = Store::open(target(), {});
  ASSERT_TRUE(other.ok()) << other.error().message;
  Store::Options ro;
  ro.read_only = true;
  auto reader = Store::open(target(), ro);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  Store& r = **reader;

  ASSERT_TRUE(store().begin().ok());
  const int64_t n = post(bob, "slowpoke commits last");
  const int64_t n1 = post_on(**other, bob, "quick commits first");  // autocommit
  ASSERT_GT(n1, n);
  const auto ids = [](const Page<Uweet>& p) {
    std::vector<int64_t> v;
    for (const auto& u : p.items) v.push_back(u.id);
    return v;
  };
  EXPECT_EQ(ids(r.public_timeline(std::nullopt, 10)), std::vector<int64_t>{n1});
  // A client read the page above and now pages on below n1: nothing yet...
  EXPECT_TRUE(r.public_timeline(n1, 10).items.empty());
  ASSERT_TRUE(store().commit().ok());
  // ... and once n commits, the same cursor finds it.
  EXPECT_EQ(ids(r.public_timeline(n1, 10)), std::vector<int64_t>{n});
  EXPECT_EQ(ids(r.public_timeline(std::nullopt, 10)), (std::vector<int64_t>{n1, n}));
  EXPECT_EQ(ids(r.user_uweets(bob, n1, 10)), std::vector<int64_t>{n});
  EXPECT_EQ(ids(r.home_timeline(carol, std::nullopt, 10)), (std::vector<int64_t>{n1, n}));
  EXPECT_EQ(ids(r.search("commits", std::nullopt, 10)), (std::vector<int64_t>{n1, n}));
  EXPECT_EQ(ids(r.search("commits", n1, 10)), std::vector<int64_t>{n});
  EXPECT_GE(r.indexed_upto(), n1);
  auto pending = r.index_pending(10);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending.value(), 0);
}

TEST_F(PgStoreTest, FailedWritesInsideATransactionLeaveItUsable) {
  // On PostgreSQL a failing statement aborts the whole transaction; the
  // contract's expected failures must not (the writer batches many jobs).
  const int64_t bob = user("bob");
  ASSERT_TRUE(store().begin().ok());
  EXPECT_EQ(store().create_user("BOB", "h", 1).error().code, "username_taken");
  EXPECT_EQ(store().follow(bob, 9999, 1).error().code, "no_such_user");
  EXPECT_EQ(store().create_session(std::string(32, 'k'), 9999, 10).error().code, "no_such_user");
  EXPECT_EQ(store().insert_uweet(NewUweet{9999, "nobody", 1, {}, std::nullopt}).error().code, "no_such_user");
  EXPECT_EQ(store().insert_uweet(NewUweet{bob, "hi @ghost", 1, {9999}, std::nullopt}).error().code,
            "no_such_user");
  EXPECT_EQ(store().insert_uweet(NewUweet{bob, std::string(142, 'x'), 1, {}, std::nullopt}).error().code,
            "uweet_too_long");
  const int64_t kept = post(bob, "still fine");
  ASSERT_TRUE(store().commit().ok());
  EXPECT_EQ(store().counts(bob).uweets, 1);
  EXPECT_TRUE(store().uweet(kept).has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace uw::test
