// web/emitter/stream_sender.cpp on its own, on a libuv loop in the test: the
// bounded queue while the notifier is away (the oldest waiting envelope goes,
// counted), reconnect attempts, acknowledgements from a real TCP peer, and
// when_settled() (the synchronous mode's wait) firing on confirmation and at
// close. The notifier end to end: tests/notifier-udp/transports_e2e_test.cpp.
#include "web/emitter/stream_sender.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "core/metrics.hpp"

namespace uw::web {
namespace {

// A TCP port nothing listens on (bound by us, then closed: the kernel's pick).
uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Runs the loop until pred holds or 10 s pass. The sender's handles do not
// keep a loop alive (the web app's server does): a ticking timer stands in.
bool run_until(uv_loop_t* loop, const std::function<bool()>& pred) {
  uv_timer_t keep{};
  uv_timer_init(loop, &keep);
  uv_timer_start(
      &keep, [](uv_timer_t*) {}, 1, 1);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool ok = true;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) {
      ok = false;
      break;
    }
    uv_run(loop, UV_RUN_ONCE);  // at most the keep-alive timer's 1 ms
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);  // the close callback
  return ok;
}

std::shared_ptr<const sign::Datagram> envelope(uint8_t tag) {
  return std::make_shared<const sign::Datagram>(sign::Datagram(100, tag));
}

StreamSender::Options tcp_to(uint16_t port, size_t max_pending) {
  StreamSender::Options o;
  o.target = parse_notify_target("tcp://127.0.0.1:" + std::to_string(port)).value();
  o.max_pending = max_pending;
  o.max_in_flight = max_pending;
  o.backoff_min_ms = 10;
  o.backoff_max_ms = 20;
  return o;
}

TEST(StreamSender, WhileTheNotifierIsAwayTheQueueIsBoundedAndTheOldestGo) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  metrics::Registry m;
  StreamSender s(&loop, tcp_to(unused_port(), 4), &m);
  ASSERT_TRUE(s.start().ok());
  bool settled = false;
  for (uint8_t i = 0; i < 10; ++i) s.send(envelope(i));
  s.when_settled([&] { settled = true; });
  EXPECT_EQ(s.pending(), 4u);
  EXPECT_EQ(s.stats().dropped, 6u);
  EXPECT_TRUE(run_until(&loop, [&] { return s.stats().reconnects >= 3; }));  // refused, retried, refused...
  EXPECT_FALSE(s.connected());
  EXPECT_FALSE(settled);
  bool closed = false;
  s.close([&] { closed = true; });
  EXPECT_TRUE(run_until(&loop, [&] { return closed; }));
  EXPECT_TRUE(settled);  // nothing more can be settled: the wait ends at close
  EXPECT_EQ(s.stats().dropped, 10u);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(StreamSender, AcknowledgedEnvelopesAreConfirmedAndSettled) {
  // A notifier stand-in: reads frames, acknowledges every complete one.
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  socklen_t len = sizeof a;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  uv_loop_t loop;
  uv_loop_init(&loop);
  StreamSender s(&loop, tcp_to(ntohs(a.sin_port), 64), nullptr);
  ASSERT_TRUE(s.start().ok());
  for (uint8_t i = 0; i < 3; ++i) s.send(envelope(i));
  bool settled = false;
  s.when_settled([&] { settled = true; });
  ASSERT_TRUE(run_until(&loop, [&] { return s.connected(); }));
  int cfd = ::accept(lfd, nullptr, nullptr);
  ASSERT_GE(cfd, 0);
  std::string in;
  ASSERT_TRUE(run_until(&loop, [&] {
    char buf[4096];
    ssize_t n = ::recv(cfd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) in.append(buf, static_cast<size_t>(n));
    return in.size() >= 3 * 104;
  }));
  EXPECT_EQ(in.size(), 3u * 104);  // three frames: 4-byte length + 100 bytes
  EXPECT_EQ(in.substr(0, 4), std::string("\0\0\0\x64", 4));
  EXPECT_FALSE(settled);
  uint8_t ack[8] = {0, 0, 0, 0, 0, 0, 0, 3};
  ASSERT_EQ(::send(cfd, ack, 8, 0), 8);
  ASSERT_TRUE(run_until(&loop, [&] { return settled; }));
  EXPECT_EQ(s.stats().confirmed, 3u);
  EXPECT_EQ(s.pending(), 0u);
  // An ack for frames never sent is a broken peer: the connection is dropped.
  uint8_t bogus[8] = {0, 0, 0, 0, 0, 0, 0, 9};
  ASSERT_EQ(::send(cfd, bogus, 8, 0), 8);
  EXPECT_TRUE(run_until(&loop, [&] { return s.stats().reconnects == 1; }));
  bool closed = false;
  s.close([&] { closed = true; });
  EXPECT_TRUE(run_until(&loop, [&] { return closed; }));
  ::close(cfd);
  ::close(lfd);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace uw::web
