// core/amqp/url.cpp: amqp:// URLs, good and bad, and a text without the password.
#include "core/amqp/url.hpp"

#include <gtest/gtest.h>

namespace uw::amqp {
namespace {

TEST(AmqpUrl, ParsesEveryPart) {
  struct Case {
    const char* in;
    const char *user, *password, *host;
    uint16_t port;
    const char *vhost, *queue;
  };
  const Case cases[] = {
      {"amqp://uw:pw@127.0.0.1:5673/prod", "uw", "pw", "127.0.0.1", 5673, "prod", kDefaultQueue},
      {"amqp://uw:pw@127.0.0.1:5672/", "uw", "pw", "127.0.0.1", 5672, "/", kDefaultQueue},
      {"amqp://uw:pw@127.0.0.1", "uw", "pw", "127.0.0.1", 5672, "/", kDefaultQueue},
      {"amqp://uw:p%40ss%3Aw@broker.local:5672/%2F?queue=q1", "uw", "p@ss:w", "broker.local", 5672, "/",
       "q1"},
      {"amqp://uw:pw@[::1]:5674/v%2Fx", "uw", "pw", "::1", 5674, "v/x", kDefaultQueue},
      {"amqp://127.0.0.1:5672", "guest", "guest", "127.0.0.1", 5672, "/", kDefaultQueue},
  };
  for (const auto& c : cases) {
    auto u = parse_url(c.in);
    ASSERT_TRUE(u.ok()) << c.in << ": " << u.error().message;
    EXPECT_EQ(u->user, c.user) << c.in;
    EXPECT_EQ(u->password, c.password) << c.in;
    EXPECT_EQ(u->host, c.host) << c.in;
    EXPECT_EQ(u->port, c.port) << c.in;
    EXPECT_EQ(u->vhost, c.vhost) << c.in;
    EXPECT_EQ(u->queue, c.queue) << c.in;
  }
}

TEST(AmqpUrl, TextLeavesThePasswordOut) {
  auto u = parse_url("amqp://uw:s3cret@127.0.0.1:5673/%2F?queue=notes");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->text(), "amqp://uw@127.0.0.1:5673/%2F?queue=notes");
  auto v6 = parse_url("amqp://uw:s3cret@[::1]:5673/prod");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->text(), "amqp://uw@[::1]:5673/prod");
}

TEST(AmqpUrl, RefusesBadUrlsWithoutRepeatingThem) {
  for (const char* bad : {"http://uw:s3cret@127.0.0.1:5672/", "amqp://uw:s3cret@127.0.0.1:0/",
                          "amqp://uw:s3cret@127.0.0.1:99999/", "amqp://uw:s3cret@/",
                          "amqp://:s3cret@127.0.0.1/", "amqp://uw:s3cret%zz@127.0.0.1/",
                          "amqp://uw:s3cret@127.0.0.1/?queue=", "amqp://uw:s3cret@127.0.0.1/?prefetch=5",
                          "amqp://uw:s3cret@127.0.0.1/v%"}) {
    auto u = parse_url(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().code, "bad_amqp_url");
    EXPECT_EQ(u.error().message.find("s3cret"), std::string::npos) << u.error().message;
  }
}

}  // namespace
}  // namespace uw::amqp
