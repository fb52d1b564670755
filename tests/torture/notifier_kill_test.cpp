// Torture: uwitter-notifier SIGKILLed again and again while a user posts
// through uwitter-web, restarted each time on the same ports (as a supervisor
// would), some kills right after a restart. The web app must not notice
// (every post acknowledged), and after every restart the notifier must serve
// again with no manual step: a fresh subscriber, with a fresh ticket, is
// notified of the next post. Cycles: UWITTER_TORTURE_NOTIFIER_KILLS (default 20).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/kit/eventually.hpp"
#include "bench/kit/http_client.hpp"
#include "bench/kit/metrics_text.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/sse_stream.hpp"
#include "bench/kit/temp_dir.hpp"

#if defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN)

namespace uw::torture {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

class Stack {
 public:
  Stack() : data_(dir_.file("data")) {}

  // The notifier on the given ports (0: the kernel picks; the ports it got are kept).
  bool start_notifier() {
    notifier_ = std::make_unique<kit::ChildProcess>();
    std::vector<std::string> argv{UWITTER_NOTIFIER_BIN,
                                  "--listen-udp",
                                  "127.0.0.1:" + std::to_string(udp_port_),
                                  "--listen-http",
                                  "127.0.0.1:" + std::to_string(http_port_),
                                  "--db",
                                  data_ + "/uwitter.db",
                                  "--trust",
                                  data_ + "/keys/uwitter.pub",
                                  "--allow",
                                  "127.0.0.0/8",
                                  "--log-file",
                                  dir_.file("notifier.log")};
    if (!notifier_->start(argv, dir_.file("notifier.stderr")) || !notifier_->wait_listening(2, 30s))
      return false;
    udp_port_ = notifier_->port("udp");
    http_port_ = notifier_->port("http");
    return true;
  }
  void kill_notifier() { kit::kill_and_reap(notifier_->pid()), notifier_.reset(); }

  bool start_web() {
    web_ = std::make_unique<kit::ChildProcess>();
    std::vector<std::string> argv{UWITTER_WEB_BIN,
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--data",
                                  data_,
                                  "--post-rate",
                                  "off",
                                  "--notify",
                                  "udp://127.0.0.1:" + std::to_string(udp_port_),
                                  "--notifier-url",
                                  "http://127.0.0.1:" + std::to_string(http_port_)};
    if (!web_->start(argv, dir_.file("web.stderr")) || !web_->wait_listening(1, 30s)) return false;
    web_port_ = web_->port("http");
    return true;
  }

  kit::HttpClient web() const { return kit::HttpClient("http://127.0.0.1:" + std::to_string(web_port_)); }
  kit::HttpClient notifier() const {
    return kit::HttpClient("http://127.0.0.1:" + std::to_string(http_port_));
  }
  uint16_t http_port() const { return http_port_; }
  std::string tails() const {
    return "notifier: " + kit::read_file(dir_.file("notifier.stderr")).substr(0, 3000) +
           "\nweb: " + kit::read_file(dir_.file("web.stderr")).substr(0, 3000);
  }
  int terminate_all() {
    int rc = web_ ? web_->terminate(30s) : 0;
    int rn = notifier_ ? notifier_->terminate(30s) : 0;
    return rc != 0 ? rc : rn;
  }

 private:
  kit::TempDir dir_;
  std::string data_;
  std::unique_ptr<kit::ChildProcess> notifier_, web_;
  uint16_t udp_port_ = 0, http_port_ = 0, web_port_ = 0;
};

std::string session(kit::HttpClient& http, const std::string& name) {
  EXPECT_EQ(http.json("POST", "/api/v1/accounts", {{"username", name}, {"password", "password123"}}).status,
            201);
  auto s = http.json("POST", "/api/v1/sessions", {{"username", name}, {"password", "password123"}});
  EXPECT_EQ(s.status, 201) << s.body;
  return s.status == 201 ? s.json()["token"].get<std::string>() : "";
}

TEST(NotifierKill, EachRestartServesAgainAndTheWebAppNeverNotices) {
  const int kills = env_int("UWITTER_TORTURE_NOTIFIER_KILLS", 20);
  Stack s;
  // The web app writes its key pair on first start; the notifier trusts its .pub.
  ASSERT_TRUE(s.start_notifier()) << s.tails();
  ASSERT_TRUE(s.start_web()) << s.tails();
  auto http = s.web();
  const std::string alice = session(http, "alice"), bob = session(http, "bob");
  ASSERT_EQ(
      http.request("PUT", "/api/v1/users/alice/follow", "", {"Authorization: Bearer " + bob}).status / 100,
      2);

  // Background load: alice posts as fast as the web app answers.
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0}, refused{0};
  std::thread poster([&] {
    auto c = s.web();
    for (int n = 0; !stop.load(); ++n) {
      auto r = c.json("POST", "/api/v1/uweets", {{"text", "load " + std::to_string(n)}}, alice);
      (r.status == 201 ? acked : refused)++;
    }
  });

  std::mt19937 rng(4242);
  std::uniform_int_distribution<int> pause_ms(30, 250);
  int notified = 0;
  for (int k = 0; k < kills; ++k) {
    if (k % 4 != 3) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    s.kill_notifier();
    ASSERT_TRUE(s.start_notifier()) << "restart " << k << ": " << s.tails();
    if (k % 4 == 2) continue;  // the next kill comes right after this restart
    // A fresh subscriber: a new ticket, a new stream, and the next post reaches it.
    auto t = http.get("/api/v1/notifications/ticket", {"Authorization: Bearer " + bob});
    ASSERT_EQ(t.status, 200) << t.body;
    kit::SseStream stream(s.http_port(), "/events?ticket=" + t.json()["ticket"].get<std::string>());
    ASSERT_EQ(stream.wait_status(), 200) << stream.head();
    ASSERT_TRUE(kit::eventually([&] { return stream.raw().find(": connected") != std::string::npos; }, 10s));
    const std::string marker = "marker " + std::to_string(k);
    ASSERT_EQ(http.json("POST", "/api/v1/uweets", {{"text", marker}}, alice).status, 201);
    ASSERT_TRUE(stream.wait_event(
        [&](const kit::SseEvent& ev) {
          return ev.event == "uweet" && ev.data.find(marker) != std::string::npos;
        },
        10s))
        << "after restart " << k << ": " << stream.raw() << "\n"
        << s.tails();
    ++notified;
  }
  stop = true;
  poster.join();
  auto health = s.notifier().get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(refused.load(), 0) << "the web app refused posts while the notifier was away";
  EXPECT_GT(acked.load(), kills) << "the load must actually post";
  EXPECT_EQ(s.terminate_all(), 0) << s.tails();
  std::printf(
      "[torture] %d notifier SIGKILLs, %d posts acknowledged (0 refused), %d fresh subscribers notified\n",
      kills, acked.load(), notified);
}

}  // namespace
}  // namespace uw::torture

#endif
