#pragma once
// One throwaway RabbitMQ broker per test program (kit::RabbitMqServer),
// started on first use and stopped by a GoogleTest environment when the
// program's tests end (also when some failed). A broker takes seconds to
// start, so CTest runs a program's AMQP tests (suites named Amqp*) as one
// entry, `<program>-amqp` (tests/CMakeLists.txt). Each test takes a queue of
// its own (fresh_amqp_queue()) on the shared broker. When rabbitmq-server is
// missing, shared_rabbitmq() fails the calling test with a clear message
// (.ci/install-deps installs it); it never skips.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "bench/kit/rabbitmq_server.hpp"

namespace uw::test {

class AmqpEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { server.reset(); }
  std::unique_ptr<kit::RabbitMqServer> server;
  std::string error;
  int queues = 0;
};

inline AmqpEnvironment& amqp_environment() {
  static AmqpEnvironment* env = [] {
    auto* e = new AmqpEnvironment;  // owned by GoogleTest from here on
    ::testing::AddGlobalTestEnvironment(e);
    return e;
  }();
  return *env;
}

// The program's broker (started on the first call), or nullptr after adding
// a test failure that says why.
inline kit::RabbitMqServer* shared_rabbitmq() {
  AmqpEnvironment& env = amqp_environment();
  if (!env.server && env.error.empty()) {
    auto s = std::make_unique<kit::RabbitMqServer>();
    if (s->start()) {
      env.server = std::move(s);
    } else {
      env.error = s->error();
    }
  }
  if (env.server && !env.server->running() && !env.server->start()) {
    ADD_FAILURE() << "the shared broker did not start again: " << env.server->error();
    return nullptr;
  }
  if (!env.server) ADD_FAILURE() << "no RabbitMQ broker for this test: " << env.error;
  return env.server.get();
}

// A queue name no other test of this program uses.
inline std::string fresh_amqp_queue() {
  return "uwitter.test." + std::to_string(++amqp_environment().queues);
}

}  // namespace uw::test
