#pragma once
// uw::notifier::AmqpConsumer — the amqp:// transport's receiving end (--amqp
// URL): a thread of its own ("uw-amqp") holds one librabbitmq connection to
// the broker (librabbitmq blocks; never on the loop), declares the same
// durable queue the web app publishes to, and consumes it with manual acks
// and a prefetch limit (basic.qos): at most `prefetch` messages delivered and
// not yet acknowledged.
//
// Each delivery's body goes to the loop (a LoopMailbox, uv_async) and through
// the same Ingest::offer as every other transport (the daemon's offer
// callback: verify, replay window, loss accounting); only after it was
// offered is the delivery acknowledged, whatever the verdict (a garbage body
// is rejected and counted by Ingest, and acked so it is not redelivered
// forever). A message whose ack did not reach the broker — the connection
// broke, the broker restarted — is delivered again (redelivered); the replay
// window then rejects it as a duplicate: counted, never a second
// notification. Acks are per connection: ones for deliveries of a connection
// that has gone are dropped (the broker redelivers those).
//
// The consumer reconnects (backoff from backoff_min_ms doubling to
// backoff_max_ms) when the broker restarts or refuses it; every broker call is
// bounded by timeout_ms. Log lines (EventLog, kind "amqp") on connect and on
// each change of failure reason; the URL is logged without its password.
//
// Threading: construct, start(), close(), drop_connection() and stats() on
// the loop thread (stats() on any). The offer callback runs on the loop.
// close() must finish (done called) before the destructor.
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "core/amqp/url.hpp"
#include "core/amqp/wakeup.hpp"
#include "core/result.hpp"

namespace uw {
class LoopMailbox;
}

namespace uw::notifier {

class EventLog;

struct AmqpConsumerStats {
  uint64_t deliveries = 0;   // messages received from the broker
  uint64_t redelivered = 0;  // of those, flagged redelivered by the broker
  uint64_t acked = 0;        // basic.ack sent
  uint64_t reconnects = 0;   // connections refused or lost
  uint64_t unacked = 0;      // delivered, not yet acknowledged (bounded by the prefetch)
  bool connected = false;
};

class AmqpConsumer {
 public:
  struct Options {
    amqp::Url url;
    uint16_t prefetch = 256;
    int timeout_ms = 2000;
    uint64_t backoff_min_ms = 50;
    uint64_t backoff_max_ms = 2000;
  };
  using OfferFn = std::function<void(std::span<const uint8_t> body, bool redelivered)>;

  AmqpConsumer(uv_loop_t* loop, Options opts, EventLog& log, OfferFn offer);
  ~AmqpConsumer();
  AmqpConsumer(const AmqpConsumer&) = delete;
  AmqpConsumer& operator=(const AmqpConsumer&) = delete;

  // Starts the thread (it connects in the background). An Error only when the
  // thread's wake-up fd cannot be made.
  Result<Unit> start();
  // Sends the acks already due, closes the connection (deliveries not yet
  // offered go back to the queue), stops the thread, then calls done on the loop.
  void close(std::function<void()> done);
  // Drops the connection at once, before any ack still due is sent, as a
  // broker restart or a network cut would; the consumer reconnects and the
  // broker redelivers what was not acknowledged. For tests of redelivery.
  void drop_connection();
  AmqpConsumerStats stats() const;
  const amqp::Url& url() const { return opts_.url; }

 private:
  struct Ack {
    uint64_t generation;  // which connection delivered it
    uint64_t tag;
  };
  void run();
  void delivered(uint64_t generation, uint64_t tag, std::vector<uint8_t>&& body, bool redelivered);

  uv_loop_t* loop_;
  Options opts_;
  EventLog& log_;
  OfferFn offer_;
  amqp::Wakeup wake_;
  std::unique_ptr<LoopMailbox> mailbox_;
  std::thread thread_;
  std::function<void()> done_;
  bool closing_ = false;  // loop side: deliveries arriving now are left unacked

  std::mutex mu_;  // guards acks_, stop_, drop_generation_
  std::vector<Ack> acks_;
  bool stop_ = false;
  uint64_t drop_generation_ = 0;  // drop the connection of this generation (0: none)

  std::atomic<uint64_t> generation_{0};  // the current connection (1, 2, ...)
  std::atomic<uint64_t> deliveries_{0}, redelivered_{0}, acked_{0}, reconnects_{0}, unacked_{0};
  std::atomic<bool> connected_{false};
};

}  // namespace uw::notifier
