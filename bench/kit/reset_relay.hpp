#pragma once
// uw::kit::ResetRelay — a TCP relay that breaks connections: the "5 % loss"
// fault of uwitter-transports for the stream transports (tcp://, http://, amqp://), the counterpart of
// uwitter-lossy for UDP. A loss on a TCP connection is not a missing byte but a broken connection, so the
// relay breaks connections: it listens on 127.0.0.1 (a free port), connects each accepted client to
// 127.0.0.1:upstream_port, and copies bytes both ways; before forwarding a chunk the client sent (one read,
// i.e. about one write of the sender), it resets both connections (RST, SO_LINGER 0) with probability
// reset_probability, from a seeded generator. The sender then sees a reset, reconnects through the relay and
// resends what was unconfirmed; the notifier sees a connection cut mid-stream.
//
// reset_all() breaks every open connection at once (a test's "the network
// dropped everything now"). Part of the test-and-bench kit (uwitter::kit).
//
// Threading: start() runs the relay on a thread of its own (poll() over every
// socket); stop() and the destructor end and join it. reset_all() and the
// counters may be used from any thread while it runs.
#include <atomic>
#include <cstdint>
#include <thread>

#include "core/result.hpp"

namespace uw::kit {

struct ResetRelayConfig {
  uint16_t upstream_port = 0;       // on 127.0.0.1
  double reset_probability = 0.05;  // per client chunk, in [0, 1]
  uint64_t seed = 1;
};

class ResetRelay {
 public:
  ResetRelay() = default;
  ~ResetRelay();  // stop()
  ResetRelay(const ResetRelay&) = delete;
  ResetRelay& operator=(const ResetRelay&) = delete;

  // Binds 127.0.0.1:0 and starts the thread; an Error naming the failed call.
  Result<Unit> start(const ResetRelayConfig& config);
  // Closes every connection and the listener, joins the thread. Idempotent.
  void stop();
  // Resets every connection open now (RST both ways); new ones are accepted.
  void reset_all();
  uint16_t port() const { return port_; }

  uint64_t accepted() const { return accepted_.load(); }
  uint64_t chunks() const { return chunks_.load(); }  // client chunks forwarded
  uint64_t resets() const { return resets_.load(); }  // connection pairs reset on purpose
  uint64_t upstream_refused() const { return refused_.load(); }

 private:
  void run();

  ResetRelayConfig cfg_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: stop() writes 's', reset_all() 'r'
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<uint64_t> accepted_{0}, chunks_{0}, resets_{0}, refused_{0};
};

}  // namespace uw::kit
