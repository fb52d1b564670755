// Checkpointer: WAL checkpoints run on their own thread once the WAL crosses the
// threshold, never inline in the writer's COMMIT.
#include "core/store/sqlite/checkpointer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "bench/kit/temp_dir.hpp"
#include "core/store/sqlite/store.hpp"

namespace uw::web {
namespace {

// Appends uweets, one transaction each, through the Store (as the writer does).
void commit_uweets(Store& s, int64_t author, int n) {
  for (int i = 0; i < n; ++i) {
    NewUweet u;
    u.author_id = author;
    u.text = "checkpoint test uweet number " + std::to_string(i) + " with a little padding text";
    u.created_at = 1'700'000'000'000 + i;
    ASSERT_TRUE(s.begin());
    ASSERT_TRUE(s.insert_uweet(u));
    ASSERT_TRUE(s.commit());
  }
}

bool wait_for(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a condition, with a deadline
  }
  return cond();
}

// Frames in the WAL file, from its size (32-byte header, then 24-byte frame
// headers each followed by a page). SQLite restarts the WAL from its start once
// a checkpoint has copied everything back, so a WAL kept short by an inline
// auto-checkpoint (every 1000 pages) never grows much past 1000 frames.
uint64_t wal_frames(sqlite3* db) {
  std::string wal = std::string(sqlite3_db_filename(db, "main")) + "-wal";
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, nullptr);
  sqlite3_step(st);
  uint64_t page = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(wal, ec);
  return ec || size < 32 ? 0 : (size - 32) / (page + 24);
}

// A fresh database in dir with one user, alice (id in *alice).
std::unique_ptr<SqliteStore> store_with_alice(const kit::TempDir& dir, int64_t* alice) {
  auto store = SqliteStore::open(dir.file("db.sqlite"), {});
  EXPECT_TRUE(store);
  if (!store) return nullptr;
  auto user = store.value()->create_user("alice", "hash", 1);
  EXPECT_TRUE(user);
  *alice = user ? user->id : 0;
  return std::move(store.value());
}

TEST(Checkpointer, ChecksPointsOnItsOwnThreadOnceTheWalCrossesTheThreshold) {
  kit::TempDir dir;
  int64_t alice = 0;
  auto store = store_with_alice(dir, &alice);
  ASSERT_TRUE(store && alice);
  const std::string db_file = dir.file("db.sqlite");
  const auto size_before = std::filesystem::file_size(db_file);
  Checkpointer cp(store->raw(), 20);
  ASSERT_TRUE(cp.active());
  commit_uweets(*store, alice, 200);
  EXPECT_TRUE(wait_for([&] { return cp.checkpoints() > 0; })) << "no checkpoint ran";
  // A checkpoint that runs but copies nothing back (a connection that never
  // opened the WAL reports -1 pages) lets the WAL grow without bound.
  EXPECT_TRUE(wait_for([&] { return cp.backfilled_pages() > 0; })) << "checkpoints copied no page";
  EXPECT_TRUE(wait_for([&] { return std::filesystem::file_size(db_file) > size_before; }))
      << "the database file never received the committed pages";
  EXPECT_TRUE(store->user_by_name("alice").has_value());
}

TEST(Checkpointer, ReplacesSqlitesInlineAutoCheckpoint) {
  kit::TempDir dir;
  int64_t alice = 0;
  auto store = store_with_alice(dir, &alice);
  ASSERT_TRUE(store && alice);
  {
    // A threshold far above what we write: no checkpoint may run, and SQLite's
    // own auto-checkpoint (1000 pages) must not run inline either.
    Checkpointer cp(store->raw(), 1'000'000);
    commit_uweets(*store, alice, 1500);
    EXPECT_EQ(cp.checkpoints(), 0u);
    EXPECT_GT(wal_frames(store->raw()), 1200u) << "the WAL was checkpointed inline by the writer's COMMIT";
  }
}

TEST(Checkpointer, DoesNothingForAnInMemoryDatabase) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  {
    Checkpointer cp(db);
    EXPECT_FALSE(cp.active());
  }
  sqlite3_close(db);
}

}  // namespace
}  // namespace uw::web
