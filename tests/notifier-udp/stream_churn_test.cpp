// Subscribers that go away abruptly (a browser navigating off a page aborts its
// EventSource) must cost the notifier nothing but that connection: a write to
// a socket whose peer is gone returns EPIPE, it must not raise SIGPIPE and kill
// the daemon (which is what made the browser test see "connection refused").
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>

#include "bench/kit/sse_fleet.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"

#ifdef UWITTER_NOTIFIER_BIN

namespace uw::test {
namespace {

using namespace std::chrono_literals;

// The "SigIgn:" mask of /proc/<pid>/status.
uint64_t ignored_signals(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("SigIgn:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

// Opens /events, waits for the head, then closes: with `reset` by RST
// (SO_LINGER 0), else with an ordinary FIN.
void open_and_drop(uint16_t port, const std::string& target, bool reset) {
  int fd = kit::connect_sse(port, target);
  ASSERT_GE(fd, 0) << "cannot open the SSE connection";
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  if (reset) {
    linger l{1, 0};
    ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
  }
  ::close(fd);
}

TEST(Notifier, IgnoresSigpipe) {
  NotifierHarness h;
  EXPECT_NE(ignored_signals(h.proc->pid()) & (uint64_t{1} << (SIGPIPE - 1)), 0u)
      << "a write to a vanished subscriber would kill the notifier";
}

TEST(Notifier, SurvivesSubscribersThatVanishWhileBeingWrittenTo) {
  // 10 ms heartbeats and a stream of notifications keep writing to streams
  // whose peers have already gone.
  NotifierHarness h({"--heartbeat-ms", "10"});
  auto keeper = h.stream(h.users.bob);
  const std::string target = "/events?ticket=" + h.ticket_for(h.users.bob);
  int64_t uweet = 1;
  for (int round = 0; round < 40; ++round) {
    open_and_drop(h.http_port, target, round % 2 == 0);
    h.send({h.post(uweet++, "churn")});
  }
  // Every notification still reaches the stream that stayed, and the daemon answers.
  ASSERT_TRUE(eventually([&] { return keeper->count() >= static_cast<size_t>(uweet - 1); }, 20s))
      << keeper->count() << " of " << uweet - 1 << "\n"
      << h.proc->stderr_text();
  EXPECT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_subscribers") == 1; }));
  EXPECT_EQ(h.http->get("/healthz").status, 200);
  EXPECT_TRUE(h.proc->running());
}

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_NOTIFIER_BIN
