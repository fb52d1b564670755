// End to end: two uwitter-web processes on one throwaway PostgreSQL agree
// (web/service/service_impl_feed.cpp, core/store/feed_listener.*,
// core/store/postgres/feed.cpp; docs/ARCHITECTURE.md "Several web
// instances"). What one commits, the other serves: posts in a follower's home
// timeline, deletes, follows, profiles, sessions; a logout on one ends the
// session on the other for the very next request; one Idempotency-Key on
// both gives one uweet; login failures count across both; a listener whose
// backend is killed reconnects and misses nothing; a transaction that commits
// late, behind a newer one, is not skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "bench/kit/eventually.hpp"
#include "bench/kit/http_client.hpp"
#include "bench/kit/metrics_text.hpp"
#include "bench/kit/pg_server.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "core/store/store.hpp"
#include "tests/pg_environment.hpp"

#if defined(UWITTER_WEB_BIN)

namespace uw::web {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// One uwitter-web on the shared database, with its own --data folder.
struct Instance {
  kit::TempDir dir;
  std::unique_ptr<kit::ChildProcess> proc;
  std::unique_ptr<kit::HttpClient> http;

  void start(const std::string& uri, const std::string& name) {
    proc = std::make_unique<kit::ChildProcess>();
    ASSERT_TRUE(proc->start({UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", dir.file("data"), "--db",
                             uri, "--instance-name", name, "--post-rate", "off", "--signup-rate", "off"},
                            dir.file("web.stderr"), /*die_with_parent=*/true));  // even if the test dies
    ASSERT_TRUE(proc->wait_listening(1)) << proc->stderr_text();
    http = std::make_unique<kit::HttpClient>("http://127.0.0.1:" + std::to_string(proc->port("http")));
  }
  kit::HttpResponse signup(const std::string& name) {
    return http->json("POST", "/api/v1/accounts", {{"username", name}, {"password", "correct horse"}});
  }
  kit::HttpResponse login(const std::string& name, const std::string& password = "correct horse") {
    return http->json("POST", "/api/v1/sessions", {{"username", name}, {"password", password}});
  }
  std::string token(const std::string& name) {
    auto r = login(name);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().value("token", "") : "";
  }
  kit::HttpResponse post(const std::string& tok, const std::string& text, const std::string& key = "") {
    std::vector<std::string> h{"Content-Type: application/json", "Authorization: Bearer " + tok};
    if (!key.empty()) h.push_back("Idempotency-Key: " + key);
    return http->request("POST", "/api/v1/uweets", json{{"text", text}}.dump(), h);
  }
  kit::HttpResponse get(const std::string& path, const std::string& tok = "") {
    if (tok.empty()) return http->get(path);
    return http->get(path, {"Authorization: Bearer " + tok});
  }
  std::vector<int64_t> home_ids(const std::string& tok) {
    std::vector<int64_t> ids;
    auto r = get("/api/v1/timelines/home?limit=100", tok);
    if (r.status != 200) return ids;
    const json body = r.json();  // kept: a range-for over a temporary's member dangles
    for (const auto& u : body["items"]) ids.push_back(u["id"].get<int64_t>());
    return ids;
  }
  std::vector<int64_t> public_ids() {
    std::vector<int64_t> ids;
    auto r = get("/api/v1/timelines/public?limit=100");
    if (r.status != 200) return ids;
    const json body = r.json();  // kept: a range-for over a temporary's member dangles
    for (const auto& u : body["items"]) ids.push_back(u["id"].get<int64_t>());
    return ids;
  }
  double metric(const std::string& sample) { return kit::metric(http->get("/metrics").body, sample); }
  bool knows(const std::string& user) { return get("/api/v1/users/" + user).status == 200; }
};

bool has(const std::vector<int64_t>& ids, int64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

struct PgFeed : ::testing::Test {
  std::string uri;
  Instance a, b;
  void SetUp() override {
    uri = test::fresh_pg_database();
    ASSERT_FALSE(uri.empty());
    ASSERT_NO_FATAL_FAILURE(a.start(uri, "web-a"));
    ASSERT_NO_FATAL_FAILURE(b.start(uri, "web-b"));
  }
  // A user made on A, known to B, with a token from B.
  std::string user_on_both(const std::string& name) {
    EXPECT_EQ(a.signup(name).status, 201);
    EXPECT_TRUE(kit::eventually([&] { return b.knows(name); }, 5s)) << name << " never reached B";
    return b.token(name);
  }
};

TEST_F(PgFeed, PostsDeletesFollowsAndProfilesOnOneInstanceShowOnTheOther) {
  const std::string bob_b = user_on_both("bob");
  ASSERT_EQ(a.signup("alice").status, 201);
  const std::string alice_a = a.token("alice");
  // alice follows bob through A; B's profile of bob counts her.
  auto f = a.http->request("PUT", "/api/v1/users/bob/follow", "", {"Authorization: Bearer " + alice_a});
  ASSERT_EQ(f.status, 200) << f.body;
  EXPECT_TRUE(
      kit::eventually([&] { return b.get("/api/v1/users/bob").json()["counts"]["followers"] == 1; }, 5s));

  // bob posts through B: alice's home timeline on A shows it.
  auto p = b.post(bob_b, "hello from B");
  ASSERT_EQ(p.status, 201) << p.body;
  const int64_t id = p.json()["id"];
  const auto t0 = Clock::now();
  ASSERT_TRUE(kit::eventually([&] { return has(a.home_ids(alice_a), id); }, 5s));
  std::cout << "post on B -> home timeline on A: "
            << std::chrono::duration<double, std::milli>(Clock::now() - t0).count() << " ms (20 ms polls)\n";
  EXPECT_EQ(a.get("/api/v1/uweets/" + std::to_string(id)).json()["text"], "hello from B");
  EXPECT_TRUE(
      kit::eventually([&] { return a.get("/api/v1/users/bob").json()["counts"]["uweets"] == 1; }, 5s));

  // bob renames himself on B: A shows the new name, on the profile and on the uweet.
  auto m = b.http->request("PATCH", "/api/v1/me", json{{"display_name", "Bob B."}}.dump(),
                           {"Content-Type: application/json", "Authorization: Bearer " + bob_b});
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_TRUE(
      kit::eventually([&] { return a.get("/api/v1/users/bob").json()["display_name"] == "Bob B."; }, 5s));
  EXPECT_EQ(a.get("/api/v1/uweets/" + std::to_string(id)).json()["author_display_name"], "Bob B.");

  // bob deletes it through B: gone from A's timeline, count and uweet page.
  auto d = b.http->request("DELETE", "/api/v1/uweets/" + std::to_string(id), "",
                           {"Authorization: Bearer " + bob_b});
  ASSERT_TRUE(d.status == 200 || d.status == 204) << d.status << " " << d.body;
  EXPECT_TRUE(kit::eventually([&] { return !has(a.home_ids(alice_a), id); }, 5s));
  EXPECT_EQ(a.get("/api/v1/uweets/" + std::to_string(id)).status, 404);
  EXPECT_EQ(a.get("/api/v1/users/bob").json()["counts"]["uweets"], 0);

  // alice unfollows through A: B's count drops.
  auto u = a.http->request("DELETE", "/api/v1/users/bob/follow", "", {"Authorization: Bearer " + alice_a});
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_TRUE(
      kit::eventually([&] { return b.get("/api/v1/users/bob").json()["counts"]["followers"] == 0; }, 5s));
  EXPECT_GT(a.metric("uwitter_feed_applied_total{kind=\"uweet\"}"), 0);
  EXPECT_GT(a.metric("uwitter_feed_lag_seconds_count"), 0);
}

TEST_F(PgFeed, LogoutOnOneInstanceEndsTheSessionOnTheOtherForTheVeryNextRequest) {
  ASSERT_EQ(a.signup("carol").status, 201);
  ASSERT_TRUE(kit::eventually([&] { return b.knows("carol"); }, 5s));
  for (int round = 0; round < 5; ++round) {
    const std::string tok = a.token("carol");
    ASSERT_TRUE(kit::eventually([&] { return b.get("/api/v1/me", tok).status == 200; }, 5s)) << round;
    auto out = a.http->request("DELETE", "/api/v1/sessions", "", {"Authorization: Bearer " + tok});
    ASSERT_TRUE(out.status == 200 || out.status == 204) << out.status << " " << out.body;
    // No polling: the logout answered only once B had dropped the session.
    EXPECT_EQ(b.get("/api/v1/me", tok).status, 401) << "round " << round;
    EXPECT_EQ(a.get("/api/v1/me", tok).status, 401) << "round " << round;
  }
  EXPECT_EQ(a.metric("uwitter_feed_await_timeouts_total"), 0);
}

// A new account and a new session are answered only once the live peer holds
// them too: behind a round-robin balancer the very next request may reach B.
// (Before, B refused a session A had just made in about a third of logins,
// for up to 150 ms: docs/SCALING.md.)
TEST_F(PgFeed, ASignUpAndALoginOnOneInstanceWorkOnTheOtherForTheVeryNextRequest) {
  for (int i = 0; i < 5; ++i) {
    const std::string name = "nina" + std::to_string(i);
    ASSERT_EQ(a.signup(name).status, 201);
    auto on_b = b.login(name);  // no polling
    EXPECT_EQ(on_b.status, 201) << name << ": " << on_b.body;
  }
  for (int i = 0; i < 15; ++i) {
    const std::string tok = a.token("nina0");
    EXPECT_EQ(b.get("/api/v1/me", tok).status, 200) << "login " << i;
  }
  EXPECT_EQ(a.metric("uwitter_feed_await_timeouts_total"), 0);
}

TEST_F(PgFeed, OneIdempotencyKeyOnBothInstancesGivesOneUweet) {
  const std::string dan_b = user_on_both("dan");
  const std::string dan_a = a.token("dan");
  auto first = a.post(dan_a, "only once", "key-1");
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = b.post(dan_b, "only once", "key-1");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json()["id"], first.json()["id"]);
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  // One uweet on both instances' views, never two.
  const int64_t id = first.json()["id"];
  ASSERT_TRUE(kit::eventually([&] { return has(b.public_ids(), id); }, 5s));
  for (Instance* i : {&a, &b}) {
    auto ids = i->public_ids();
    EXPECT_EQ(std::count(ids.begin(), ids.end(), id), 1);
    EXPECT_EQ(i->get("/api/v1/users/dan").json()["counts"]["uweets"], 1);
  }
}

TEST_F(PgFeed, WrongPasswordsSpreadOverBothInstancesThrottleLikeOnOne) {
  ASSERT_EQ(a.signup("erin").status, 201);
  ASSERT_TRUE(kit::eventually([&] { return b.knows("erin"); }, 5s));
  // Five failures (the per-account limit), alternating; each waits until the
  // other instance has applied it (the feed's milliseconds, not a sleep).
  for (int i = 0; i < 5; ++i) {
    Instance& at = i % 2 == 0 ? a : b;
    Instance& other = i % 2 == 0 ? b : a;
    const double before = other.metric("uwitter_feed_applied_total{kind=\"login\"}");
    EXPECT_EQ(at.login("erin", "wrong password").status, 401) << i;
    EXPECT_TRUE(kit::eventually(
        [&] { return other.metric("uwitter_feed_applied_total{kind=\"login\"}") >= before + 1; }, 5s))
        << i;
  }
  // The sixth, on either instance, with the right password or not: throttled.
  for (Instance* i : {&a, &b}) {
    auto r = i->login("erin");
    EXPECT_EQ(r.status, 429) << r.body;
  }
}

TEST_F(PgFeed, AListenerWhoseBackendIsKilledReconnectsAndMissesNothing) {
  ASSERT_EQ(a.signup("fay").status, 201);
  const std::string fay_a = a.token("fay");
  std::set<int64_t> posted;
  for (int i = 0; i < 40; ++i) {
    if (i % 10 == 5) {
      // Every feed listener's backend (both instances'), once both are
      // listening again, while posts go on.
      const std::string listeners =
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'uwitter-feed'";
      ASSERT_TRUE(
          kit::eventually([&] { return kit::pg_query_value(uri, listeners).value_or("0") == "2"; }, 5s));
      std::string err;
      auto killed = kit::pg_query_value(uri,
                                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                                        "application_name = 'uwitter-feed'",
                                        &err);
      ASSERT_TRUE(killed) << err;
      EXPECT_EQ(*killed, "2");
    }
    auto p = a.post(fay_a, "post " + std::to_string(i));
    ASSERT_EQ(p.status, 201) << p.body;
    posted.insert(p.json()["id"].get<int64_t>());
  }
  EXPECT_TRUE(kit::eventually(
      [&] {
        auto ids = b.public_ids();
        return std::all_of(posted.begin(), posted.end(), [&](int64_t id) { return has(ids, id); });
      },
      10s));
  EXPECT_TRUE(kit::eventually([&] { return b.metric("uwitter_feed_reconnects_total") >= 3; }, 10s))
      << b.proc->stderr_text();
  EXPECT_TRUE(
      kit::eventually([&] { return b.get("/api/v1/users/fay").json()["counts"]["uweets"] == 40; }, 5s));
}

TEST_F(PgFeed, ATransactionThatCommitsLateBehindANewerOneIsNotSkipped) {
  ASSERT_EQ(a.signup("gus").status, 201);
  const std::string gus_a = a.token("gus");
  ASSERT_TRUE(kit::eventually([&] { return b.knows("gus"); }, 5s));
  const int64_t gus = a.get("/api/v1/users/gus").json()["id"];
  // A third writer (as another instance would) takes an id and holds its
  // transaction open while A posts and commits a newer one.
  auto held = Store::open(uri, Store::Options{});
  ASSERT_TRUE(held) << held.error().message;
  Store& h = *held.value();
  ASSERT_TRUE(h.begin());
  NewUweet nu;
  nu.author_id = gus;
  nu.text = "held back";
  nu.created_at = 1;
  auto early = h.insert_uweet(nu);
  ASSERT_TRUE(early) << early.error().message;
  auto p = a.post(gus_a, "committed first");
  ASSERT_EQ(p.status, 201) << p.body;
  const int64_t late_id = early->id, newer_id = p.json()["id"];
  ASSERT_LT(late_id, newer_id);
  ASSERT_TRUE(h.commit());
  // B shows both, the older id at its place.
  ASSERT_TRUE(kit::eventually(
      [&] {
        auto ids = b.public_ids();
        return has(ids, late_id) && has(ids, newer_id);
      },
      5s));
  auto ids = b.public_ids();
  EXPECT_LT(std::find(ids.begin(), ids.end(), newer_id), std::find(ids.begin(), ids.end(), late_id));
  // A, which missed it too (it was not its own), has it as well.
  EXPECT_TRUE(kit::eventually([&] { return has(a.public_ids(), late_id); }, 5s));
}

// Out of touch for longer than the feed keeps its rows (10 min; here the
// rows are pruned while B is stopped), B has missed changes it can no longer
// read. It reloads its caches live, without a restart: a session that ended
// meanwhile is refused (never accepted after B is back: 503 until the reload
// is in, 401 after), and what A committed meanwhile shows.
TEST_F(PgFeed, AnInstanceThatMissedPrunedChangesReloadsItsCachesLive) {
  const std::string jo_b = user_on_both("jo");
  const std::string ann_b = user_on_both("ann");
  const std::string ended = b.token("ann");  // logged out through A while B is stopped
  const std::string jo_a = a.token("jo"), ann_a = a.token("ann");
  auto before = b.post(jo_b, "before the outage");
  ASSERT_EQ(before.status, 201) << before.body;
  const int64_t deleted_id = before.json()["id"];
  ASSERT_TRUE(kit::eventually([&] { return has(a.public_ids(), deleted_id); }, 5s));
  ASSERT_EQ(b.get("/api/v1/me", ended).status, 200);
  ASSERT_TRUE(kit::eventually([&] { return a.get("/api/v1/me", ended).status == 200; }, 5s));

  ASSERT_EQ(b.proc->signal(SIGSTOP), 0);
  ASSERT_TRUE(kit::eventually([&] { return a.metric("uwitter_feed_live_peers") == 0; }, 5s));
  auto during = a.post(jo_a, "during the outage");
  ASSERT_EQ(during.status, 201) << during.body;
  const int64_t during_id = during.json()["id"];
  auto del = a.http->request("DELETE", "/api/v1/uweets/" + std::to_string(deleted_id), "",
                             {"Authorization: Bearer " + jo_a});
  ASSERT_TRUE(del.status == 200 || del.status == 204) << del.status << " " << del.body;
  auto f = a.http->request("PUT", "/api/v1/users/jo/follow", "", {"Authorization: Bearer " + ann_a});
  ASSERT_EQ(f.status, 200) << f.body;
  auto out = a.http->request("DELETE", "/api/v1/sessions", "", {"Authorization: Bearer " + ended});
  ASSERT_TRUE(out.status == 200 || out.status == 204) << out.status << " " << out.body;
  {
    auto s = Store::open(uri, Store::Options{});
    ASSERT_TRUE(s) << s.error().message;
    auto n = s.value()->feed_prune(int64_t{1} << 60);  // every row, read or not
    ASSERT_TRUE(n) << n.error().message;
    ASSERT_GE(*n, 4);
    // The prune took the instance table's rows too (all older than 1<<60):
    // B is resumed once A's heartbeat has put A back, as it would be in an
    // outage of 10 min, where only the silent instances' rows go.
    ASSERT_TRUE(kit::eventually(
        [&] {
          auto peers = s.value()->feed_peers_behind("web-b", std::numeric_limits<int64_t>::max(), 1500);
          return peers && *peers == 1;
        },
        5s));
  }
  ASSERT_EQ(b.proc->signal(SIGCONT), 0);

  std::vector<int> seen;  // every answer B gave the ended session from here on
  EXPECT_TRUE(kit::eventually(
      [&] {
        const int st = b.get("/api/v1/me", ended).status;
        seen.push_back(st);
        return st == 401;
      },
      10s))
      << b.proc->stderr_text();
  for (int st : seen) EXPECT_TRUE(st == 503 || st == 401) << "B answered an ended session with " << st;
  EXPECT_EQ(b.metric("uwitter_feed_rewarms_total"), 1);
  EXPECT_EQ(b.metric("uwitter_feed_rewarm_failures_total"), 0);
  auto ids = b.public_ids();
  EXPECT_TRUE(has(ids, during_id));
  EXPECT_FALSE(has(ids, deleted_id));
  EXPECT_TRUE(has(b.home_ids(ann_b), during_id));
  EXPECT_EQ(b.get("/api/v1/users/jo").json()["counts"]["followers"], 1);
  EXPECT_EQ(b.get("/api/v1/users/jo").json()["counts"]["uweets"], 1);
  EXPECT_EQ(b.get("/api/v1/me", ann_b).status, 200);
  // B serves and writes on after the reload, and A hears of it.
  auto after = b.post(jo_b, "after the reload");
  ASSERT_EQ(after.status, 201) << after.body;
  EXPECT_TRUE(kit::eventually([&] { return has(a.public_ids(), after.json()["id"].get<int64_t>()); }, 5s));
}

// An instance out of touch with the feed for longer than its fence cannot
// know of its peers' logouts: it answers a token with 503 (never 401: the
// client keeps its session), and takes it again once it is back.
TEST(PgFeedOutage, WhileTheDatabaseIsAwayTokensGet503AndWorkAgainAfter) {
  kit::PgServer pg;  // its own server: this test stops it
  ASSERT_TRUE(pg.start()) << pg.error();
  const std::string uri = pg.create_database("uwitter");
  ASSERT_FALSE(uri.empty()) << pg.error();
  Instance a, b;
  ASSERT_NO_FATAL_FAILURE(a.start(uri, "web-a"));
  ASSERT_NO_FATAL_FAILURE(b.start(uri, "web-b"));
  ASSERT_EQ(a.signup("hal").status, 201);
  const std::string tok = a.token("hal");
  ASSERT_TRUE(kit::eventually([&] { return b.get("/api/v1/me", tok).status == 200; }, 5s));
  // Each knows the other is alive (the fence is for instances with peers).
  for (Instance* i : {&a, &b})
    ASSERT_TRUE(kit::eventually([&] { return i->metric("uwitter_feed_live_peers") >= 1; }, 5s));
  ASSERT_TRUE(pg.stop());
  for (Instance* i : {&a, &b}) {
    kit::HttpResponse r;
    ASSERT_TRUE(kit::eventually(
        [&] {
          r = i->get("/api/v1/me", tok);
          return r.status == 503;
        },
        5s))
        << r.status << " " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "sessions_unavailable") << r.body;
    EXPECT_FALSE(r.header("retry-after").empty());
    // Updated by the listener as it retries (every backoff, up to 1 s): behind, but growing.
    EXPECT_GT(i->metric("uwitter_feed_contact_age_seconds"), 0.25);
  }
  ASSERT_TRUE(pg.start()) << pg.error();
  for (Instance* i : {&a, &b})
    EXPECT_TRUE(kit::eventually([&] { return i->get("/api/v1/me", tok).status == 200; }, 15s));
  EXPECT_GE(b.metric("uwitter_feed_reconnects_total"), 1);
}

// Alone, an instance has no peer whose logouts it could miss: while the
// database is away its cached pages keep answering a token, as before.
TEST(PgFeedOutage, ASingleInstanceIsNotFenced) {
  kit::PgServer pg;
  ASSERT_TRUE(pg.start()) << pg.error();
  const std::string uri = pg.create_database("uwitter");
  ASSERT_FALSE(uri.empty()) << pg.error();
  Instance a;
  ASSERT_NO_FATAL_FAILURE(a.start(uri, "web-a"));
  ASSERT_EQ(a.signup("ivy").status, 201);
  const std::string tok = a.token("ivy");
  ASSERT_TRUE(pg.stop());
  ASSERT_TRUE(kit::eventually([&] { return a.metric("uwitter_feed_contact_age_seconds") >= 1.5; }, 10s));
  EXPECT_EQ(a.get("/api/v1/me", tok).status, 200);
  EXPECT_EQ(a.get("/api/v1/timelines/home", tok).status, 200);
}

}  // namespace
}  // namespace uw::web

#endif  // UWITTER_WEB_BIN
