// core/store/postgres/schema.cpp on fresh databases of the test program's
// throwaway PostgreSQL server: migrating to the latest version (also from
// several connections at once), a second run a no-op, a failing step leaving
// nothing behind, and a newer database refused.
#include "core/store/postgres/schema.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <thread>
#include <vector>

#include "tests/pg_environment.hpp"

namespace uw::store_pg_schema {
namespace {

class PgSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uri_ = test::fresh_pg_database();
    ASSERT_FALSE(uri_.empty());
    pg_ = connect();
  }
  void TearDown() override { PQfinish(pg_); }
  PGconn* connect() const {
    PGconn* c = PQconnectdb(uri_.c_str());
    EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
    return c;
  }
  std::string query1(const std::string& sql) const {
    PGresult* r = PQexec(pg_, sql.c_str());
    std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return out;
  }
  bool has_table(const std::string& t) const {
    return query1("SELECT to_regclass('" + t + "') IS NOT NULL") == "t";
  }
  std::string uri_;
  PGconn* pg_ = nullptr;
};

TEST_F(PgSchemaTest, MigratesAFreshDatabaseOnceToTheLatestVersion) {
  EXPECT_EQ(current_version(pg_), 0);
  auto r = migrate(pg_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(current_version(pg_), latest_version());
  for (const char* t : {"users", "sessions", "uweets", "mentions", "follows"}) EXPECT_TRUE(has_table(t)) << t;
  EXPECT_TRUE(has_table("uweets_search"));  // the GIN index of the search
  // without a pending list (step 8: its merges stalled a batch in every few seconds of posts)
  EXPECT_EQ(query1("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'uweets_search'"),
            "fastupdate=off");
  ASSERT_TRUE(migrate(pg_).ok());  // again: nothing to do
  EXPECT_EQ(current_version(pg_), latest_version());
  EXPECT_EQ(query1("SELECT count(*) FROM uw_schema_version"), "1");
  EXPECT_EQ(PQtransactionStatus(pg_), PQTRANS_IDLE);
}

TEST_F(PgSchemaTest, ConnectionsMigratingAtOnceApplyEachStepOnce) {
  std::vector<std::thread> threads;
  std::vector<std::string> errors(4);
  for (size_t i = 0; i < errors.size(); ++i) {
    threads.emplace_back([this, i, &errors] {
      PGconn* c = connect();
      auto r = migrate(c);
      if (!r) errors[i] = r.error().message;
      PQfinish(c);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(current_version(pg_), latest_version());
}

TEST_F(PgSchemaTest, AFailingStepLeavesNothingBehind) {
  PQclear(PQexec(pg_, "CREATE TABLE users(x int)"));  // in the way of step 1
  auto r = migrate(pg_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db_migration");
  EXPECT_NE(r.error().message.find("migration step 1"), std::string::npos) << r.error().message;
  EXPECT_FALSE(has_table("sessions"));
  EXPECT_EQ(PQtransactionStatus(pg_), PQTRANS_IDLE);  // rolled back, usable
}

TEST_F(PgSchemaTest, ANewerDatabaseIsRefused) {
  ASSERT_TRUE(migrate(pg_).ok());
  PQclear(PQexec(pg_,
                 ("UPDATE uw_schema_version SET version = " + std::to_string(latest_version() + 1)).c_str()));
  auto r = migrate(pg_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db_version");
  EXPECT_EQ(current_version(pg_), latest_version() + 1);
  EXPECT_EQ(PQtransactionStatus(pg_), PQTRANS_IDLE);
}

}  // namespace
}  // namespace uw::store_pg_schema
