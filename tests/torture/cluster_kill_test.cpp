// Torture, issue 16 item 4 (docs/CLUSTER.md "What fails how"): SIGKILL in a
// cluster of real processes on one PostgreSQL database.
//
// * A notifier killed: a follower whose stream is on it (the rendezvous
//   choice) moves to the next notifier in its ticket's order, following the
//   rule of web/static/notify.js (FollowerPage below), and gets the next
//   notification there; once the notifier is back, the page returns to it.
// * A web instance killed behind HAProxy under post load: HAProxy takes it
//   out within its health checks (fall 2 x 200 ms), every post after that
//   succeeds, every acknowledged post is in the database, and the restarted
//   instance rejoins (UP again, serves posts, its caches loaded at start).
// * PostgreSQL stopped and started again under both instances: bounded 503s
//   meanwhile, both recover by themselves, nothing acknowledged is lost.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

#include "bench/kit/haproxy_server.hpp"
#include "bench/kit/pg_server.hpp"
#include "tests/cluster_harness.hpp"

#if defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN) && defined(UWITTER_KEYGEN_BIN)

namespace uw::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One user's page, reduced to its notification stream, with notify.js's
// fallback rule: the ticket's order; a dropped stream is retried where it was
// (the browser's EventSource, after the notifier's `retry: 2000`) and, not
// open again within FAILOVER_MS, the next notifier with a fresh ticket;
// refused outright (no 200): the next at once; on a fallback the first one
// is tried again later (HOME_MS in the page; go_home() here) and used once it
// opens.
class FollowerPage {
 public:
  static constexpr auto kRetry = 2000ms;     // the notifier's `retry:`
  static constexpr auto kFailover = 2500ms;  // notify.js FAILOVER_MS
  FollowerPage(Cluster& c, size_t web, std::string token) : c_(c), web_(web), token_(std::move(token)) {}

  bool connect() {
    auto t = c_.ticket(web_, token_);
    order_ = t["notifiers"].get<std::vector<std::string>>();
    if (order_.empty()) return false;
    if (at_ >= order_.size()) at_ = 0;
    url_ = order_[at_] + "/events?ticket=" + t["ticket"].get<std::string>();
    stream_ = open_stream(url_, 2s);
    return stream_ != nullptr;
  }
  // After the stream dropped (or never opened): true once one is open again.
  bool recover() {
    const auto error_at = Clock::now();
    // The browser's own retry of the same URL, after `retry:`.
    std::this_thread::sleep_until(error_at + kRetry);
    if ((stream_ = open_stream(url_, 500ms))) return true;
    std::this_thread::sleep_until(error_at + kFailover);
    for (size_t tried = 1; tried < order_.size(); ++tried) {
      at_ = (at_ + 1) % order_.size();
      if (connect()) return true;  // a fresh ticket each time
    }
    return false;
  }
  // The page's HOME_MS probe: the first notifier, beside the open stream.
  bool go_home() {
    if (at_ == 0) return true;
    auto t = c_.ticket(web_, token_);
    auto probe = open_stream(order_[0] + "/events?ticket=" + t["ticket"].get<std::string>(), 2s);
    if (!probe) return false;
    stream_ = std::move(probe);
    at_ = 0;
    return true;
  }
  kit::SseStream& stream() { return *stream_; }
  const std::string& notifier() const { return order_[at_]; }
  const std::vector<std::string>& order() const { return order_; }

 private:
  Cluster& c_;
  size_t web_;
  std::string token_;
  std::vector<std::string> order_;
  size_t at_ = 0;
  std::string url_;
  std::unique_ptr<kit::SseStream> stream_;
};

bool got(kit::SseStream& s, const std::string& text, std::chrono::milliseconds timeout = 10s) {
  return s.wait_event(
      [&](const kit::SseEvent& e) { return e.event == "uweet" && e.data.find(text) != std::string::npos; },
      timeout);
}

