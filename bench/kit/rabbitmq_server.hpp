#pragma once
// uw::kit::RabbitMqServer — a throwaway RabbitMQ broker for tests and
// benchmarks: Debian's rabbitmq-server (/usr/lib/rabbitmq/bin/rabbitmq-server)
// run in a kit::TempDir with everything it writes inside it (HOME and its
// Erlang cookie, RABBITMQ_MNESIA_BASE, RABBITMQ_LOG_BASE, a rabbitmq.conf of
// our own, no plugins), a unique node name, and free ports on 127.0.0.1 for
// AMQP, the Erlang distribution and a private epmd, which we start ourselves
// (and the broker is told not to start one), so nothing outlives the object.
// It runs as the caller, root included (RabbitMQ 3.10 does not refuse root,
// and a setpriv to another user would clear the parent-death signal that
// kills it with a crashed test). A user with a random password is made through the
// config file (default_user/default_pass); url() carries it.
//
// start() waits (polling an AMQP login, bounded) until the broker accepts
// connections: several seconds, more on a busy machine, so a test program
// starts one and shares it (tests/amqp_environment.hpp). stop() (SIGTERM, the
// broker's orderly shutdown, then SIGKILL if it hangs) keeps the data: a
// later start() is the same broker restarted, durable queues and persistent
// messages included, on the same port. The destructor stops the broker and
// epmd and removes the directory.
//
// A missing broker is an error with a clear message (".ci/install-deps
// installs it"), never a silent skip. Used by one thread at a time.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/kit/temp_dir.hpp"

namespace uw::kit {

class RabbitMqServer {
 public:
  RabbitMqServer() = default;
  ~RabbitMqServer();
  RabbitMqServer(const RabbitMqServer&) = delete;
  RabbitMqServer& operator=(const RabbitMqServer&) = delete;

  // The broker's start script, or "" when rabbitmq-server is not installed.
  static std::string server_script();

  // Starts (or restarts, after stop()) the broker; false with error() on failure.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // Orderly shutdown and wait; the data stays for a later start().
  bool stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool running() const { return broker_pid_ > 0; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return amqp_port_; }
  pid_t pid() const { return broker_pid_; }
  pid_t epmd_pid() const { return epmd_pid_; }  // our private epmd
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }
  // amqp://USER:PASSWORD@127.0.0.1:PORT/%2F?queue=QUEUE
  std::string url(const std::string& queue = "uwitter.notify") const;
  // The broker's own log file(s) and its stdout, for a failing test's message.
  std::string log_tail(size_t bytes = 3000) const;

 private:
  bool wait_ready(std::chrono::milliseconds timeout);
  std::vector<std::string> env() const;
  std::unique_ptr<TempDir> dir_;
  std::string script_;
  std::string node_;
  std::string user_ = "uwitter";
  std::string password_;
  uint16_t amqp_port_ = 0, dist_port_ = 0, epmd_port_ = 0;
  pid_t broker_pid_ = -1, epmd_pid_ = -1;
  std::string error_;
};

}  // namespace uw::kit
