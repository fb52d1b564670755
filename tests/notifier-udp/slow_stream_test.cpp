// A subscriber that stops reading is cut off once its unsent backlog passes
// --sse-backlog, while another subscriber of the same user keeps receiving
// everything: real uwitter-notifier process, real sockets, deadlines only.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "bench/kit/sse_fleet.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"

#ifdef UWITTER_NOTIFIER_BIN

namespace uw::test {
namespace {

using namespace std::chrono_literals;

// A raw SSE connection with a tiny receive buffer that the test never reads
// until it wants to see how the stream ended.
class StalledStream {
 public:
  StalledStream(uint16_t port, const std::string& target) {
    fd_ = kit::connect_sse(port, target, {}, 2048);
    EXPECT_GE(fd_, 0) << "cannot open the SSE connection";
  }
  ~StalledStream() { ::close(fd_); }
  StalledStream(const StalledStream&) = delete;
  StalledStream& operator=(const StalledStream&) = delete;

  // Reads everything left; true if the peer closed the stream in an orderly way
  // (recv() == 0) before the deadline.
  bool drain_until_eof(std::chrono::milliseconds timeout, std::string* got) {
    auto end = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) {
        if (errno == EINTR) continue;
        ADD_FAILURE() << "recv: " << std::strerror(errno);
        return false;
      }
      got->append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
};

TEST(SlowSubscriber, IsCutOffAfterItsBacklogWhileAnotherStreamGetsEverything) {
  NotifierHarness h({"--sse-backlog", "4KiB"});
  auto fast = h.stream(h.users.bob);
  StalledStream slow(h.http_port, "/events?ticket=" + h.ticket_for(h.users.bob));
  ASSERT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_subscribers") == 2; })) << h.metrics();
  ASSERT_EQ(h.metric_value("uwitter_notifier_sse_slow_cutoffs_total"), 0);

  // Posts by alice (bob follows her), a few per datagram, a batch of datagrams
  // at a time; each batch is waited for on the fast stream, so nothing is lost
  // on the way and the stalled stream's backlog only grows.
  const std::string text(100, 'x');
  int64_t next_uweet = 1;
  bool cut = false;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!cut && std::chrono::steady_clock::now() < deadline) {
    for (int d = 0; d < 8; ++d) {
      std::vector<sign::Event> events;
      for (int e = 0; e < 6; ++e) events.push_back(h.post(next_uweet++, text));
      h.send(events);
    }
    size_t want = static_cast<size_t>(next_uweet - 1);
    ASSERT_TRUE(eventually([&] { return fast->count() >= want; }))
        << "the fast stream got " << fast->count() << " of " << want;
    cut = h.metric_value("uwitter_notifier_sse_slow_cutoffs_total") >= 1;
  }
  ASSERT_TRUE(cut) << "no cut-off after " << next_uweet - 1 << " notifications\n" << h.metrics();

  // The stalled stream ends with an orderly close once what the kernel buffered is read.
  std::string drained;
  ASSERT_TRUE(slow.drain_until_eof(20s, &drained)) << drained.size() << " bytes read, no EOF";
  EXPECT_EQ(drained.rfind("HTTP/1.1 200", 0), 0u) << drained.substr(0, 200);
  EXPECT_NE(drained.find("event: uweet"), std::string::npos);

  // Counted once, logged with the user, and only that stream is gone.
  EXPECT_EQ(h.metric_value("uwitter_notifier_sse_slow_cutoffs_total"), 1);
  EXPECT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_subscribers") == 1; }));
  EXPECT_TRUE(eventually([&] {
    auto log = h.log_text();
    return log.find("slow_stream event=cut_off user_id=" + std::to_string(h.users.bob)) != std::string::npos;
  })) << h.log_text().substr(0, 4000);

  // The fast stream kept receiving everything, once, and still does.
  h.send({h.post(next_uweet++, "after the cut")});
  ASSERT_TRUE(fast->wait_event(
      [](const SseEvent& e) { return e.data.find("after the cut") != std::string::npos; }, 10s));
  std::set<int64_t> ids;
  size_t uweets = 0;
  for (const auto& e : fast->events()) {
    if (e.event != "uweet") continue;
    ++uweets;
    ids.insert(nlohmann::json::parse(e.data)["uweet_id"].get<int64_t>());
  }
  EXPECT_EQ(uweets, static_cast<size_t>(next_uweet - 1));
  ASSERT_EQ(ids.size(), static_cast<size_t>(next_uweet - 1));
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(*ids.rbegin(), next_uweet - 1);
}

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_NOTIFIER_BIN
