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

TEST(NotifyTarget, AmqpUrlsKeepThePasswordOutOfTheirText) {
  auto t = parse_notify_target("amqp://uw:s3cret@127.0.0.1:5673/prod?queue=notes");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->scheme, NotifyScheme::Amqp);
  EXPECT_EQ(t->addr.host, "127.0.0.1");
  EXPECT_EQ(t->addr.port, 5673);
  EXPECT_EQ(t->amqp.user, "uw");
  EXPECT_EQ(t->amqp.password, "s3cret");
  EXPECT_EQ(t->amqp.vhost, "prod");
  EXPECT_EQ(t->amqp.queue, "notes");
  EXPECT_EQ(t->text(), "amqp://uw@127.0.0.1:5673/prod?queue=notes");
  // A refusal does not repeat the entry (it may hold a password).
  auto bad = parse_notify_target("amqp://uw:s3cret@127.0.0.1:0/");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find("s3cret"), std::string::npos) << bad.error().message;
}

TEST(NotifyTarget, WhatIsRefusedSaysWhy) {
  auto other = parse_notify_target("ftp://127.0.0.1:21");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("unsupported scheme ftp"), std::string::npos) << other.error().message;
  EXPECT_FALSE(parse_notify_target("tcp://127.0.0.1:0").ok());
  EXPECT_FALSE(parse_notify_target("tcp://127.0.0.1:7702/path").ok());
  EXPECT_FALSE(parse_notify_target("http://127.0.0.1:7701/a b").ok());
  EXPECT_FALSE(parse_notify_target("tcp://nohost").ok());
  EXPECT_FALSE(parse_notify_target("").ok());
}

}  // namespace
}  // namespace uw::web
