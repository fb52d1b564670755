// bench/kit/tcp_peer.cpp against a real listening socket on 127.0.0.1 that this
// test accepts on: frames, acknowledgement counts split across reads, the
// source address, a close seen, a refused connection.
#include "bench/kit/tcp_peer.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace uw::kit {
namespace {

using namespace std::chrono_literals;

// A listening socket on a free port of 127.0.0.1 and the connection it accepted.
struct Listener {
  int fd = -1, conn = -1;
  uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 4), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
  }
  ~Listener() {
    if (conn >= 0) ::close(conn);
    ::close(fd);
  }
  // The connection's peer address.
  std::string accept() {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    conn = ::accept(fd, reinterpret_cast<sockaddr*>(&a), &len);
    EXPECT_GE(conn, 0);
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    return ip;
  }
  std::string read_exactly(size_t n) {
    std::string out;
    while (out.size() < n) {
      char buf[256];
      ssize_t k = ::recv(conn, buf, std::min(sizeof buf, n - out.size()), 0);
      if (k <= 0) break;
      out.append(buf, static_cast<size_t>(k));
    }
    return out;
  }
  void send_bytes(const std::string& b) {
    ASSERT_EQ(::send(conn, b.data(), b.size(), 0), static_cast<ssize_t>(b.size()));
  }
};

std::string be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return s;
}

TEST(TcpPeer, AFrameIsABigEndianLengthThenTheEnvelope) {
  EXPECT_EQ(TcpPeer::frame({1, 2, 3}), std::string("\0\0\0\x03\x01\x02\x03", 7));
  const std::string big = TcpPeer::frame(std::vector<uint8_t>(300, 7));
  ASSERT_EQ(big.size(), 304u);
  EXPECT_EQ(big.substr(0, 4), std::string("\0\0\x01\x2c", 4));
  EXPECT_EQ(TcpPeer::frame({}), std::string(4, '\0'));
}

TEST(TcpPeer, SendsFramesAndReadsAcknowledgementCountsSplitAcrossReads) {
  Listener l;
  TcpPeer peer(l.port);
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(l.accept(), "127.0.0.1");
  ASSERT_TRUE(peer.send_frame({'h', 'i'}));
  ASSERT_TRUE(peer.write(std::string("raw")));
  EXPECT_EQ(l.read_exactly(9), std::string("\0\0\0\x02hiraw", 9));
  // Counts 1 then 5, cut in the middle of the second one.
  const std::string acks = be64(1) + be64(5);
  l.send_bytes(acks.substr(0, 11));
  EXPECT_FALSE(peer.wait_ack(5, 100ms)) << "only 1 and half of 5 have arrived";
  l.send_bytes(acks.substr(11));
  EXPECT_EQ(peer.wait_ack(5, 5s), 5u);
  EXPECT_FALSE(peer.wait_ack(6, 100ms)) << "nothing more was sent";
  EXPECT_FALSE(peer.wait_closed(50ms));
}

TEST(TcpPeer, SeesThePeerCloseAndStopsWriting) {
  Listener l;
  TcpPeer peer(l.port, "127.0.0.2");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(l.accept(), "127.0.0.2") << "bound to the source address asked for";
  ::close(l.conn);
  l.conn = -1;
  EXPECT_TRUE(peer.wait_closed(5s));
  EXPECT_FALSE(peer.wait_ack(1, 100ms));
  peer.close();
  EXPECT_FALSE(peer.ok());
  EXPECT_FALSE(peer.write(std::string("late")));
}

TEST(TcpPeer, AConnectionRefusedIsNotOk) {
  uint16_t port;
  {
    Listener l;  // a port that was free a moment ago and has no listener now
    port = l.port;
  }
  TcpPeer peer(port);
  EXPECT_FALSE(peer.ok());
  EXPECT_FALSE(peer.send_frame({1}));
}

}  // namespace
}  // namespace uw::kit
