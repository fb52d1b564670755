// web/emitter/notify_target.cpp: --notify entries by URL scheme.
#include "web/emitter/notify_target.hpp"

#include <gtest/gtest.h>

namespace uw::web {
namespace {

TEST(NotifyTarget, BareHostPortAndUdpUrlsAreDatagrams) {
  for (const char* e : {"127.0.0.1:7700", "udp://127.0.0.1:7700"}) {
    auto t = parse_notify_target(e);
    ASSERT_TRUE(t.ok()) << e;
    EXPECT_EQ(t->scheme, NotifyScheme::Udp);
    EXPECT_EQ(t->addr.host, "127.0.0.1");
    EXPECT_EQ(t->addr.port, 7700);
  }
  // Port 0 keeps meaning what it did for UDP (sends that fail and count).
  EXPECT_TRUE(parse_notify_target("127.0.0.1:0").ok());
}

TEST(NotifyTarget, TcpAndHttpUrls) {
  auto tcp = parse_notify_target("tcp://127.0.0.1:7702");
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->scheme, NotifyScheme::Tcp);
  EXPECT_EQ(tcp->text(), "tcp://127.0.0.1:7702");
  auto http = parse_notify_target("http://127.0.0.1:7701");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->scheme, NotifyScheme::Http);
  EXPECT_EQ(http->path, "/ingest");
  EXPECT_EQ(http->text(), "http://127.0.0.1:7701/ingest");
  auto other = parse_notify_target("http://[::1]:8000/hooks/in");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->addr.host, "::1");
  EXPECT_EQ(other->path, "/hooks/in");
  EXPECT_EQ(other->text(), "http://[::1]:8000/hooks/in");
}

TEST(NotifyTarget, WhatIsRefusedSaysWhy) {
  auto amqp = parse_notify_target("amqp://guest:guest@127.0.0.1:5672/");
  ASSERT_FALSE(amqp.ok());
  EXPECT_NE(amqp.error().message.find("unsupported scheme amqp"), std::string::npos) << amqp.error().message;
  EXPECT_FALSE(parse_notify_target("tcp://127.0.0.1:0").ok());
  EXPECT_FALSE(parse_notify_target("tcp://127.0.0.1:7702/path").ok());
  EXPECT_FALSE(parse_notify_target("http://127.0.0.1:7701/a b").ok());
  EXPECT_FALSE(parse_notify_target("tcp://nohost").ok());
  EXPECT_FALSE(parse_notify_target("").ok());
}

}  // namespace
}  // namespace uw::web
