// core/store/sqlite/indexer.cpp: the search indexer thread catches up with
// what is committed at start, indexes what notify() announces, counts it in
// /metrics, and wakes every wait once stopped.
#include "core/store/sqlite/indexer.hpp"

#include <chrono>

#include "core/metrics.hpp"
#include "tests/core/store/store_fixture.hpp"

namespace uw::test {
namespace {

using namespace std::chrono_literals;

bool found(Store& s, const std::string& q, int64_t id) {
  for (const auto& u : s.search(q, std::nullopt, 50).items)
    if (u.id == id) return true;
  return false;
}

TEST_F(StoreTest, IndexerCatchesUpAtStartThenIndexesWhatItIsTold) {
  const int64_t ann = user("ann");
  const int64_t first = post(ann, "zebra crossing");
  const int64_t second = post(ann, "yak shaving");
  EXPECT_FALSE(found(store(), "zebra", first));  // not indexed yet
  metrics::Registry reg;
  auto ix = Indexer::start(path(), Store::Options{}, &reg);
  ASSERT_TRUE(ix.ok()) << ix.error().message;
  Indexer& indexer = *ix.value();
  ASSERT_TRUE(indexer.wait_indexed(second, 10s));
  EXPECT_GE(indexer.indexed_upto(), second);
  EXPECT_TRUE(found(store(), "zebra", first));
  EXPECT_TRUE(found(store(), "yak", second));

  const int64_t third = post(ann, "walrus tusks");
  indexer.notify(third);
  ASSERT_TRUE(indexer.wait_indexed(third, 10s));
  EXPECT_TRUE(found(store(), "walrus", third));
  const std::string m = reg.render();
  EXPECT_NE(m.find("uwitter_search_indexed_total 3"), std::string::npos) << m;
  EXPECT_NE(m.find("uwitter_search_index_lag_uweets 0"), std::string::npos) << m;

  indexer.stop();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(indexer.wait_indexed(third + 100, 10s));  // stopped: does not wait out the 10 s
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(StoreTest, IndexerResumesWhereTheIndexGotTo) {
  const int64_t ann = user("ann");
  const int64_t a = post(ann, "alpha");
  {
    auto ix = Indexer::start(path(), Store::Options{}, nullptr);
    ASSERT_TRUE(ix.ok()) << ix.error().message;
    ASSERT_TRUE((*ix)->wait_indexed(a, 10s));
  }
  const int64_t b = post(ann, "beta");
  metrics::Registry reg;
  auto ix = Indexer::start(path(), Store::Options{}, &reg);
  ASSERT_TRUE(ix.ok()) << ix.error().message;
  EXPECT_GE((*ix)->indexed_upto(), a);  // known before its thread runs
  ASSERT_TRUE((*ix)->wait_indexed(b, 10s));
  EXPECT_NE(reg.render().find("uwitter_search_indexed_total 1"), std::string::npos) << reg.render();
}

TEST(IndexerOpen, AMissingDatabaseIsAnError) {
  kit::TempDir dir;
  auto ix = Indexer::start(dir.file("no/such.db"), Store::Options{}, nullptr);
  EXPECT_FALSE(ix.ok());
}

}  // namespace
}  // namespace uw::test
