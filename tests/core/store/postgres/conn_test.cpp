// core/store/postgres/conn.cpp on the test program's throwaway PostgreSQL
// server: prepared statements with text and binary parameters, what a failure
// becomes (500 db_error, 503 db_unavailable without the URI), a read-only
// session, and a connection the server cut being reset on the next statement.
#include "core/store/postgres/conn.hpp"

#include <gtest/gtest.h>

#include "tests/core/store/store_fixture.hpp"

namespace uw::test {
namespace {

// A migrated fresh database, and a Conn of the test's own on it.
class PgConnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uri_ = fresh_pg_database();
    ASSERT_FALSE(uri_.empty());
    auto s = Store::open(uri_, {});  // migrates
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
  }
  std::unique_ptr<PgStore::Conn> conn(bool read_only = false) {
    auto c = std::make_unique<PgStore::Conn>();
    c->uri = uri_;
    c->redacted = "<the test database>";
    c->read_only = read_only;
    auto r = c->connect();
    EXPECT_TRUE(r.ok()) << r.error().message;
    return c;
  }
  PgStore& pg() { return static_cast<PgStore&>(*store_); }
  std::string uri_;
  std::unique_ptr<Store> store_;
};

TEST_F(PgConnTest, RunsPreparedStatementsWithTextAndBinaryParameters) {
  auto c = conn();
  auto ann = c->run(pg::kUserInsert, {"ann", "hash", int64_t{1'700'000'000}}, "insert user");
  ASSERT_TRUE(ann.ok()) << ann.error().message;
  auto found = c->run(pg::kUserByName, {"ANN"}, "user by name");
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->size(), 1);
  EXPECT_EQ(found->text(0, 1), "ann");
  EXPECT_EQ(found->i64(0, 2), 1'700'000'000);
  const int64_t id = found->i64(0, 0);
  EXPECT_EQ(c->run(pg::kUserByName, {"nobody"}, "user by name")->size(), 0);
  // A bytea parameter goes binary: NUL bytes and all.
  const std::string hash(
      "\0\x01\x02"
      "abcdefghijklmnopqrstuvwxyz012",
      32);
  ASSERT_TRUE(c->run(pg::kSessionInsert, {pg::Param::bytes(hash), id, int64_t{100}}, "session").ok());
  EXPECT_EQ(store_->session_user(hash, 50), id);  // the store's own connection reads it back
  auto gone = c->run(pg::kSessionDeleteExpired, {int64_t{100}}, "expire");
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ(gone->affected(), 1);
}

TEST_F(PgConnTest, AFailedStatementIsADbErrorNamingWhatFailed) {
  auto c = conn();
  auto r = c->exec("SELECT * FROM no_such_table", "look around");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 500);
  EXPECT_EQ(r.error().code, "db_error");
  EXPECT_EQ(r.error().message.rfind("look around: ", 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find("no_such_table"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);  // one line
  ASSERT_TRUE(c->exec("SELECT 1", "still usable").ok());
}

TEST_F(PgConnTest, AReadOnlySessionCannotWrite) {
  auto c = conn(/*read_only=*/true);
  auto r = c->run(pg::kUserInsert, {"ben", "hash", int64_t{1}}, "insert user");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db_error");
  EXPECT_FALSE(store_->user_by_name("ben"));
  EXPECT_TRUE(c->run(pg::kNewestId, {}, "newest").ok());  // reads work
}

TEST_F(PgConnTest, AConnectionTheServerCutIsResetOnTheNextStatement) {
  auto c = conn();
  ASSERT_TRUE(c->run(pg::kNewestId, {}, "newest").ok());
  auto cut = [&] {
    const int pid = PQbackendPID(c->pg);
    PGresult* killed =
        PQexec(pg().raw(), ("SELECT pg_terminate_backend(" + std::to_string(pid) + ")").c_str());
    EXPECT_EQ(PQresultStatus(killed), PGRES_TUPLES_OK) << PQresultErrorMessage(killed);
    EXPECT_STREQ(PQgetvalue(killed, 0, 0), "t");
    PQclear(killed);
    return pid;
  };
  // A write that finds the connection gone is never sent again: 503, and the
  // URI is not in the message.
  int pid = cut();
  auto lost = c->run(pg::kUserInsert, {"cat", "hash", int64_t{1}}, "insert user");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().status, 503) << lost.error().message;
  EXPECT_EQ(lost.error().message.find(uri_), std::string::npos) << lost.error().message;
  // The next statement reconnects, prepares again and runs.
  auto again = c->run(pg::kNewestId, {}, "newest");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_NE(PQbackendPID(c->pg), pid);
  // A read outside a transaction that finds it gone reconnects and runs once
  // more at once (it changes nothing, so running it again is safe).
  pid = cut();
  auto read = c->run(pg::kNewestId, {}, "newest");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_NE(PQbackendPID(c->pg), pid);
}

TEST_F(PgConnTest, AConnectionLostInsideATransactionIsNotReplacedUntilItEnds) {
  // A new connection mid-transaction would run the rest outside it, and its
  // COMMIT would "succeed" (PostgreSQL says COMMIT with nothing open): what
  // was written before the cut would be acknowledged and lost.
  auto s = Store::open(uri_, {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto& w = static_cast<PgStore&>(*s.value());
  auto bob = w.create_user("bob", "h", 1);
  ASSERT_TRUE(bob.ok()) << bob.error().message;
  const int pid = PQbackendPID(w.raw());
  ASSERT_TRUE(w.begin().ok());
  ASSERT_TRUE(w.insert_uweet(NewUweet{bob->id, "before the cut", 1, {}, std::nullopt}).ok());
  PGresult* killed = PQexec(pg().raw(), ("SELECT pg_terminate_backend(" + std::to_string(pid) + ")").c_str());
  EXPECT_EQ(PQresultStatus(killed), PGRES_TUPLES_OK) << PQresultErrorMessage(killed);
  PQclear(killed);
  for (const char* text : {"meets the cut", "after the cut"}) {
    auto r = w.insert_uweet(NewUweet{bob->id, text, 2, {}, std::nullopt});
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().status, 503) << text << ": " << r.error().message;
  }
  auto c = w.commit();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().status, 503) << c.error().message;
  w.rollback();
  EXPECT_EQ(pg().counts(bob->id).uweets, 0);
  // The next transaction gets a new connection.
  ASSERT_TRUE(w.begin().ok());
  ASSERT_TRUE(w.insert_uweet(NewUweet{bob->id, "next transaction", 3, {}, std::nullopt}).ok());
  ASSERT_TRUE(w.commit().ok());
  EXPECT_EQ(pg().counts(bob->id).uweets, 1);
  EXPECT_NE(PQbackendPID(w.raw()), pid);
}

TEST(PgConnOpen, AnUnreachableServerIs503NamingOnlyTheRedactedTarget) {
  PgStore::Conn c;
  c.uri = "postgresql://uw:sekret@127.0.0.1:1/none";
  c.redacted = "postgresql://uw:***@127.0.0.1:1/none";
  c.connect_timeout_s = 2;
  auto r = c.connect();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 503);
  EXPECT_EQ(r.error().code, "db_unavailable");
  EXPECT_NE(r.error().message.find(c.redacted), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("sekret"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace uw::test
