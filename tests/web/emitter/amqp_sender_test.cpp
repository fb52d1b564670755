// web/emitter/amqp_sender.cpp against a real broker (tests/amqp_environment.hpp):
// envelopes published as persistent messages and confirmed; with the broker
// away, send() never blocks, envelopes wait (bounded: the oldest dropped and
// counted) and are published once it is back; the password stays out of
// /metrics.
#include "web/emitter/amqp_sender.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "bench/kit/reset_relay.hpp"
#include "core/amqp/session.hpp"
#include "core/metrics.hpp"
#include "tests/amqp_environment.hpp"
#include "tests/test_loop.hpp"

namespace uw::web {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const sign::Datagram> envelope(const std::string& text) {
  auto d = std::make_shared<sign::Datagram>();
  d->assign(text.begin(), text.end());
  return d;
}

struct Fixture {
  test::TestLoop loop;
  metrics::Registry metrics;
  std::unique_ptr<AmqpSender> sender;
  amqp::Url url;
  void make(const std::string& url_text, size_t max_pending = 4096, size_t max_in_flight = 4) {
    auto u = amqp::parse_url(url_text);
    ASSERT_TRUE(u.ok());
    url = *u;
    AmqpSender::Options o;
    o.url = url;
    o.max_pending = max_pending;
    o.max_in_flight = max_in_flight;
    o.backoff_max_ms = 200;
    sender = std::make_unique<AmqpSender>(&loop.loop, o, &metrics);
    ASSERT_TRUE(sender->start().ok());
  }
  void close() {
    bool done = false;
    sender->close([&] { done = true; });
    EXPECT_TRUE(loop.run_until([&] { return done; }, 20s));
  }
};

TEST(AmqpSender, PublishesPersistentMessagesAndCountsThemConfirmed) {
  auto* broker = test::shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  Fixture f;
  f.make(broker->url(test::fresh_amqp_queue()));
  for (int i = 0; i < 10; ++i) f.sender->send(envelope("e" + std::to_string(i)));
  ASSERT_TRUE(f.loop.run_until([&] { return f.sender->stats().confirmed == 10; }, 30s))
      << f.sender->stats().confirmed;
  EXPECT_EQ(f.sender->stats().sent, 10u);
  EXPECT_EQ(f.sender->stats().pending, 0u);
  EXPECT_TRUE(f.sender->stats().connected);
  const std::string text = f.metrics.render();
  EXPECT_NE(text.find("uwitter_emitter_transport_confirmed_total{target=\"" + f.url.text() +
                      "\",transport=\"amqp\"} 10"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(broker->password()), std::string::npos);
  f.close();
  // In the queue, in order, persistent, byte for byte.
  amqp::Session sub;
  ASSERT_TRUE(sub.open(f.url, 5000).ok());
  ASSERT_TRUE(sub.consume().ok());
  for (int i = 0; i < 10; ++i) {
    amqp_envelope_t env{};
    timeval tv{5, 0};
    ASSERT_EQ(amqp_consume_message(sub.raw(), &env, &tv, 0).reply_type, AMQP_RESPONSE_NORMAL);
    EXPECT_EQ(std::string(static_cast<const char*>(env.message.body.bytes), env.message.body.len),
              "e" + std::to_string(i));
    EXPECT_EQ(env.message.properties.delivery_mode, 2);
    ASSERT_TRUE(sub.ack(env.delivery_tag).ok());
    amqp_destroy_envelope(&env);
  }
  sub.close();
}

TEST(AmqpSender, QueuesBoundedWhileTheBrokerIsAwayAndPublishesWhenItIsBack) {
  auto* broker = test::shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  Fixture f;
  f.make(broker->url(test::fresh_amqp_queue()), /*max_pending=*/8);
  f.sender->send(envelope("first"));
  ASSERT_TRUE(f.loop.run_until([&] { return f.sender->stats().confirmed == 1; }, 30s));
  ASSERT_TRUE(broker->stop());
  // send() only queues: 20 of them take no time, whatever the broker does.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) f.sender->send(envelope("away" + std::to_string(i)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
  ASSERT_TRUE(f.loop.run_until([&] { return !f.sender->stats().connected; }, 20s));
  EXPECT_TRUE(f.loop.run_until([&] { return f.sender->stats().reconnects >= 2; }, 20s));
  EXPECT_EQ(f.sender->stats().pending, 8u);   // the bound
  EXPECT_EQ(f.sender->stats().dropped, 12u);  // the oldest went
  ASSERT_TRUE(broker->start()) << broker->error();
  ASSERT_TRUE(f.loop.run_until([&] { return f.sender->stats().pending == 0; }, 60s))
      << f.sender->stats().pending;
  EXPECT_GE(f.sender->stats().confirmed, 9u);
  f.close();
  // The newest 8 made it (and "first", confirmed before the stop).
  amqp::Session sub;
  ASSERT_TRUE(sub.open(f.url, 5000).ok());
  auto ready = sub.ready_count();
  ASSERT_TRUE(ready.ok());
  EXPECT_GE(*ready, 9u);  // a resend of an unconfirmed one may add a copy, never fewer
  sub.close();
}

// Connections reset at random while publishing (kit::ResetRelay between the
// sender and the broker: a fifth of the sender's writes break the connection,
// the handshake's included). A publish that meets a dead socket once deadlocked
// the sender's thread on its own mutex, and with it the web app's loop at its
// next send(). Every envelope still gets to the queue, and send() stays instant.
TEST(AmqpSender, ConnectionsResetWhilePublishingLoseNothingAndNeverBlockSend) {
  auto* broker = test::shared_rabbitmq();
  ASSERT_NE(broker, nullptr);
  kit::ResetRelay relay;
  ASSERT_TRUE(relay.start({broker->port(), 0.2, 3}).ok());
  const std::string queue = test::fresh_amqp_queue();
  std::string url = broker->url(queue);
  const std::string direct = ":" + std::to_string(broker->port()) + "/";
  url.replace(url.find(direct), direct.size(), ":" + std::to_string(relay.port()) + "/");
  Fixture f;
  f.make(url, 4096, 64);
  constexpr int kEnvelopes = 300;
  for (int i = 0; i < kEnvelopes; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f.sender->send(envelope("r" + std::to_string(i)));
    ASSERT_LT(std::chrono::steady_clock::now() - t0, 1s) << "send() blocked at " << i;
    // A few loop turns between sends, so publishing overlaps the resets.
    if (i % 10 == 9) f.loop.run_until([&] { return false; }, 20ms);
  }
  ASSERT_TRUE(f.loop.run_until([&] { return f.sender->stats().pending == 0; }, 120s))
      << "pending " << f.sender->stats().pending << ", resets " << relay.resets();
  EXPECT_GE(relay.resets(), 3u);
  EXPECT_GE(f.sender->stats().reconnects, 3u);
  EXPECT_EQ(f.sender->stats().dropped, 0u);
  f.close();
  amqp::Session sub;
  auto u = amqp::parse_url(broker->url(queue));
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE(sub.open(*u, 5000).ok());
  auto ready = sub.ready_count();
  ASSERT_TRUE(ready.ok());
  EXPECT_GE(*ready, static_cast<uint64_t>(kEnvelopes));  // resends may add copies, never fewer
  sub.close();
}

TEST(AmqpSender, ClosesWithinItsGraceWhenTheBrokerNeverAnswers) {
  Fixture f;
  f.make("amqp://u:p@127.0.0.1:1/");  // nothing listens on port 1
  for (int i = 0; i < 3; ++i) f.sender->send(envelope("never"));
  EXPECT_TRUE(f.loop.run_until([&] { return f.sender->stats().reconnects >= 1; }, 10s));
  const auto t0 = std::chrono::steady_clock::now();
  f.close();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(f.sender->stats().dropped, 3u);  // pending at close
}

}  // namespace
}  // namespace uw::web