TEST(ClusterPostgres, ANotifierKilledItsUsersMoveToTheNextInOrderAndGetTheNextNotification) {
  Cluster c(1, 2);
  ASSERT_FALSE(c.db.empty());
  c.start_web(0);
  c.signup(0, "alice");
  c.signup(0, "bob");
  const std::string alice = c.login(0, "alice");
  const std::string bob = c.login(0, "bob");
  c.follow(0, bob, "alice");

  FollowerPage page(c, 0, bob);
  ASSERT_TRUE(page.connect());
  const std::string home = page.notifier();
  EXPECT_EQ(home, page.order()[0]) << "the stream starts on the user's own notifier";
  const int k = c.notifier_index(home);
  ASSERT_GE(k, 0);
  ASSERT_GT(c.post(0, alice, "before the kill"), 0);
  ASSERT_TRUE(got(page.stream(), "before the kill")) << page.stream().raw();

  const auto killed_at = Clock::now();
  ASSERT_EQ(c.notifiers[k].proc->signal(SIGKILL), 0);
  EXPECT_NE(c.notifiers[k].proc->wait_exit(10s), -1);
  ASSERT_TRUE(page.stream().wait_closed(10s)) << "the kernel closes a killed notifier's streams";
  ASSERT_TRUE(page.recover()) << "no other notifier took the stream";
  const auto moved_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed_at).count();
  EXPECT_EQ(page.notifier(), page.order()[1]) << "the next one in the ticket's order";
  EXPECT_LT(moved_ms, 8000) << "moved within seconds";
  std::printf("[ notifier kill ] stream moved to the next notifier %lld ms after the SIGKILL\n",
              static_cast<long long>(moved_ms));

  ASSERT_GT(c.post(0, alice, "after the kill"), 0);
  EXPECT_TRUE(got(page.stream(), "after the kill")) << page.stream().raw();

  // Back on its ports: the page returns to the user's own notifier.
  c.start_notifier(static_cast<size_t>(k));
  ASSERT_TRUE(kit::eventually([&] { return page.go_home(); }, 15s));
  EXPECT_EQ(page.notifier(), home);
  // The restarted notifier hears the web instance's next heartbeat, then the post.
  ASSERT_TRUE(kit::eventually(
      [&] { return c.notifiers[k].metric("uwitter_notifier_sender_sessions_total") >= 1; }, 10s));
  ASSERT_GT(c.post(0, alice, "home again"), 0);
  EXPECT_TRUE(got(page.stream(), "home again")) << page.stream().raw();
}

struct Attempt {
  Clock::time_point start, end;
  long status = 0;
  int64_t id = 0;
};

TEST(ClusterPostgres, AWebInstanceKilledBehindHaproxyUnderPostLoadLosesNoAcknowledgedPost) {
  ASSERT_FALSE(kit::HaproxyServer::binary().empty()) << "haproxy is not installed (.ci/install-deps)";
  Cluster c(2, 0);
  ASSERT_FALSE(c.db.empty());
  c.start_web(0);
  c.signup(0, "poster");
  const std::string token = c.login(0, "poster");
  c.start_web(1);  // loads the session written by instance 1

  kit::HaproxyServer hp;
  kit::HaproxyServer::Options o;
  o.backends = {c.webs[0].port, c.webs[1].port};
  o.check_interval_ms = 200;
  ASSERT_TRUE(hp.start(o)) << hp.error();
  auto both_up = [&] {
    auto s = hp.backend_states();
    return s["web1"] == "UP" && s["web2"] == "UP";
  };
  ASSERT_TRUE(kit::eventually(both_up)) << hp.stats_command("show stat");

  std::mutex mu;
  std::vector<Attempt> attempts;
  std::atomic<bool> stop{false};
  std::vector<std::thread> posters;
  for (int t = 0; t < 2; ++t) {
    posters.emplace_back([&, t] {
      kit::HttpClient http(hp.url());
      for (int i = 0; !stop; ++i) {
        Attempt a;
        a.start = Clock::now();
        auto r = http.json("POST", "/api/v1/uweets",
                           {{"text", "load " + std::to_string(t) + "." + std::to_string(i)}}, token);
        a.end = Clock::now();
        a.status = r.status;
        if (r.status == 201) a.id = r.json().value("id", int64_t{0});
        std::lock_guard l(mu);
        attempts.push_back(a);
      }
    });
  }
  auto acknowledged = [&] {
    std::lock_guard l(mu);
    size_t n = 0;
    for (const auto& a : attempts) n += a.status == 201;
    return n;
  };
  ASSERT_TRUE(kit::eventually([&] { return acknowledged() >= 50; }, 30s));

  const auto killed_at = Clock::now();
  ASSERT_EQ(c.webs[1].proc->signal(SIGKILL), 0);
  EXPECT_NE(c.webs[1].proc->wait_exit(10s), -1);
  ASSERT_TRUE(kit::eventually([&] { return hp.backend_states()["web2"].rfind("DOWN", 0) == 0; }))
      << hp.stats_command("show stat");
  const auto down_at = Clock::now();
  const auto down_ms = std::chrono::duration_cast<std::chrono::milliseconds>(down_at - killed_at).count();
  EXPECT_LT(down_ms, 3000) << "fall 2 at 200 ms";
  const size_t at_down = acknowledged();
  ASSERT_TRUE(kit::eventually([&] { return acknowledged() >= at_down + 50; }, 30s))
      << "posts go on through web1";

  // Back on its port: UP again after one good check, and serving posts.
  const size_t before_restart = acknowledged();
  c.start_web(1);
  ASSERT_TRUE(kit::eventually(both_up, 10s)) << hp.stats_command("show stat");
  kit::HttpClient direct(c.webs[1].base());
  const auto counts = direct.get("/api/v1/users/poster").json()["counts"];
  EXPECT_GE(counts["uweets"].get<int64_t>(), static_cast<int64_t>(before_restart))
      << "the restarted instance loads what the other one committed meanwhile";
  const std::string posts_on_web2 = "http_requests_total{route=\"/api/v1/uweets\",status=\"201\"}";
  EXPECT_TRUE(
      kit::eventually([&] { return kit::metric(direct.get("/metrics").body, posts_on_web2) >= 5; }, 20s))
      << direct.get("/metrics").body.substr(0, 3000);

  stop = true;
  for (auto& t : posters) t.join();

  // Every acknowledged post is stored; failures only for requests in flight at the kill.
  size_t acked = 0, failed = 0, failed_after_down = 0;
  std::string ids;
  for (const auto& a : attempts) {
    if (a.status == 201) {
      ++acked;
      ids += (ids.empty() ? "" : ",") + std::to_string(a.id);
    } else {
      ++failed;
      if (a.start > down_at) ++failed_after_down;
    }
  }
  std::string err;
  const auto stored =
      kit::pg_query_value(c.db, "SELECT count(*) FROM uweets WHERE id IN (" + ids + ")", &err);
  ASSERT_TRUE(stored) << err;
  EXPECT_EQ(std::stoul(*stored), acked) << "an acknowledged post is missing";
  EXPECT_EQ(failed_after_down, 0u) << "HAProxy sent requests to the dead instance after marking it DOWN";
  std::printf(
      "[ web kill ] %zu posts acknowledged, all stored; %zu failed (in flight at the kill); DOWN %lld ms "
      "after the SIGKILL\n",
      acked, failed, static_cast<long long>(down_ms));
}

