// kit::UdpSender: datagrams reach a UDP socket on 127.0.0.1, from the chosen
// loopback source address, whole.
#include "bench/kit/udp_sender.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace uw::kit {
namespace {

TEST(UdpSender, SendsWholeDatagramsFromTheChosenSource) {
  int rx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(rx, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(rx, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::getsockname(rx, reinterpret_cast<sockaddr*>(&a), &len), 0);

  UdpSender tx("127.0.0.9");
  ASSERT_TRUE(tx.ok());
  std::vector<uint8_t> bytes(1200);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(tx.send(ntohs(a.sin_port), bytes));

  pollfd p{rx, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  std::vector<uint8_t> got(2048);
  sockaddr_in from{};
  socklen_t flen = sizeof from;
  ssize_t n = ::recvfrom(rx, got.data(), got.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
  ASSERT_EQ(n, static_cast<ssize_t>(bytes.size()));
  got.resize(static_cast<size_t>(n));
  EXPECT_EQ(got, bytes);
  char ip[INET_ADDRSTRLEN];
  EXPECT_STREQ(inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip), "127.0.0.9");
  ::close(rx);
}

TEST(UdpSender, AnAddressThatIsNotLocalIsNotOk) {
  UdpSender tx("192.0.2.1");  // TEST-NET-1: never an address of this machine
  EXPECT_FALSE(tx.ok());
}

}  // namespace
}  // namespace uw::kit
