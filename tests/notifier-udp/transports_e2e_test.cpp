// End to end over the stream transports, both real daemons on loopback:
// uwitter-web --notify tcp://… or http://… (web/emitter/stream_sender.cpp)
// commits, signs and sends envelopes; uwitter-notifier --listen-tcp or POST
// /ingest verifies, fans out and streams over SSE. The notifier stopped
// (SIGSTOP) or killed and restarted: posts never fail or stall, and what was
// queued meanwhile is delivered once it is back, exactly once.
#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "bench/kit/clock.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"

#if defined(UWITTER_NOTIFIER_BIN) && defined(UWITTER_WEB_BIN)

namespace uw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class StreamStack {
 public:
  explicit StreamStack(std::string scheme, std::vector<std::string> web_extra = {})
      : scheme(std::move(scheme)), web_extra(std::move(web_extra)) {
    data = dir.file("data");
    start_notifier();
    start_web();
    EXPECT_TRUE(eventually([&] { return notifier_metric("uwitter_notifier_trusted_keys") == 1; }, 15s));
  }
  // Ports 0 the first time; the same ports again on a restart.
  void start_notifier() {
    notifier = std::make_unique<ChildProcess>();
    ASSERT_TRUE(notifier->start(
        {UWITTER_NOTIFIER_BIN, "--listen-udp", "127.0.0.1:0", "--listen-http",
         "127.0.0.1:" + std::to_string(http_port), "--listen-tcp", "127.0.0.1:" + std::to_string(tcp_port),
         "--db", data + "/uwitter.db", "--trust", data + "/keys/uwitter.pub", "--log-file",
         dir.file("notifier.log"), "--allow", "127.0.0.0/8"},
        dir.file("notifier.stderr")));
    ASSERT_TRUE(notifier->wait_listening(3)) << notifier->stderr_text();
    http_port = notifier->port("http");
    tcp_port = notifier->port("tcp");
    nclient = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(http_port));
  }
  std::string target() const {
    return scheme == "tcp" ? "tcp://127.0.0.1:" + std::to_string(tcp_port)
                           : "http://127.0.0.1:" + std::to_string(http_port) + "/ingest";
  }
  void start_web() {
    web = std::make_unique<ChildProcess>();
    std::vector<std::string> argv{UWITTER_WEB_BIN,
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--data",
                                  data,
                                  "--notify",
                                  target(),
                                  "--notifier-url",
                                  "http://127.0.0.1:" + std::to_string(http_port)};
    argv.insert(argv.end(), web_extra.begin(), web_extra.end());
    ASSERT_TRUE(web->start(argv, dir.file("web.stderr")));
    ASSERT_TRUE(web->wait_listening(1)) << web->stderr_text();
    wclient = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(web->port("http")));
  }
  double notifier_metric(const std::string& s) { return metric(nclient->get("/metrics").body, s); }
  double web_metric(const std::string& name) {
    return metric(wclient->get("/metrics").body,
                  name + "{target=\"" + target() + "\",transport=\"" + scheme + "\"}");
  }
  std::string signup(const std::string& name) {
    auto r = wclient->json("POST", "/api/v1/accounts", {{"username", name}, {"password", "correct horse"}});
    EXPECT_EQ(r.status, 201) << r.body;
    auto s = wclient->json("POST", "/api/v1/sessions", {{"username", name}, {"password", "correct horse"}});
    return s.json().value("token", "");
  }
  void follow(const std::string& token, const std::string& who) {
    auto r =
        wclient->request("PUT", "/api/v1/users/" + who + "/follow", "", {"Authorization: Bearer " + token});
    EXPECT_TRUE(r.status >= 200 && r.status < 300) << r.status << " " << r.body;
  }
  // Posts and returns how long the answer took (ms); the id in *id.
  int64_t post(const std::string& token, const std::string& text, int64_t* id = nullptr) {
    int64_t t0 = now_ms();
    auto r = wclient->json("POST", "/api/v1/uweets", {{"text", text}}, token);
    int64_t took = now_ms() - t0;
    EXPECT_EQ(r.status, 201) << r.body;
    if (id) *id = r.status == 201 ? r.json().value("id", int64_t{0}) : 0;
    return took;
  }
  std::unique_ptr<SseStream> stream(const std::string& token) {
    auto r = wclient->get("/api/v1/notifications/ticket", {"Authorization: Bearer " + token});
    EXPECT_EQ(r.status, 200) << r.body;
    std::string url = r.json()["url"];
    std::string prefix = "http://127.0.0.1:" + std::to_string(http_port);
    auto c = std::make_unique<SseStream>(http_port, url.substr(prefix.size()));
    EXPECT_EQ(c->wait_status(), 200) << c->head();
    EXPECT_TRUE(eventually([&] { return c->raw().find(": connected") != std::string::npos; }));
    return c;
  }

  std::string scheme;
  std::vector<std::string> web_extra;
  TempDir dir;
  std::string data;
  std::unique_ptr<ChildProcess> notifier, web;
  std::unique_ptr<HttpClient> nclient, wclient;
  uint16_t http_port = 0, tcp_port = 0;
};