// PostgreSQL stopped under two instances behind HAProxy: every post answers
// 503 db_unavailable within a bounded time (never a hang, never a 5xx other
// than 503); once the server is back on the same port and data, both
// instances and the notifier recover by themselves (no restart), posts work
// on each, a follower is notified again, and every acknowledged post is there.
TEST(ClusterPostgres, PostgresRestartedEveryInstanceRecoversWithoutARestartAndLosesNothing) {
  ASSERT_FALSE(kit::HaproxyServer::binary().empty()) << "haproxy is not installed (.ci/install-deps)";
  kit::PgServer pg;  // its own: this test stops it
  ASSERT_TRUE(pg.start()) << pg.error();
  const std::string uri = pg.create_database("cluster");
  ASSERT_FALSE(uri.empty()) << pg.error();
  Cluster c(2, 1, {"--busy-timeout", "2000"}, uri);
  c.start_web(0);
  c.signup(0, "poster");
  c.signup(0, "bob");
  const std::string token = c.login(0, "poster");
  const std::string bob = c.login(0, "bob");
  c.follow(0, bob, "poster");
  c.start_web(1);  // loads the sessions and the follow written through instance 1
  kit::HaproxyServer hp;
  kit::HaproxyServer::Options o;
  o.backends = {c.webs[0].port, c.webs[1].port};
  o.check_interval_ms = 200;
  ASSERT_TRUE(hp.start(o)) << hp.error();
  ASSERT_TRUE(kit::eventually([&] {
    auto s = hp.backend_states();
    return s["web1"] == "UP" && s["web2"] == "UP";
  })) << hp.stats_command("show stat");
  kit::HttpClient http(hp.url());
  std::vector<int64_t> acked;
  auto post = [&](kit::HttpClient& via, const std::string& text) {
    auto r = via.json("POST", "/api/v1/uweets", {{"text", text}}, token);
    if (r.status == 201) acked.push_back(r.json().value("id", int64_t{0}));
    return r;
  };
  for (int i = 0; i < 6; ++i) ASSERT_EQ(post(http, "before " + std::to_string(i)).status, 201);
  auto stream = open_stream(c.ticket(1, bob)["url"].get<std::string>());
  ASSERT_TRUE(stream);

  ASSERT_TRUE(pg.stop());
  for (int i = 0; i < 6; ++i) {  // round robin: both instances
    const auto t0 = Clock::now();
    auto r = post(http, "while down " + std::to_string(i));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("db_unavailable"), std::string::npos) << r.body;
    EXPECT_FALSE(r.header("retry-after").empty());
    EXPECT_LT(ms, 5000) << "bounded: no hang while the database is down";
  }
  EXPECT_EQ(hp.backend_states()["web1"], "UP") << "/healthz does not need the database: HAProxy keeps both";

  ASSERT_TRUE(pg.start()) << pg.error();  // same data, same port
  for (size_t i = 0; i < c.webs.size(); ++i) {
    kit::HttpClient direct(c.webs[i].base());
    EXPECT_TRUE(
        kit::eventually([&] { return post(direct, "after on " + std::to_string(i)).status == 201; }, 30s))
        << "instance " << i << " did not recover by itself";
  }
  ASSERT_EQ(post(http, "notify bob again").status, 201);
  EXPECT_TRUE(stream->wait_event(
      [](const kit::SseEvent& e) {
        return e.event == "uweet" && e.data.find("notify bob again") != std::string::npos;
      },
      20s))
      << stream->raw();
  std::string ids;
  for (int64_t id : acked) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  std::string err;
  const auto stored = kit::pg_query_value(uri, "SELECT count(*) FROM uweets WHERE id IN (" + ids + ")", &err);
  ASSERT_TRUE(stored) << err;
  EXPECT_EQ(std::stoul(*stored), acked.size()) << "an acknowledged post is missing";
  for (auto& w : c.webs) EXPECT_EQ(w.proc->terminate(), 0) << w.proc->stderr_tail();
}

}  // namespace
}  // namespace uw::test

#endif
