// core/store/postgres/insert.cpp on the test program's throwaway server: the
// writer's inserts in one pipeline, where a real statement error (here a
// trigger that raises) aborts the rest of the pipeline and the transaction;
// the failing insert alone fails, the others commit, and after several such
// errors the rest still commit one at a time. Savepoint statements queued
// before the pipeline travel with it.
#include <gtest/gtest.h>

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