size_t count_text(SseStream& s, const std::string& text) {
  size_t n = 0;
  for (const auto& e : s.events())
    if (e.event == "uweet" && json::parse(e.data)["text"] == text) ++n;
  return n;
}

class Transports : public ::testing::TestWithParam<std::string> {};

TEST_P(Transports, APostReachesAFollowerAndTheSenderCountsItConfirmed) {
  StreamStack s(GetParam());
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  auto bob_stream = s.stream(bob);
  int64_t id = 0;
  s.post(alice, "over " + GetParam(), &id);
  SseEvent e;
  ASSERT_TRUE(bob_stream->wait_event([](const SseEvent& ev) { return ev.event == "uweet"; }, 10s, &e))
      << bob_stream->raw() << s.web->stderr_text();
  EXPECT_EQ(json::parse(e.data)["uweet_id"], id);
  EXPECT_EQ(json::parse(e.data)["text"], "over " + GetParam());
  // The follow and the post were confirmed (heartbeats too, so at least 2);
  // nothing is pending once the notifier has answered.
  EXPECT_TRUE(eventually([&] {
    return s.web_metric("uwitter_emitter_transport_confirmed_total") >= 2 &&
           s.web_metric("uwitter_emitter_transport_pending") == 0;
  }));
  EXPECT_EQ(s.web_metric("uwitter_emitter_transport_connected"), 1);
  EXPECT_EQ(s.web_metric("uwitter_emitter_transport_dropped_total"), 0);
  EXPECT_GE(s.notifier_metric("uwitter_notifier_transport_verified_total{transport=\"" + GetParam() + "\"}"),
            2);
  EXPECT_EQ(s.notifier_metric("uwitter_notifier_transport_received_total{transport=\"udp\"}"), 0);
}

TEST_P(Transports, PostsNeverStallWhileTheNotifierIsStoppedAndArriveAfter) {
  StreamStack s(GetParam());
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  auto bob_stream = s.stream(bob);
  ASSERT_EQ(s.notifier->signal(SIGSTOP), 0);
  int64_t worst = 0;
  for (int i = 0; i < 100; ++i) worst = std::max(worst, s.post(alice, "while stopped " + std::to_string(i)));
  // The bound: a post does not wait for the notifier at all (100 posts are far
  // fewer than the queue or the in-flight window).
  EXPECT_LT(worst, 1000) << "a post waited " << worst << " ms for a stopped notifier";
  EXPECT_GT(s.web_metric("uwitter_emitter_transport_pending"), 0);
  ASSERT_EQ(s.notifier->signal(SIGCONT), 0);
  ASSERT_TRUE(eventually([&] { return bob_stream->count() >= 100; }, 20s)) << bob_stream->count();
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(count_text(*bob_stream, "while stopped " + std::to_string(i)), 1u) << i;
  EXPECT_TRUE(eventually([&] { return s.web_metric("uwitter_emitter_transport_pending") == 0; }));
}

