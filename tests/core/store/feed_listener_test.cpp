// core/store/feed_listener.cpp on PostgreSQL (the feed is PostgreSQL's):
// another writer's commits reach the loop as pages, its own are skipped, the
// heartbeat says what was applied, await_peers answers once every live peer
// applied a transaction (and at once with none), the listener reconnects
// after its backend is killed and reads on from its cursor, and stop()
// removes the instance so peers stop waiting for it.
#include "core/store/feed_listener.hpp"

#include <set>

#include "bench/kit/pg_server.hpp"
#include "tests/core/store/store_threads_fixture.hpp"

namespace uw::test {
namespace {

class PgFeedListenerTest : public StoreThreadsTest {
 protected:
  void SetUp() override { open_backend("postgres"); }
  std::unique_ptr<FeedListener> listen(const std::string& name) {
    auto from = store().feed_start();
    EXPECT_TRUE(from);
    FeedListener::Options o;
    o.target = target();
    o.name = name;
    auto l = std::make_unique<FeedListener>(
        o, from ? *from : FeedCursor{}, *mailbox_,
        [this](FeedPage p) {
          EXPECT_EQ(std::this_thread::get_id(), loop_thread_);
          for (const auto& c : p.changes)
            if (c.kind == ChangeKind::uweet) seen_.insert(c.a);
          return false;
        },
        nullptr);
    EXPECT_TRUE(l->start());
    return l;
  }
  std::unique_ptr<Store> writer(const std::string& origin) {
    Store::Options o;
    o.feed_origin = origin;
    auto r = Store::open(target(), o);
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::move(r.value()) : nullptr;
  }
  std::multiset<int64_t> seen_;
};

TEST_F(PgFeedListenerTest, OtherWritersCommitsArriveOnTheLoopAndItsOwnAreSkipped) {
  const int64_t ann = user("ann");
  auto l = listen("me");
  auto mine = writer("me"), theirs = writer("them");
  const int64_t own = post_on(*mine, ann, "mine");
  const int64_t other = post_on(*theirs, ann, "theirs");
  ASSERT_TRUE(run_until([&] { return seen_.count(other) == 1; }));
  EXPECT_EQ(seen_.count(own), 0u);
  // The heartbeat says it applied that transaction.
  ASSERT_TRUE(run_until([&] {
    return query1("SELECT count(*) FROM feed_instances WHERE name = 'me'") == "1" &&
           store().feed_peers_behind("nobody", 1, 5000).value() == 0;
  }));
  l->stop();
  EXPECT_EQ(query1("SELECT count(*) FROM feed_instances WHERE name = 'me'"), "0");
}

TEST_F(PgFeedListenerTest, AwaitPeersAnswersOnceEveryLivePeerAppliedTheTransaction) {
  const int64_t ann = user("ann");
  auto me = listen("me");
  // With no peer: at once.
  std::optional<bool> alone;
  me->await_peers(1, [&](bool ok) { alone = ok; });
  ASSERT_TRUE(run_until([&] { return alone.has_value(); }));
  EXPECT_TRUE(*alone);
  auto peer = listen("peer");
  ASSERT_TRUE(run_until([&] { return query1("SELECT count(*) FROM feed_instances") == "2"; }));
  auto w = writer("me");
  ASSERT_TRUE(w->begin());
  (void)post_on(*w, ann, "revocation stand-in");
  auto xid = w->feed_xid();
  ASSERT_TRUE(xid);
  ASSERT_TRUE(w->commit());
  std::optional<bool> both;
  me->await_peers(*xid, [&](bool ok) { both = ok; });
  ASSERT_TRUE(run_until([&] { return both.has_value(); }));
  EXPECT_TRUE(*both);
  EXPECT_EQ(store().feed_peers_behind("me", *xid, 5000).value(), 0);
  peer->stop();
  me->stop();
}

TEST_F(PgFeedListenerTest, AKilledBackendIsReconnectedAndNothingIsMissed) {
  const int64_t ann = user("ann");
  auto l = listen("me");
  auto w = writer("them");
  std::set<int64_t> posted;
  int kills = 0;
  std::string last_pid = "0";
  for (int i = 0; i < 20; ++i) {
    if (i % 5 == 2) {
      // Once it listens again on a new backend: kill that backend while the
      // posts go on (pg_terminate_backend only signals, so the one killed
      // last may still be listed for a moment).
      ASSERT_TRUE(run_until([&] { return l->reconnects() >= static_cast<uint64_t>(kills); }));
      std::string pid;
      ASSERT_TRUE(run_until([&] {
        pid = query1(
            "SELECT coalesce(max(pid)::text, '') FROM pg_stat_activity WHERE application_name = "
            "'uwitter-feed'"
            " AND pid::text <> '" +
            last_pid + "'");
        return !pid.empty();
      }));
      EXPECT_EQ(query1("SELECT pg_terminate_backend(" + pid + ")"), "t");
      last_pid = pid;
      ++kills;
    }
    posted.insert(post_on(*w, ann, "p" + std::to_string(i)));
  }
  ASSERT_TRUE(run_until([&] {
    for (int64_t id : posted)
      if (seen_.count(id) != 1) return false;
    return true;
  }));
  // pg_terminate_backend only signals: the last kill may land after those reads.
  EXPECT_TRUE(run_until([&] { return l->reconnects() >= 4u; })) << l->reconnects();
  l->stop();
}

}  // namespace
}  // namespace uw::test
