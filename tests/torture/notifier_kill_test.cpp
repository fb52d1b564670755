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
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/kit/eventually.hpp"
#include "bench/kit/sse_stream.hpp"
#include "tests/torture/daemons.hpp"

#if defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN)

namespace uw::torture {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(NotifierKill, EachRestartServesAgainAndTheWebAppNeverNotices) {
  const int kills = env_int("UWITTER_TORTURE_NOTIFIER_KILLS", 20);
  Daemons s({"--post-rate", "off"});
  // The web app writes its key pair on first start; the notifier trusts its .pub.
  ASSERT_TRUE(s.start_notifier()) << s.tails();
  ASSERT_TRUE(s.start_web()) << s.tails();
  auto http = s.web();
  const std::string alice = signup(http, "alice"), bob = signup(http, "bob");
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
