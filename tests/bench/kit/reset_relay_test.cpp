// Tests for bench/kit/reset_relay.cpp: the TCP relay that breaks connections,
// between real sockets on 127.0.0.1 (TcpPeer as the client, a listening
// socket of the test's own as the upstream).
#include "bench/kit/reset_relay.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "bench/kit/eventually.hpp"
#include "bench/kit/tcp_peer.hpp"

namespace uw::kit {
namespace {

using namespace std::chrono_literals;

// A listening socket on 127.0.0.1:0; accept() waits (bounded) for one client.
class Upstream {
 public:
  Upstream() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Upstream() {
    if (conn_ >= 0) ::close(conn_);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  bool accept() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return false;
    if (conn_ >= 0) ::close(conn_);
    conn_ = ::accept(fd_, nullptr, nullptr);
    return conn_ >= 0;
  }
  // Reads until `n` bytes arrived or the connection ended (bounded).
  std::string read(size_t n) {
    std::string got;
    char buf[256];
    while (got.size() < n) {
      pollfd p{conn_, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) break;
      ssize_t k = ::recv(conn_, buf, sizeof buf, 0);
      if (k <= 0) break;
      got.append(buf, static_cast<size_t>(k));
    }
    return got;
  }
  // True when the connection ended (EOF or reset) within 5 s.
  bool ended() {
    pollfd p{conn_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return false;
    char b;
    return ::recv(conn_, &b, 1, 0) <= 0;
  }
  bool send_ack(uint64_t count) {
    unsigned char be[8];
    for (int i = 0; i < 8; ++i) be[i] = static_cast<unsigned char>(count >> (56 - 8 * i));
    return ::send(conn_, be, sizeof be, MSG_NOSIGNAL) == 8;
  }

 private:
  int fd_ = -1, conn_ = -1;
  uint16_t port_ = 0;
};

TEST(ResetRelay, WithoutResetsItCopiesBothWays) {
  Upstream up;
  ResetRelay relay;
  ASSERT_TRUE(relay.start({up.port(), 0.0, 1}));
  TcpPeer peer(relay.port());
  ASSERT_TRUE(peer.ok());
  ASSERT_TRUE(peer.write(std::string("hello")));
  ASSERT_TRUE(up.accept());
  EXPECT_EQ(up.read(5), "hello");
  ASSERT_TRUE(up.send_ack(5));
  EXPECT_EQ(peer.wait_ack(5, 5s), std::optional<uint64_t>(5));
  EXPECT_EQ(relay.accepted(), 1u);
  EXPECT_EQ(relay.chunks(), 1u);
  EXPECT_EQ(relay.resets(), 0u);
}

TEST(ResetRelay, AResetBreaksBothConnections) {
  Upstream up;
  ResetRelay relay;
  ASSERT_TRUE(relay.start({up.port(), 1.0, 1}));
  {
    TcpPeer peer(relay.port());
    ASSERT_TRUE(peer.ok());
    ASSERT_TRUE(up.accept());
    ASSERT_TRUE(peer.write(std::string("lost")));
    EXPECT_TRUE(peer.wait_closed(5s));
    EXPECT_TRUE(up.ended());  // the upstream never sees the chunk
  }
  EXPECT_EQ(relay.resets(), 1u);
  EXPECT_EQ(relay.chunks(), 0u);
}

TEST(ResetRelay, AClientIsClosedWhenTheUpstreamRefuses) {
  uint16_t dead = 0;
  {
    Upstream gone;  // a port that was free a moment ago, closed again
    dead = gone.port();
  }
  ResetRelay relay;
  ASSERT_TRUE(relay.start({dead, 0.0, 1}));
  TcpPeer peer(relay.port());
  ASSERT_TRUE(peer.ok());
  EXPECT_TRUE(peer.wait_closed(5s));
  EXPECT_TRUE(eventually([&] { return relay.upstream_refused() == 1; }, 5s));
}

TEST(ResetRelay, ResetsAboutTheAskedShareOfChunks) {
  Upstream up;
  ResetRelay relay;
  ASSERT_TRUE(relay.start({up.port(), 0.5, 7}));
  // One chunk per connection, each a fresh connection: about half are reset.
  int reset = 0, passed = 0;
  for (int i = 0; i < 40; ++i) {
    TcpPeer peer(relay.port());
    ASSERT_TRUE(peer.ok());
    ASSERT_TRUE(up.accept());
    ASSERT_TRUE(peer.write(std::string("x")));
    if (up.read(1) == "x")
      ++passed;
    else
      ++reset;
  }
  EXPECT_EQ(static_cast<uint64_t>(reset), relay.resets());
  EXPECT_EQ(static_cast<uint64_t>(passed), relay.chunks());
  EXPECT_GT(reset, 5);  // p = 0.5 over 40: fewer than 6 of either has odds under 1e-6
  EXPECT_GT(passed, 5);
}

TEST(ResetRelay, ResetAllBreaksWhatIsOpenAndKeepsAccepting) {
  Upstream up;
  ResetRelay relay;
  ASSERT_TRUE(relay.start({up.port(), 0.0, 1}));
  TcpPeer first(relay.port());
  ASSERT_TRUE(up.accept());
  ASSERT_TRUE(first.write(std::string("a")));
  EXPECT_EQ(up.read(1), "a");
  relay.reset_all();
  EXPECT_TRUE(first.wait_closed(5s));
  EXPECT_TRUE(up.ended());
  EXPECT_EQ(relay.resets(), 1u);
  TcpPeer second(relay.port());
  ASSERT_TRUE(up.accept());
  ASSERT_TRUE(second.write(std::string("b")));
  EXPECT_EQ(up.read(1), "b");
}

TEST(ResetRelay, StopClosesEverythingAndIsIdempotent) {
  Upstream up;
  ResetRelay relay;
  ASSERT_TRUE(relay.start({up.port(), 0.0, 1}));
  TcpPeer peer(relay.port());
  ASSERT_TRUE(up.accept());
  relay.stop();
  EXPECT_TRUE(peer.wait_closed(5s));
  EXPECT_TRUE(up.ended());
  relay.stop();
}

}  // namespace
}  // namespace uw::kit
