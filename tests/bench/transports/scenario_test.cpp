// bench/transports/scenario.cpp in-process: run_scenario() with the real
// uwitter-web and uwitter-notifier as processes, a small workload: what it
// reports adds up (posts, deliveries, no duplicates), for the baseline, UDP
// and TCP, and the stop fault; a missing broker is reported, not hung on.
#include "bench/transports/scenario.hpp"

#include <gtest/gtest.h>

#include <string>

#include "bench/runner/api.hpp"

#if defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN)

namespace uw::bench::transports {
namespace {

Workload small() {
  api_global_init();
  Workload w;
  w.web_bin = UWITTER_WEB_BIN;
  w.notifier_bin = UWITTER_NOTIFIER_BIN;
  w.followers = 3;
  w.rate = 100;
  w.fixed_posts = 30;
  w.max_seconds = 0.5;
  w.max_threads = 2;
  w.stop_ms = 500;
  w.recovery_ms = 300;
  w.quiet_ms = 1000;
  w.faults.clear();
  return w;
}

Scenario named(const std::string& name) {
  for (const auto& s : all_scenarios())
    if (s.name == name) return s;
  ADD_FAILURE() << "no scenario " << name;
  return {};
}

TEST(TransportsScenario, TheBaselinePostsWithoutNotifyingAndMeasuresTheRate) {
  const ScenarioResult r = run_scenario(small(), named("none"));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.posts, 30u);
  EXPECT_EQ(r.failed_posts, 0u);
  EXPECT_GT(r.post_p50_ms, 0);
  EXPECT_GE(r.post_p99_ms, r.post_p50_ms);
  EXPECT_GT(r.max_posts_per_s, 0);
  EXPECT_EQ(r.fixed.delivered, 0u) << "nothing notifies";
}

TEST(TransportsScenario, UdpAndTcpDeliverEveryNotificationOnceToEveryFollower) {
  for (const char* name : {"udp", "tcp"}) {
    const ScenarioResult r = run_scenario(small(), named(name));
    ASSERT_EQ(r.error, "") << name;
    EXPECT_EQ(r.fixed.expected, 90u) << name;  // 30 posts x 3 followers
    if (std::string(name) == "tcp") {
      EXPECT_EQ(r.fixed.delivered, r.fixed.expected) << name;
    } else {  // best effort: a datagram the kernel drops on a loaded machine is 3 notifications
      EXPECT_GE(r.fixed.delivered, r.fixed.expected - 9) << name;
      EXPECT_LE(r.fixed.delivered, r.fixed.expected) << name;
    }
    EXPECT_EQ(r.duplicates(), 0u) << name;
    EXPECT_EQ(r.all_failed_posts(), 0u) << name;
    EXPECT_GT(r.sse_p50_ms, 0) << name;
    EXPECT_GT(r.notifier_cpu_us_per_post, 0) << name;
  }
}

TEST(TransportsScenario, TheStopFaultIsLivedThroughAndReported) {
  Workload w = small();
  w.faults = {"stop"};
  const ScenarioResult r = run_scenario(w, named("tcp"));
  ASSERT_EQ(r.error, "");
  const FaultResult* f = r.fault("stop");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->error, "");
  EXPECT_GT(f->posts, 0u);
  EXPECT_EQ(f->failed, 0u) << "an asynchronous transport never fails a post";
  EXPECT_EQ(f->delivery.delivered, f->delivery.expected) << "TCP holds them through the stop";
  EXPECT_EQ(r.fault("kill"), nullptr) << "a fault not asked for is not run";
}

TEST(TransportsScenario, AmqpWithoutABrokerSaysSo) {
  Workload w = small();
  w.broker_error = "rabbitmq-server is not installed";
  const ScenarioResult r = run_scenario(w, named("amqp"));
  EXPECT_NE(r.error.find("rabbitmq-server is not installed"), std::string::npos) << r.error;
  EXPECT_EQ(r.posts, 0u);
}

}  // namespace
}  // namespace uw::bench::transports

#endif
