// core/store/sqlite/schema.cpp on a raw SQLite file: migrations step by step
// to the latest version, each step whole (a failing one leaves nothing
// behind), a second run a no-op, a newer database refused, and the search
// index's schema idempotent.
#include "core/store/sqlite/schema.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "bench/kit/temp_dir.hpp"

namespace uw::store_schema {
namespace {

class SqliteSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sqlite3_open(dir_.file("s.db").c_str(), &db_), SQLITE_OK); }
  void TearDown() override { sqlite3_close(db_); }
  bool has(const std::string& type, const std::string& name, const std::string& schema = "main") {
    sqlite3_stmt* s = nullptr;
    const std::string sql = "SELECT count(*) FROM " + schema + ".sqlite_master WHERE type = ?1 AND name = ?2";
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    sqlite3_bind_text(s, 1, type.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, name.c_str(), -1, SQLITE_TRANSIENT);
    const bool found = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
    sqlite3_finalize(s);
    return found;
  }
  void exec(const std::string& sql) {
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  }
  kit::TempDir dir_;
  sqlite3* db_ = nullptr;
};

TEST_F(SqliteSchemaTest, MigratesStepByStepToTheLatestVersion) {
  ASSERT_GE(latest_version(), 2);
  EXPECT_EQ(current_version(db_), 0);
  ASSERT_TRUE(migrate(db_, 1).ok());
  EXPECT_EQ(current_version(db_), 1);
  EXPECT_TRUE(has("table", "users"));
  EXPECT_TRUE(has("table", "uweets_fts"));  // version 1 indexed inline
  auto r = migrate(db_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(current_version(db_), latest_version());
  for (const char* t : {"users", "sessions", "uweets", "mentions", "follows"})
    EXPECT_TRUE(has("table", t)) << t;
  for (const char* i : {"users_by_key", "uweets_by_author", "follows_by_pair", "follows_followers_page"})
    EXPECT_TRUE(has("index", i)) << i;
  EXPECT_FALSE(has("table", "uweets_fts"));  // version 2 moved search to its own file
  EXPECT_FALSE(has("trigger", "uweets_fts_insert"));
  ASSERT_TRUE(migrate(db_).ok());  // again: nothing to do
  EXPECT_EQ(current_version(db_), latest_version());
}

TEST_F(SqliteSchemaTest, AFailingStepLeavesTheDatabaseAtTheVersionBefore) {
  exec("CREATE TABLE users(x)");  // in the way of step 1
  auto r = migrate(db_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db_migration");
  EXPECT_NE(r.error().message.find("migration step 1"), std::string::npos) << r.error().message;
  EXPECT_EQ(current_version(db_), 0);
  EXPECT_FALSE(has("table", "sessions"));     // nothing of the step stayed
  EXPECT_EQ(sqlite3_get_autocommit(db_), 1);  // no transaction left open
}

TEST_F(SqliteSchemaTest, ANewerDatabaseIsRefused) {
  exec("PRAGMA user_version = " + std::to_string(latest_version() + 1));
  auto r = migrate(db_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db_version");
  EXPECT_EQ(current_version(db_), latest_version() + 1);
  EXPECT_EQ(sqlite3_get_autocommit(db_), 1);
}

TEST_F(SqliteSchemaTest, TheSearchSchemaIsIdempotent) {
  exec("ATTACH '" + dir_.file("s-search.db") + "' AS search");
  exec(search_schema());
  exec("UPDATE search.progress SET indexed_upto = 7");
  exec(search_schema());  // again: keeps what is there
  EXPECT_TRUE(has("table", "uweets_fts", "search"));
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_, "SELECT indexed_upto FROM search.progress", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 7);
  sqlite3_finalize(s);
}

}  // namespace
}  // namespace uw::store_schema
