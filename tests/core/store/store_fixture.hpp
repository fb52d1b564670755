#pragma once
// Shared plumbing of the store tests. StoreContract is the one contract suite
// both backends pass: a parameterised fixture (TEST_P) instantiated for
// "sqlite" (a fresh file in a TempDir) and "postgres" (a fresh database on
// the test program's throwaway server, tests/pg_environment.hpp). StoreTest
// (TEST_F) is for what only SQLite has (PRAGMAs, WAL, FTS5, the search file).
// Helpers fail the test on any store error.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "core/store/postgres/store.hpp"
#include "core/store/sqlite/store.hpp"
#include "tests/pg_environment.hpp"

namespace uw::test {

using kit::ChildProcess;
using kit::TempDir;

class StoreFixture {
 protected:
  // Opens a fresh database of `backend` ("sqlite" or "postgres").
  void open_backend(const std::string& backend) {
    backend_ = backend;
    if (backend == "postgres") {
      target_ = fresh_pg_database();
      ASSERT_FALSE(target_.empty());
    } else {
      target_ = dir_.file("uwitter.db");
    }
    auto r = Store::open(target_, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    store_ = std::move(r.value());
  }
  bool postgres() const { return backend_ == "postgres"; }
  // What Store::open takes for this test's database (a path or a URI).
  const std::string& target() const { return target_; }
  Store& store() { return *store_; }

  int64_t user(const std::string& name) {
    auto r = store_->create_user(name, "$argon2id$fake", 1'700'000'000);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->id : 0;
  }
  int64_t post(int64_t author, const std::string& text, int64_t at_ms = 1'700'000'000'000) {
    return post_on(*store_, author, text, at_ms);
  }
  static int64_t post_on(Store& s, int64_t author, const std::string& text,
                         int64_t at_ms = 1'700'000'000'000) {
    NewUweet u;
    u.author_id = author;
    u.text = text;
    u.created_at = at_ms;
    auto r = s.insert_uweet(u);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->id : 0;
  }
  // Brings the search index up to date (the web app's indexer thread does
  // this after commits on SQLite; PostgreSQL indexes at insert).
  void index_all() {
    auto r = store_->index_pending(1 << 20);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  // First column of the first row of `sql` (plain SQL both backends run) on
  // the test's connection.
  std::string query1(const std::string& sql) {
    if (auto* p = dynamic_cast<PgStore*>(store_.get())) return pg_query1(p->raw(), sql);
    return query1(static_cast<SqliteStore&>(*store_).raw(), sql);
  }
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
  static std::string pg_query1(PGconn* c, const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    EXPECT_TRUE(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) << sql << ": " << PQresultErrorMessage(r);
    std::string out = st == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return out;
  }

  TempDir dir_;
  std::string backend_;
  std::string target_;
  std::unique_ptr<Store> store_;
};

// The contract suite: every TEST_P(StoreContract, ...) runs on both backends.
class StoreContract : public ::testing::TestWithParam<std::string>, public StoreFixture {
 protected:
  void SetUp() override { open_backend(GetParam()); }
};

// Tests of the SQLite backend alone.
class StoreTest : public ::testing::Test, public StoreFixture {
 protected:
  void SetUp() override { open_backend("sqlite"); }
  std::string path() const { return target(); }
  SqliteStore& store() { return static_cast<SqliteStore&>(*store_); }
  using StoreFixture::query1;
};

}  // namespace uw::test
