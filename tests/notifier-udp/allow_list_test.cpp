#include "notifier-udp/allow_list.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

namespace uw::notifier {
namespace {

sockaddr_storage addr(const char* ip) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    return ss;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  in6->sin6_family = AF_INET6;
  EXPECT_EQ(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1) << ip;
  return ss;
}

TEST(AllowList, MatchesPrefixesTable) {
  struct Case {
    const char* list;
    const char* ip;
    bool allowed;
  };
  const Case cases[] = {
      {"127.0.0.1/32", "127.0.0.1", true},
      {"127.0.0.1/32", "127.0.0.2", false},
      {"127.0.0.1", "127.0.0.1", true},
      {"10.0.0.0/8", "10.200.3.4", true},
      {"10.0.0.0/8", "11.0.0.1", false},
      {"192.168.1.0/25", "192.168.1.127", true},
      {"192.168.1.0/25", "192.168.1.128", false},
      {"0.0.0.0/0", "8.8.8.8", true},
      {"10.0.0.0/8,127.0.0.0/8", "127.9.9.9", true},
      {"::1/128", "::1", true},
      {"::1/128", "127.0.0.1", false},
      {"127.0.0.0/8", "::ffff:127.0.0.1", true},
      {"fe80::/10", "fe80::1", true},
      {"fe80::/10", "fec0::1", false},
  };
  for (const auto& c : cases) {
    auto a = AllowList::parse(c.list);
    ASSERT_TRUE(a) << c.list << ": " << a.error().message;
    auto ss = addr(c.ip);
    EXPECT_EQ(a->allows(reinterpret_cast<sockaddr*>(&ss)), c.allowed) << c.list << " vs " << c.ip;
  }
}

TEST(AllowList, RejectsBadSyntaxTable) {
  for (const char* bad : {"127.0.0.1/33", "::1/129", "hello", "10.0.0.0/", "10.0.0.0/x", "1.2.3.4/8/9", ",",
                          "10.0.0.0/8,,127.0.0.1", "300.1.1.1"}) {
    auto a = AllowList::parse(bad);
    ASSERT_FALSE(a) << bad;
    EXPECT_FALSE(a.error().message.empty()) << bad;
  }
}

TEST(AllowList, EmptyListAllowsEverything) {
  AllowList a;
  auto ss = addr("203.0.113.9");
  EXPECT_TRUE(a.allows(reinterpret_cast<sockaddr*>(&ss)));
}

}  // namespace
}  // namespace uw::notifier
