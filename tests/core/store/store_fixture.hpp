#pragma once
// Shared plumbing of the store tests: a fresh SQLite file in a TempDir and
// helpers that fail the test on any store error.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "core/store/sqlite/store.hpp"

namespace uw::test {

using kit::ChildProcess;
using kit::TempDir;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = SqliteStore::open(path(), {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    store_ = std::move(r.value());
  }
  std::string path() const { return dir_.file("uwitter.db"); }
  SqliteStore& store() { return *store_; }

  int64_t user(const std::string& name) {
    auto r = store_->create_user(name, "$argon2id$fake", 1'700'000'000);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->id : 0;
  }
  int64_t post(int64_t author, const std::string& text, int64_t at_ms = 1'700'000'000'000) {
    NewUweet u;
    u.author_id = author;
    u.text = text;
    u.created_at = at_ms;
    auto r = store_->insert_uweet(u);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->id : 0;
  }
  // Brings the search index up to date (the web app's indexer thread does
  // this after commits; Store::search sees only indexed uweets).
  void index_all() {
    auto r = store_->index_pending(1 << 20);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  // First column of the first row of `sql` on the test's connection.
  std::string query1(const std::string& sql) { return query1(store_->raw(), sql); }
  static std::string query1(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db);
    std::string out;
    if (s && sqlite3_step(s) == SQLITE_ROW) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      out = p ? p : "";
    }
    sqlite3_finalize(s);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace uw::test
