// core/store/postgres/insert.cpp on the test program's throwaway server: a
// batch of inserts is one statement, whatever its texts, keys and mentions;
// BEGIN waits for the transaction's first statement; the writer's inserts in
// one pipeline, where a real statement error (here a
// trigger that raises) aborts the rest of the pipeline and the transaction;
// the failing insert alone fails, the others commit, and after several such
// errors the rest still commit one at a time. Savepoint statements queued
// before the pipeline travel with it.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/core/store/store_fixture.hpp"

namespace uw::test {
namespace {

class PgInsertTest : public ::testing::Test, public StoreFixture {
 protected:
  void SetUp() override {
    open_backend("postgres");
    // A server-side error no check in the store foresees.
    query1(
        "CREATE FUNCTION uw_test_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.text LIKE 'boom%' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$");
    query1(
        "CREATE TRIGGER uw_test_boom BEFORE INSERT ON uweets FOR EACH ROW EXECUTE FUNCTION uw_test_boom()");
    bob_ = user("bob");
  }
  std::vector<Result<Uweet>> insert_all(const std::vector<std::string>& texts) {
    std::vector<NewUweet> us;
    for (size_t i = 0; i < texts.size(); ++i)
      us.push_back(NewUweet{bob_, texts[i], static_cast<int64_t>(i), {}, std::nullopt});
    std::vector<const NewUweet*> ptrs;
    for (const auto& u : us) ptrs.push_back(&u);
    return store().insert_uweets(ptrs);
  }
  std::string stored() {
    return query1("SELECT coalesce(string_agg(text, ',' ORDER BY id), '') FROM uweets");
  }
  int64_t bob_ = 0;
};

TEST_F(PgInsertTest, ABatchIsOneStatementAndEachUweetGetsItsOwnTextKeyAndMentions) {
  // Counts the INSERT statements on uweets (one per statement, whatever its rows).
  query1("CREATE TABLE uw_test_statements(n int)");
  query1(
      "CREATE FUNCTION uw_test_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
      " INSERT INTO uw_test_statements VALUES (1); RETURN NULL; END $$");
  query1(
      "CREATE TRIGGER uw_test_count AFTER INSERT ON uweets FOR EACH STATEMENT EXECUTE FUNCTION "
      "uw_test_count()");
  const int64_t ann = user("ann"), cat = user("cat");
  // What an array literal must quote: quotes, backslashes, braces, commas,
  // the word NULL, spaces at the ends, non-ASCII.
  std::vector<NewUweet> us = {
      NewUweet{bob_, "say \"hi\" to @ann", 1, {ann}, std::string("key \"one\"")},
      NewUweet{bob_, "back\\slash {braces}, comma", 2, {}, std::nullopt},
      NewUweet{ann, "NULL", 3, {bob_, cat}, std::string("NULL")},
      NewUweet{cat, " spaces at both ends ", 4, {cat}, std::string("\\")},
      NewUweet{bob_, "caf\u00e9 \u2603 {\"a\":[1,2]}", 5, {cat, ann, cat}, std::nullopt},
      NewUweet{bob_, "a repeated key", 6, {}, std::string("key \"one\"")},  // the first uweet back
      NewUweet{bob_ + 1000, "unknown author", 7, {}, std::nullopt},
  };
  std::vector<const NewUweet*> ptrs;
  for (const auto& u : us) ptrs.push_back(&u);
  ASSERT_TRUE(store().begin().ok());
  auto r = store().insert_uweets(ptrs);
  ASSERT_TRUE(store().commit().ok());
  ASSERT_EQ(r.size(), us.size());
  EXPECT_EQ(query1("SELECT count(*) FROM uw_test_statements"), "1");
  const std::vector<std::vector<int64_t>> mentions = {{ann}, {}, {bob_, cat}, {cat}, {ann, cat}};
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(r[i].ok()) << i << ": " << r[i].error().message;
    EXPECT_EQ(r[i]->text, us[i].text) << i;
    EXPECT_EQ(r[i]->created_at, us[i].created_at) << i;
    auto stored = store().uweet(r[i]->id);
    ASSERT_TRUE(stored.has_value()) << i;
    EXPECT_EQ(stored->text, us[i].text) << i;
    EXPECT_EQ(stored->author_id, us[i].author_id) << i;
    EXPECT_EQ(store().mentions(r[i]->id), mentions[i]) << i;
    if (i > 0) {
      EXPECT_GT(r[i]->id, r[i - 1]->id) << "ids in the batch's order";
    }
  }
  EXPECT_EQ(query1("SELECT idempotency_key FROM uweets WHERE id = " + std::to_string(r[2]->id)), "NULL");
  EXPECT_EQ(query1("SELECT idempotency_key FROM uweets WHERE id = " + std::to_string(r[3]->id)), "\\");
  ASSERT_TRUE(r[5].ok()) << r[5].error().message;
  EXPECT_EQ(r[5]->id, r[0]->id);
  ASSERT_FALSE(r[6].ok());
  EXPECT_EQ(r[6].error().code, "no_such_user");
  EXPECT_EQ(query1("SELECT count(*) FROM uweets"), "5");
}

TEST_F(PgInsertTest, BeginGoesWithTheFirstStatement) {
  // Seen from another connection: no transaction is open on the server
  // between begin() and the first statement (BEGIN costs no round trip).
  std::unique_ptr<PGconn, decltype(&PQfinish)> other(PQconnectdb(target().c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(other.get()), CONNECTION_OK) << PQerrorMessage(other.get());
  const std::string open =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
      " AND state LIKE 'idle in transaction%'";
  ASSERT_TRUE(store().begin().ok());
  EXPECT_EQ(pg_query1(other.get(), open), "0");
  const int64_t id = post(bob_, "the first statement");
  EXPECT_EQ(pg_query1(other.get(), open), "1");
  EXPECT_EQ(pg_query1(other.get(), "SELECT count(*) FROM uweets"), "0") << "not committed yet";
  ASSERT_TRUE(store().commit().ok());
  EXPECT_EQ(pg_query1(other.get(), "SELECT count(*) FROM uweets WHERE id = " + std::to_string(id)), "1");
  // A transaction with no statement at all, either way it ends.
  ASSERT_TRUE(store().begin().ok());
  ASSERT_TRUE(store().commit().ok());
  ASSERT_TRUE(store().begin().ok());
  store().rollback();
  EXPECT_EQ(pg_query1(other.get(), open), "0");
  post(bob_, "outside a transaction");
  EXPECT_EQ(pg_query1(other.get(), "SELECT count(*) FROM uweets"), "2");
}

TEST_F(PgInsertTest, AFailingInsertInThePipelineFailsAloneAndTheOthersCommit) {
  ASSERT_TRUE(store().begin().ok());
  auto r = insert_all({"one", "boom 1", "two", "three"});
  ASSERT_EQ(r.size(), 4u);
  ASSERT_TRUE(r[0].ok()) << r[0].error().message;
  ASSERT_FALSE(r[1].ok());
  EXPECT_EQ(r[1].error().status, 500);
  EXPECT_NE(r[1].error().message.find("boom refused"), std::string::npos) << r[1].error().message;
  ASSERT_TRUE(r[2].ok()) << r[2].error().message;
  ASSERT_TRUE(r[3].ok()) << r[3].error().message;
  ASSERT_TRUE(store().commit().ok());
  EXPECT_EQ(stored(), "one,two,three");
  // The answers are the rows committed.
  EXPECT_EQ(store().uweet(r[2]->id)->text, "two");
  EXPECT_EQ(store().uweet(r[3]->id)->text, "three");
}

TEST_F(PgInsertTest, ManyFailingInsertsInOneBatchStillLeaveTheOthersCommitted) {
  ASSERT_TRUE(store().begin().ok());
  auto r = insert_all({"boom a", "a", "boom b", "b", "boom c", "c", "boom d", "d", "boom e", "e"});
  ASSERT_EQ(r.size(), 10u);
  for (size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r[i].ok(), i % 2 == 1) << i;
  ASSERT_TRUE(store().commit().ok());
  EXPECT_EQ(stored(), "a,b,c,d,e");
}

TEST_F(PgInsertTest, EveryInsertFailingCommitsNothingAndLeavesTheTransactionUsable) {
  ASSERT_TRUE(store().begin().ok());
  auto r = insert_all({"boom 1", "boom 2"});
  EXPECT_FALSE(r[0].ok());
  EXPECT_FALSE(r[1].ok());
  post(bob_, "after the batch");
  ASSERT_TRUE(store().commit().ok());
  EXPECT_EQ(stored(), "after the batch");
}

TEST_F(PgInsertTest, QueuedSavepointStatementsGoAheadOfThePipeline) {
  // What the writer leaves queued before a run of inserts: a job rolled back
  // to its savepoint. Its row must be gone, the inserts' must stay.
  ASSERT_TRUE(store().begin().ok());
  ASSERT_TRUE(store().savepoint("uw_job").ok());
  post(bob_, "undone by the job");
  store().rollback_to("uw_job");
  ASSERT_TRUE(store().release("uw_job").ok());
  auto r = insert_all({"kept 1", "boom", "kept 2"});
  EXPECT_TRUE(r[0].ok());
  EXPECT_FALSE(r[1].ok());
  EXPECT_TRUE(r[2].ok());
  ASSERT_TRUE(store().commit().ok());
  EXPECT_EQ(stored(), "kept 1,kept 2");
}

TEST_F(PgInsertTest, ABatchOfAThousandIsOnePipeline) {
  // Far more than fits in one socket buffer either way: libpq reads answers
  // while it sends, so a big batch does not deadlock.
  std::vector<std::string> texts;
  for (int i = 0; i < 1000; ++i) texts.push_back("uweet " + std::to_string(i) + std::string(100, 'x'));
  ASSERT_TRUE(store().begin().ok());
  auto r = insert_all(texts);
  ASSERT_EQ(r.size(), texts.size());
  for (const auto& x : r) ASSERT_TRUE(x.ok()) << x.error().message;
  ASSERT_TRUE(store().commit().ok());
  EXPECT_EQ(query1("SELECT count(*) FROM uweets"), "1000");
  EXPECT_EQ(store().uweet(r[999].value().id)->text, texts[999]);
}

}  // namespace
}  // namespace uw::test