TEST_P(Transports, ANotifierKilledAndRestartedGetsWhatWasQueuedMeanwhile) {
  StreamStack s(GetParam());
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  s.post(alice, "before");
  ASSERT_TRUE(eventually([&] { return s.web_metric("uwitter_emitter_transport_pending") == 0; }));
  s.notifier->signal(SIGKILL);
  (void)s.notifier->wait_exit(10s);
  int64_t worst = 0;
  for (int i = 0; i < 5; ++i) worst = std::max(worst, s.post(alice, "while down " + std::to_string(i)));
  EXPECT_LT(worst, 1000);
  EXPECT_TRUE(eventually([&] { return s.web_metric("uwitter_emitter_transport_connected") == 0; }));
  EXPECT_GT(s.web_metric("uwitter_emitter_transport_reconnects_total"), 0);
  s.start_notifier();  // the same ports
  // Opened before the backlog arrives? Not guaranteed: the inbox catches up.
  auto bob_stream = s.stream(bob);
  ASSERT_TRUE(eventually(
      [&] {
        auto r = s.nclient->get(
            "/inbox?ticket=" +
            json::parse(s.wclient->get("/api/v1/notifications/ticket", {"Authorization: Bearer " + bob})
                            .body)["ticket"]
                .get<std::string>());
        return r.status == 200 && r.json()["items"].size() >= 5;
      },
      20s))
      << s.web->stderr_text();
  auto r = s.nclient->get(
      "/inbox?ticket=" +
      json::parse(
          s.wclient->get("/api/v1/notifications/ticket", {"Authorization: Bearer " + bob}).body)["ticket"]
          .get<std::string>());
  std::map<std::string, int> seen;
  const json inbox = r.json();  // kept: a range-for over r.json()["items"] would dangle
  for (const auto& it : inbox["items"]) seen[it["text"].get<std::string>()]++;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(seen["while down " + std::to_string(i)], 1) << i << " " << r.body;
  EXPECT_EQ(seen.count("before"), 0u);  // confirmed before the kill: never sent again
  EXPECT_TRUE(eventually([&] { return s.web_metric("uwitter_emitter_transport_connected") == 1; }));
}

// --notify-http-sync: "just call the service over HTTP". The answer to a post
// comes after the notifier has verified its envelope; with the notifier
// stopped, after --notify-sync-timeout-ms (the post is committed either way).
TEST(HttpSync, APostIsAnsweredAfterTheNotifierAndWaitsTheTimeoutWhenItIsStopped) {
  StreamStack s("http", {"--notify-http-sync", "--notify-sync-timeout-ms", "700"});
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  ASSERT_TRUE(eventually([&] { return s.web_metric("uwitter_emitter_transport_connected") == 1; }));
  for (int i = 0; i < 5; ++i) {
    double before = s.notifier_metric("uwitter_notifier_events_total");
    s.post(alice, "sync " + std::to_string(i));
    // Already verified when the answer came: no waiting here.
    EXPECT_GE(s.notifier_metric("uwitter_notifier_events_total"), before + 1) << i;
  }
  ASSERT_EQ(s.notifier->signal(SIGSTOP), 0);
  int64_t took = s.post(alice, "while stopped");
  EXPECT_GE(took, 650);
  EXPECT_LT(took, 5000);
  ASSERT_EQ(s.notifier->signal(SIGCONT), 0);
  EXPECT_GE(metric(s.wclient->get("/metrics").body, "uwitter_emitter_sync_timeouts_total"), 1);
  // It was queued, not lost: it arrives once the notifier runs again.
  EXPECT_TRUE(eventually([&] {
    return s.web_metric("uwitter_emitter_transport_pending") == 0 &&
           s.notifier_metric("uwitter_notifier_events_total") >= 6;
  }));
}

INSTANTIATE_TEST_SUITE_P(StreamTransports, Transports, ::testing::Values("tcp", "http"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace uw::test

#endif
