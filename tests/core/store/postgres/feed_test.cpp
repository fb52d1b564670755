// core/store/postgres/feed.cpp (and the triggers of schema step 7) on the
// test program's throwaway server: every cache-relevant write leaves a change
// in its own transaction; a reader skips its own origin; a transaction that
// took its seq first but commits last is read after it commits, never
// skipped; a rolled-back one leaves nothing; pages continue where they
// stopped; the instance table answers "who is behind"; pruning is seen by a
// reader whose cursor it passed. SQLite has no feed (501 no_feed).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/core/store/store_fixture.hpp"

namespace uw::test {
namespace {

class PgFeedStoreTest : public ::testing::Test, public StoreFixture {
 protected:
  void SetUp() override { open_backend("postgres"); }
  std::unique_ptr<Store> open_as(const std::string& origin) {
    Store::Options o;
    o.feed_origin = origin;
    auto r = Store::open(target(), o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r.value()) : nullptr;
  }
  // Reads everything there is after *c (page by page), moving *c on.
  std::vector<Change> read_all(Store& s, FeedCursor* c, const std::string& skip = "", int page = 1000) {
    std::vector<Change> out;
    for (;;) {
      auto p = s.feed_read(*c, skip, page);
      EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
      if (!p) return out;
      for (auto& ch : p->changes) out.push_back(ch);
      *c = p->next;
      if (!p->more) return out;
    }
  }
  static std::vector<int64_t> uweet_ids(const std::vector<Change>& cs) {
    std::vector<int64_t> ids;
    for (const auto& c : cs)
      if (c.kind == ChangeKind::uweet) ids.push_back(c.a);
    return ids;
  }
};

TEST_F(PgFeedStoreTest, EveryCacheRelevantWriteLeavesAChange) {
  auto c = store().feed_start();
  ASSERT_TRUE(c);
  FeedCursor cur = *c;
  const int64_t ann = user("ann"), bob = user("bob");
  const int64_t id = post(ann, "hello");
  ASSERT_TRUE(store().follow(bob, ann, 5));
  ASSERT_TRUE(store().unfollow(bob, ann));
  ASSERT_TRUE(store().set_profile(ann, "Ann", "bio"));
  const std::string th(32, 'x');
  ASSERT_TRUE(store().create_session(th, bob, 99));
  ASSERT_TRUE(store().delete_session(th));
  ASSERT_TRUE(store().delete_uweet(ann, id, 7));
  ASSERT_TRUE(store().feed_login(true, "ann", "10.0.0.1", 42));
  ASSERT_TRUE(store().delete_user(bob, 8, 9));
  auto got = read_all(store(), &cur);
  std::vector<ChangeKind> kinds;
  for (const auto& ch : got) kinds.push_back(ch.kind);
  const std::vector<ChangeKind> want = {
      ChangeKind::user,         ChangeKind::user,           ChangeKind::uweet,
      ChangeKind::follow,       ChangeKind::unfollow,       ChangeKind::user,
      ChangeKind::session_new,  ChangeKind::session_end,    ChangeKind::uweet_deleted,
      ChangeKind::login_failed, ChangeKind::account_deleted};
  ASSERT_EQ(kinds, want);
  EXPECT_EQ(got[2].a, id);
  EXPECT_EQ(got[2].b, ann);
  EXPECT_EQ(got[2].t, "hello");
  EXPECT_EQ(got[6].h, th);
  EXPECT_EQ(got[6].b, 99);
  EXPECT_EQ(got[9].t, "ann\t10.0.0.1");
  EXPECT_EQ(got[9].b, 42);
  EXPECT_GT(got[0].at_ms, 0);
}

TEST_F(PgFeedStoreTest, AReaderSkipsItsOwnOriginAndGetsTheUsersItNeeds) {
  auto me = open_as("me");
  ASSERT_TRUE(me);
  auto c = store().feed_start();
  ASSERT_TRUE(c);
  FeedCursor cur = *c;
  ASSERT_TRUE(me->create_user("mine", "$h1", 1));
  ASSERT_TRUE(store().create_user("theirs", "$h2", 1));
  auto p = store().feed_read(cur, "me", 100);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->changes.size(), 1u);
  ASSERT_EQ(p->users.size(), 1u);
  EXPECT_EQ(p->users[0].user.username, "theirs");
  EXPECT_EQ(p->users[0].password_hash, "$h2");
}

TEST_F(PgFeedStoreTest, ATransactionThatCommitsAfterANewerOneIsReadOnceItCommits) {
  const int64_t ann = user("ann");
  auto w1 = open_as("w1"), w2 = open_as("w2");
  ASSERT_TRUE(w1 && w2);
  auto c = store().feed_start();
  ASSERT_TRUE(c);
  FeedCursor cur = *c;
  ASSERT_TRUE(w1->begin());
  const int64_t early = post_on(*w1, ann, "takes its id first, commits last");
  ASSERT_TRUE(w2->begin());
  const int64_t later = post_on(*w2, ann, "commits first");
  ASSERT_GT(later, early);
  ASSERT_TRUE(w2->commit());
  // The newer commit is held back while the older transaction runs: reading
  // it now and moving past would skip `early` for good.
  auto now = read_all(store(), &cur);
  EXPECT_TRUE(uweet_ids(now).empty());
  ASSERT_TRUE(w1->commit());
  auto after = read_all(store(), &cur);
  EXPECT_EQ(uweet_ids(after), (std::vector<int64_t>{early, later}));
  EXPECT_TRUE(read_all(store(), &cur).empty());  // each change once
  // A rolled-back transaction leaves nothing and holds nothing back.
  ASSERT_TRUE(w1->begin());
  (void)post_on(*w1, ann, "rolled back");
  w1->rollback();
  const int64_t kept = post(ann, "kept");
  EXPECT_EQ(uweet_ids(read_all(store(), &cur)), (std::vector<int64_t>{kept}));
}

TEST_F(PgFeedStoreTest, PagesContinueWhereTheyStopped) {
  const int64_t ann = user("ann");
  auto c = store().feed_start();
  ASSERT_TRUE(c);
  FeedCursor cur = *c;
  std::vector<int64_t> ids;
  ASSERT_TRUE(store().begin());
  for (int i = 0; i < 7; ++i) ids.push_back(post(ann, "p" + std::to_string(i)));
  ASSERT_TRUE(store().commit());
  EXPECT_EQ(uweet_ids(read_all(store(), &cur, "", 3)), ids);
}

TEST_F(PgFeedStoreTest, TheInstanceTableSaysWhoHasNotAppliedATransaction) {
  const int64_t ann = user("ann");
  ASSERT_TRUE(store().begin());
  (void)post(ann, "x");
  auto xid = store().feed_xid();
  ASSERT_TRUE(xid);
  ASSERT_TRUE(store().commit());
  ASSERT_TRUE(store().feed_heartbeat("me", 1));
  EXPECT_EQ(store().feed_peers_behind("me", INT64_MAX, 5000).value(), 0);  // alone
  ASSERT_TRUE(store().feed_heartbeat("peer", 1));
  EXPECT_EQ(store().feed_peers_behind("me", INT64_MAX, 5000).value(), 1);  // the live peers
  EXPECT_EQ(store().feed_peers_behind("me", *xid, 5000).value(), 1);
  ASSERT_TRUE(store().feed_heartbeat("peer", *xid + 1));
  EXPECT_EQ(store().feed_peers_behind("me", *xid, 5000).value(), 0);
  ASSERT_TRUE(store().feed_heartbeat("slow", 1));
  EXPECT_EQ(store().feed_peers_behind("me", *xid, 5000).value(), 1);
  query1("UPDATE feed_instances SET heartbeat_ms = heartbeat_ms - 10000 WHERE name = 'slow'");
  EXPECT_EQ(store().feed_peers_behind("me", *xid, 5000).value(), 0);  // silent too long: not waited for
  ASSERT_TRUE(store().feed_leave("peer"));
  EXPECT_EQ(query1("SELECT count(*) FROM feed_instances WHERE name = 'peer'"), "0");
}

TEST_F(PgFeedStoreTest, ACommitAndAnUrgentHeartbeatWakeAListenerAndAQuietOneDoesNot) {
  auto l = open_as("listener");
  ASSERT_TRUE(l);
  ASSERT_TRUE(l->feed_listen());
  EXPECT_FALSE(l->feed_wait(std::chrono::milliseconds(50), -1).value());  // nothing yet
  (void)user("ann");                                                      // a committed change: one NOTIFY
  EXPECT_TRUE(l->feed_wait(std::chrono::seconds(5), -1).value());
  ASSERT_TRUE(store().feed_heartbeat("peer", 1));  // a plain heartbeat wakes nobody
  EXPECT_FALSE(l->feed_wait(std::chrono::milliseconds(100), -1).value());
  ASSERT_TRUE(store().feed_heartbeat("peer", 2, true));
  EXPECT_TRUE(l->feed_wait(std::chrono::seconds(5), -1).value());
  // A killed backend: the wait says the connection went (LISTEN again after).
  query1("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'uwitter-feed'");
  // (The server's last words may come before its end of the connection.)
  Result<bool> w = false;
  for (int i = 0; i < 50 && w; ++i) w = l->feed_wait(std::chrono::milliseconds(100), -1);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().status, 503);
}

TEST_F(PgFeedStoreTest, PruningPastACursorIsSeenByItsReader) {
  const int64_t ann = user("ann");
  auto c = store().feed_start();
  ASSERT_TRUE(c);
  FeedCursor behind = *c;
  (void)post(ann, "old");
  auto fresh = store().feed_start();
  ASSERT_TRUE(fresh);
  FeedCursor current = *fresh;
  // Every row is "old" for a prune that keeps nothing before the future.
  auto n = store().feed_prune(int64_t{1} << 60);
  ASSERT_TRUE(n);
  EXPECT_GE(*n, 2);  // the user and the uweet
  auto p = store().feed_read(behind, "", 100);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->pruned);
  auto q = store().feed_read(current, "", 100);
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->pruned);
}

TEST(SqliteFeed, SqliteHasNoFeed) {
  kit::TempDir dir;
  auto s = Store::open(dir.file("x.db"), {});
  ASSERT_TRUE(s);
  EXPECT_FALSE(s.value()->has_feed());
  auto c = s.value()->feed_start();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().status, 501);
}

}  // namespace
}  // namespace uw::test
