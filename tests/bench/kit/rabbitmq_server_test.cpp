// bench/kit/rabbitmq_server.cpp: a throwaway broker starts on free ports,
// keeps durable queues and persistent messages across a restart, and leaves
// nothing running (broker and epmd) once it is gone.
#include "bench/kit/rabbitmq_server.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include "core/amqp/session.hpp"

namespace uw::kit {
namespace {

TEST(AmqpRabbitMqServer, RestartsKeepingPersistentMessagesAndLeavesNothingRunning) {
  pid_t broker_pid = -1, epmd_pid = -1;
  {
    RabbitMqServer s;
    ASSERT_TRUE(s.start()) << s.error();
    broker_pid = s.pid();
    epmd_pid = s.epmd_pid();
    EXPECT_GT(epmd_pid, 0);
    EXPECT_GT(s.port(), 0);
    EXPECT_EQ(s.url("q").find("amqp://uwitter:" + s.password() + "@127.0.0.1:"), 0u);
    auto url = amqp::parse_url(s.url("kept"));
    ASSERT_TRUE(url.ok());
    {
      amqp::Session pub;
      ASSERT_TRUE(pub.open(*url, 5000).ok());
      const std::string body = "survives";
      ASSERT_TRUE(pub.confirm_select().ok());
      ASSERT_TRUE(
          pub.publish(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()))
              .ok());
      pub.close();
    }
    ASSERT_TRUE(s.stop());
    EXPECT_FALSE(s.running());
    EXPECT_NE(::kill(broker_pid, 0), 0);  // gone (and reaped)
    ASSERT_TRUE(s.start()) << s.error();
    amqp::Session sub;
    ASSERT_TRUE(sub.open(*url, 5000).ok());
    auto ready = sub.ready_count();
    ASSERT_TRUE(ready.ok());
    EXPECT_EQ(*ready, 1u);  // durable queue, persistent message
    sub.close();
    broker_pid = s.pid();
  }
  EXPECT_NE(::kill(broker_pid, 0), 0);
  EXPECT_NE(::kill(epmd_pid, 0), 0);  // our private epmd went with it
}

}  // namespace
}  // namespace uw::kit
