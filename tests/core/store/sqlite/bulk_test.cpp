// core/store/sqlite/bulk.cpp (and PostgreSQL's counterpart in
// core/store/postgres/store.cpp): the start-up bulk loads of the web app's
// caches, in the contract suite (both backends): every user with its password
// hash in id order, every follow, uweet counts per author, and the sessions
// that have not expired.
#include <algorithm>

#include "tests/core/store/store_fixture.hpp"

namespace uw::test {
namespace {

TEST_P(StoreContract, WarmSnapshotHoldsEveryUserFollowAndUweetCount) {
  const int64_t ann = user("ann"), ben = user("Ben"), cat = user("cat");
  ASSERT_TRUE(store().follow(ann, ben, 2).ok());
  ASSERT_TRUE(store().follow(cat, ben, 2).ok());
  ASSERT_TRUE(store().follow(ben, ann, 2).ok());
  post(ben, "one");
  post(ben, "two");
  post(ann, "three");
  auto snap = store().warm_snapshot();
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  ASSERT_EQ(snap->users.size(), 3u);
  EXPECT_EQ(snap->users[0].user.id, ann);
  EXPECT_EQ(snap->users[1].user.username, "Ben");  // display case
  EXPECT_EQ(snap->users[1].user.created_at, 1'700'000'000);
  EXPECT_EQ(snap->users[1].password_hash, "$argon2id$fake");
  EXPECT_EQ(snap->users[2].user.id, cat);
  auto follows = snap->follows;
  std::sort(follows.begin(), follows.end());
  std::vector<std::pair<int64_t, int64_t>> want = {{ann, ben}, {cat, ben}, {ben, ann}};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(follows, want);
  auto counts = snap->uweet_counts;
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<std::pair<int64_t, int64_t>>{{ann, 1}, {ben, 2}}));  // cat has none
}

TEST_P(StoreContract, WarmSnapshotOfAnEmptyDatabaseIsEmpty) {
  auto snap = store().warm_snapshot();
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  EXPECT_TRUE(snap->users.empty());
  EXPECT_TRUE(snap->follows.empty());
  EXPECT_TRUE(snap->uweet_counts.empty());
}

TEST_P(StoreContract, LiveSessionsAreTheUnexpiredOnesByTheirHash) {
  const int64_t ann = user("ann"), ben = user("ben");
  const std::string h1(32, 'a'), h2(32, 'b'), h3(32, 'c');  // 32-byte hashes
  ASSERT_TRUE(store().create_session(h1, ann, 2000).ok());
  ASSERT_TRUE(store().create_session(h2, ben, 1000).ok());  // expired at 1500
  ASSERT_TRUE(store().create_session(h3, ben, 3000).ok());
  auto live = store().live_sessions(1500);
  ASSERT_TRUE(live.ok()) << live.error().message;
  std::sort(live->begin(), live->end(),
            [](const LiveSession& a, const LiveSession& b) { return a.token_hash < b.token_hash; });
  ASSERT_EQ(live->size(), 2u);
  EXPECT_EQ((*live)[0].token_hash, h1);
  EXPECT_EQ((*live)[0].user_id, ann);
  EXPECT_EQ((*live)[0].expires_at_s, 2000);
  EXPECT_EQ((*live)[1].token_hash, h3);
  EXPECT_EQ((*live)[1].user_id, ben);
  ASSERT_TRUE(store().delete_session(h1).ok());
  auto after = store().live_sessions(1500);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 1u);
}

}  // namespace
}  // namespace uw::test
