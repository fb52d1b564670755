// notifier-udp/amqp_consumer.cpp against a real broker (tests/amqp_environment.hpp):
// deliveries reach the offer callback on the loop and are acked after it;
// the prefetch bounds what is delivered and unacked; a connection lost
// before the ack (drop_connection(), as a broker restart would) brings the
// message back flagged redelivered, and it is acked then.
#include "notifier-udp/amqp_consumer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "bench/kit/temp_dir.hpp"
#include "core/amqp/session.hpp"
#include "notifier-udp/event_log.hpp"
#include "tests/amqp_environment.hpp"
#include "tests/test_loop.hpp"

namespace uw::notifier {
namespace {

using namespace std::chrono_literals;

struct Got {
  std::string body;
  bool redelivered;
};

struct Fixture {
  test::TestLoop loop;
  kit::TempDir dir;
  EventLog log;
  amqp::Url url;
  std::vector<Got> got;
  std::function<void(const Got&)> on_got;  // runs inside the offer callback
  std::unique_ptr<AmqpConsumer> consumer;
  void make(const std::string& url_text, uint16_t prefetch = 16) {
    ASSERT_TRUE(log.open(dir.file("notifier.log"), LogFormat::Human, LogLevel::Info).ok());
    auto u = amqp::parse_url(url_text);
    ASSERT_TRUE(u.ok());
    url = *u;
    AmqpConsumer::Options o;
    o.url = url;
    o.prefetch = prefetch;
    consumer =
        std::make_unique<AmqpConsumer>(&loop.loop, o, log, [this](std::span<const uint8_t> b, bool again) {
          got.push_back(Got{std::string(b.begin(), b.end()), again});
          if (on_got) on_got(got.back());
        });
    ASSERT_TRUE(consumer->start().ok());
    ASSERT_TRUE(loop.run_until([&] { return consumer->stats().connected; }, 30s));
  }
  void publish(const std::vector<std::string>& bodies) {
    amqp::Session pub;
    ASSERT_TRUE(pub.open(url, 5000).ok());
    for (const auto& b : bodies)
      ASSERT_TRUE(
          pub.publish(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(b.data()), b.size())).ok());
    pub.close();
  }
  uint64_t ready() {
    amqp::Session s;
    EXPECT_TRUE(s.open(url, 5000).ok());
    auto n = s.ready_count();
    return n ? *n : 9999;
  }
  void close() {
    bool done = false;
    consumer->close([&] { done = true; });
    EXPECT_TRUE(loop.run_until([&] { return done; }, 20s));
  }
};

TEST(AmqpConsumer, OffersEachDeliveryOnTheLoopAndAcksItAfter) {
  auto* broker = test::shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  Fixture f;
  f.make(broker->url(test::fresh_amqp_queue()), /*prefetch=*/4);
  const auto loop_thread = std::this_thread::get_id();
  bool on_loop = true;
  size_t max_unacked = 0;
  f.on_got = [&](const Got&) {
    on_loop = on_loop && std::this_thread::get_id() == loop_thread;
    max_unacked = std::max<size_t>(max_unacked, f.consumer->stats().unacked);
  };
  std::vector<std::string> bodies;
  for (int i = 0; i < 50; ++i) bodies.push_back("m" + std::to_string(i));
  f.publish(bodies);
  ASSERT_TRUE(f.loop.run_until([&] { return f.got.size() >= 50 && f.consumer->stats().acked >= 50; }, 30s))
      << f.got.size();
  EXPECT_TRUE(on_loop);
  EXPECT_LE(max_unacked, 4u);  // the prefetch
  for (int i = 0; i < 50; ++i) EXPECT_EQ(f.got[static_cast<size_t>(i)].body, "m" + std::to_string(i));
  EXPECT_EQ(f.consumer->stats().unacked, 0u);
  f.close();
  EXPECT_EQ(f.ready(), 0u);  // all acked: nothing comes back to the queue
}

TEST(AmqpConsumer, AConnectionLostBeforeTheAckBringsTheMessageBackRedelivered) {
  auto* broker = test::shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  Fixture f;
  f.make(broker->url(test::fresh_amqp_queue()));
  // The first delivery's connection goes before its ack is sent.
  f.on_got = [&](const Got& g) {
    if (f.got.size() == 1 && !g.redelivered) f.consumer->drop_connection();
  };
  f.publish({"once"});
  ASSERT_TRUE(f.loop.run_until([&] { return f.got.size() >= 2 && f.consumer->stats().acked >= 1; }, 30s))
      << f.got.size();
  EXPECT_EQ(f.got[0].body, "once");
  EXPECT_FALSE(f.got[0].redelivered);
  EXPECT_EQ(f.got[1].body, "once");
  EXPECT_TRUE(f.got[1].redelivered);
  EXPECT_GE(f.consumer->stats().reconnects, 1u);
  EXPECT_EQ(f.consumer->stats().redelivered, 1u);
  f.close();
  EXPECT_EQ(f.got.size(), 2u);
  EXPECT_EQ(f.ready(), 0u);
}

}  // namespace
}  // namespace uw::notifier
