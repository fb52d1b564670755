// End to end, issue 16 item 2 (docs/CLUSTER.md): two uwitter-web instances on
// one PostgreSQL database, two uwitter-notifiers that both instances notify,
// each notifier reading the follow graph from that database (read-only).
// Each user's ticket names one notifier (rendezvous over --notifier-url),
// the same on either instance; each notifier streams only to the streams it
// holds; both instances are separate senders to each notifier, so neither
// looks like a replay or a gap of the other: no loss, no replay rejection,
// one sender session per instance.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/cluster_harness.hpp"
#include "web/http/notifiers.hpp"

#if defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN) && defined(UWITTER_KEYGEN_BIN)

namespace uw::test {
namespace {

using namespace std::chrono_literals;

TEST(ClusterPostgres, TwoWebsAndTwoNotifiersShareTheUsersWithoutLossOrReplays) {
  Cluster c(2, 2, {"--udp-copies", "1"});
  ASSERT_FALSE(c.db.empty());
  c.start_web(0);
  const auto urls = c.notifier_urls();

  // Authors, and followers until each notifier holds at least one of them.
  c.signup(0, "alice");
  c.signup(0, "carol");
  std::vector<std::string> followers;
  std::map<int, int> held;  // notifier index -> followers it holds
  for (int i = 0; i < 40 && (held[0] == 0 || held[1] == 0); ++i) {
    const std::string name = "fan" + std::to_string(i);
    const int64_t id = c.signup(0, name);
    const int n = c.notifier_index(web::notifier_order(urls, id).front());
    if (held[n] >= 2) continue;  // enough on this one
    ++held[n];
    followers.push_back(name);
  }
  ASSERT_GT(held[0], 0);
  ASSERT_GT(held[1], 0);
  std::map<std::string, std::string> token_a, token_b;
  for (const auto& f : followers) {
    token_a[f] = c.login(0, f);
    c.follow(0, token_a[f], "alice");
    c.follow(0, token_a[f], "carol");
  }
  const std::string alice = c.login(0, "alice");
  const std::string carol_on_b_later = "carol";
  // Instance B starts now: its caches load the users and follows A wrote.
  c.start_web(1);
  const std::string carol = c.login(1, carol_on_b_later);
  for (const auto& f : followers) token_b[f] = c.login(1, f);

  // Each follower's stream on the notifier its ticket names; A and B name the same one.
  std::map<std::string, std::unique_ptr<kit::SseStream>> streams;
  std::map<std::string, int> where;
  for (const auto& f : followers) {
    auto ta = c.ticket(0, token_a[f]);
    auto tb = c.ticket(1, token_b[f]);
    EXPECT_EQ(ta["notifiers"], tb["notifiers"]) << f << ": both instances give the same order";
    ASSERT_EQ(ta["notifiers"].size(), 2u);
    where[f] = c.notifier_index(ta["notifier"].get<std::string>());
    streams[f] = open_stream(tb["url"].get<std::string>());  // a ticket of B's key, on the notifier A named
    ASSERT_TRUE(streams[f]) << f;
  }
  for (int n = 0; n < 2; ++n)
    EXPECT_TRUE(kit::eventually([&] {
      return c.notifiers[n].metric("uwitter_notifier_subscribers") == held[n];
    })) << "notifier "
        << n << " holds its own users' streams only";

  // Posts through both instances, interleaved.
  const int per_author = 10;
  for (int i = 0; i < per_author; ++i) {
    ASSERT_GT(c.post(0, alice, "from A " + std::to_string(i)), 0);
    ASSERT_GT(c.post(1, carol, "from B " + std::to_string(i)), 0);
  }
  for (const auto& f : followers) {
    EXPECT_TRUE(kit::eventually(
        [&] {
          size_t n = 0;
          for (const auto& e : streams[f]->events()) n += e.event == "uweet";
          return n == 2 * per_author;
        },
        20s))
        << f << " on notifier " << where[f] << ":\n"
        << streams[f]->raw();
  }
  for (int n = 0; n < 2; ++n) {
    const ClusterNotifier& nt = c.notifiers[n];
    // Heartbeats after the last post (each instance sends one a second): a
    // trailing loss would show as an open gap and then in lost_total.
    const double beats = nt.metric("uwitter_notifier_heartbeats_total");
    EXPECT_TRUE(
        kit::eventually([&] { return nt.metric("uwitter_notifier_heartbeats_total") >= beats + 6; }, 20s));
    EXPECT_EQ(nt.metric("uwitter_notifier_lost_total"), 0) << "notifier " << n;
    EXPECT_EQ(nt.metric("uwitter_notifier_open_gaps"), 0) << "notifier " << n;
    EXPECT_EQ(nt.metric("uwitter_notifier_duplicates_total"), 0) << "notifier " << n;
    for (const char* reason : {"duplicate", "too_old", "stale", "unknown_key", "bad_signature"})
      EXPECT_EQ(nt.metric(std::string("uwitter_notifier_rejected_total{reason=\"") + reason + "\"}"), 0)
          << "notifier " << n << " " << reason;
    EXPECT_EQ(nt.metric("uwitter_notifier_sender_sessions_total"), 2) << "one sender per web instance";
    // Every post fanned out on both, streamed only where the follower's stream is.
    EXPECT_EQ(nt.metric("uwitter_notifier_sse_events_sent_total"), 2.0 * per_author * held[n]) << n;
    EXPECT_EQ(nt.metric("uwitter_notifier_fanout_errors_total"), 0)
        << "the follow graph read from PostgreSQL";
  }
}

}  // namespace
}  // namespace uw::test

#endif
