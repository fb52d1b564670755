// core/cidr.*: parsing address lists and matching peer addresses.
#include "core/cidr.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uw {
namespace {

TEST(CidrList, MatchesInsideAndNotOutsideEachPrefix) {
  auto l = CidrList::parse("127.0.0.0/8,10.1.2.0/23,::1/128,fd00::/8,192.168.1.7");
  ASSERT_TRUE(l.ok()) << l.error().message;
  for (const char* in : {"127.0.0.1", "127.255.1.2", "10.1.2.9", "10.1.3.255", "::1", "fd12::1",
                         "192.168.1.7", "::ffff:127.0.0.1"})
    EXPECT_TRUE(l->contains(in)) << in;
  for (const char* out :
       {"128.0.0.1", "10.1.4.0", "::2", "fe80::1", "192.168.1.8", "", "localhost", "::ffff:8.8.8.8"})
    EXPECT_FALSE(l->contains(out)) << out;
}

TEST(CidrList, ZeroPrefixMatchesEveryAddressOfItsFamily) {
  auto l = CidrList::parse("0.0.0.0/0");
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->contains("8.8.8.8"));
  EXPECT_FALSE(l->contains("2001:db8::1"));
}

TEST(CidrList, RejectsBadItemsNamingThem) {
  for (const std::string bad :
       {"", "1.2.3.4,", "1.2.3.4/33", "::1/129", "1.2.3/8", "x", "1.2.3.4/", "1.2.3.4/a"}) {
    auto l = CidrList::parse(bad);
    ASSERT_FALSE(l.ok()) << bad;
    EXPECT_EQ(l.error().code, "bad_cidr");
    EXPECT_FALSE(l.error().message.empty());
  }
}

}  // namespace
}  // namespace uw
