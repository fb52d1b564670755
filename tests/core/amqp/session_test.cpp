// core/amqp/session.cpp against a real broker (tests/amqp_environment.hpp):
// a durable queue declared, persistent messages published with confirms,
// consumed with manual acks; a refused login says why without the password.
#include "core/amqp/session.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/amqp_environment.hpp"

namespace uw::amqp {
namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(AmqpSession, PublishesWithConfirmsAndConsumesWithManualAcks) {
  auto* broker = test::shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  auto url = parse_url(broker->url(test::fresh_amqp_queue()));
  ASSERT_TRUE(url.ok());
  Session pub;
  ASSERT_TRUE(pub.open(*url, 5000).ok());
  ASSERT_TRUE(pub.confirm_select().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pub.publish(as_bytes("m" + std::to_string(i))).ok());
  // Three basic.ack (or fewer with multiple=1) confirm tags 1..3.
  uint64_t confirmed = 0;
  for (int round = 0; round < 100 && confirmed < 3; ++round) {
    auto w = pub.wait(-1, 100);
    ASSERT_TRUE(w.ok());
    for (;;) {
      auto f = pub.read_frame();
      ASSERT_TRUE(f.ok()) << f.error().message;
      if (!f->has_value()) break;
      if ((*f)->frame_type == AMQP_FRAME_METHOD && (*f)->payload.method.id == AMQP_BASIC_ACK_METHOD) {
        const auto* a = static_cast<const amqp_basic_ack_t*>((*f)->payload.method.decoded);
        confirmed = a->delivery_tag;
      }
    }
  }
  EXPECT_EQ(confirmed, 3u);
  auto ready = pub.ready_count();
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(*ready, 3u);
  pub.close();

  Session sub;
  ASSERT_TRUE(sub.open(*url, 5000).ok());
  ASSERT_TRUE(sub.qos(10).ok());
  ASSERT_TRUE(sub.consume().ok());
  for (int i = 0; i < 3; ++i) {
    amqp_envelope_t env{};
    timeval tv{5, 0};
    amqp_rpc_reply_t r = amqp_consume_message(sub.raw(), &env, &tv, 0);
    ASSERT_EQ(r.reply_type, AMQP_RESPONSE_NORMAL) << Session::describe(r, "consume");
    EXPECT_EQ(std::string(static_cast<const char*>(env.message.body.bytes), env.message.body.len),
              "m" + std::to_string(i));
    EXPECT_EQ(env.message.properties.delivery_mode, 2);  // persistent
    ASSERT_TRUE(sub.ack(env.delivery_tag).ok());
    amqp_destroy_envelope(&env);
  }
  sub.close();
}

TEST(AmqpSession, ARefusedLoginSaysWhyWithoutThePassword) {
  auto* broker = test::shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  auto url = parse_url(broker->url());
  ASSERT_TRUE(url.ok());
  url->password = "wrong-password-xyz";
  Session s;
  auto r = s.open(*url, 5000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "amqp");
  EXPECT_NE(r.error().message.find("login"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("wrong-password-xyz"), std::string::npos);
  EXPECT_FALSE(s.is_open());
  // Nothing listens: a connect error, within the timeout.
  Url nowhere = *url;
  nowhere.port = 1;
  auto c = s.open(nowhere, 2000);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("connect"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace uw::amqp
