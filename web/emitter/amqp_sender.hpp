#pragma once
// uw::web::AmqpSender — the amqp:// transport of the Emitter: the same signed
// envelopes, each published once as a persistent message (delivery_mode 2) to
// a durable RabbitMQ queue, with publisher confirms (confirm.select), from a
// thread of its own ("uw-amqp"): librabbitmq blocks, so it never runs on the
// loop.
//
// The loop only queues: send() takes a mutex for a push and rings the thread.
// Envelopes wait while the broker is away, at most max_pending of them with
// the unconfirmed ones (when full, the oldest waiting one is dropped and
// counted; the notifier sees the gap and counts it lost), so a post never
// fails or stalls because of the broker. The thread publishes up to
// max_in_flight unconfirmed messages; a basic.ack from the broker confirms
// (the message is in the queue, on disk: not that any consumer has it), a
// basic.nack counts as nacked and is not sent again. Messages unconfirmed
// when the connection breaks are published again on the next one: the
// notifier's replay window rejects any copy it has seen, so a resend is never
// a second notification. Reconnects back off from backoff_min_ms, doubling to
// backoff_max_ms; every broker call is bounded by timeout_ms.
//
// Metrics, labelled {target, transport="amqp"} (target: the URL without its
// password): uwitter_emitter_transport_{sent,confirmed,dropped,resent,
// reconnects}_total, uwitter_emitter_amqp_nacked_total and the gauges
// uwitter_emitter_transport_{pending,connected}.
// Threading: construct, start(), send() and close() on the loop thread; the
// sender thread touches only the shared queue (under mu_), its own Session
// and the atomic metrics. close() must finish (done called) before the
// destructor.
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/amqp/url.hpp"
#include "core/amqp/wakeup.hpp"
#include "core/result.hpp"
#include "sign/envelope.hpp"

namespace uw {
class LoopMailbox;
}
namespace uw::metrics {
class Registry;
class Counter;
class Gauge;
}  // namespace uw::metrics

namespace uw::web {

struct AmqpSenderStats {
  uint64_t sent = 0;        // basic.publish calls (resends included)
  uint64_t confirmed = 0;   // basic.ack from the broker
  uint64_t nacked = 0;      // basic.nack from the broker
  uint64_t dropped = 0;     // queue full, or still pending at close
  uint64_t resent = 0;      // published again after a reconnect
  uint64_t reconnects = 0;  // connections refused or lost
  uint64_t pending = 0;     // waiting or unconfirmed now
  bool connected = false;
};

class AmqpSender {
 public:
  struct Options {
    amqp::Url url;
    size_t max_pending = 4096;   // envelopes waiting or unconfirmed
    size_t max_in_flight = 256;  // published and unconfirmed
    uint64_t backoff_min_ms = 50;
    uint64_t backoff_max_ms = 2000;
    int timeout_ms = 2000;           // connect, login and every broker round trip
    uint64_t close_grace_ms = 1000;  // close() publishes pending envelopes for up to this long
  };
  AmqpSender(uv_loop_t* loop, Options opts, metrics::Registry* metrics);
  ~AmqpSender();
  AmqpSender(const AmqpSender&) = delete;
  AmqpSender& operator=(const AmqpSender&) = delete;

  // Starts the thread, which connects in the background (an Error only when
  // the thread or its wake-up fd cannot be made).
  Result<Unit> start();
  void send(std::shared_ptr<const sign::Datagram> envelope);
  // Publishes what is pending (for up to close_grace_ms), stops the thread,
  // then calls done on the loop.
  void close(std::function<void()> done);
  // A snapshot (any thread).
  AmqpSenderStats stats() const;
  const amqp::Url& url() const { return opts_.url; }

 private:
  struct Item {
    uint64_t tag = 0;  // the broker's delivery tag on this connection (0: not published yet)
    std::shared_ptr<const sign::Datagram> envelope;
  };
  void run();
  void count(std::atomic<uint64_t>& stat, metrics::Counter* m, uint64_t n = 1);
  void set_gauges();

  uv_loop_t* loop_;
  Options opts_;
  amqp::Wakeup wake_;
  std::unique_ptr<LoopMailbox> mailbox_;  // the thread's "I have finished" back to the loop
  std::thread thread_;
  std::function<void()> done_;

  mutable std::mutex mu_;       // guards waiting_ and the stop fields
  std::deque<Item> waiting_;    // not yet published (oldest first)
  size_t in_flight_count_ = 0;  // the thread's in-flight size, for the bound
  bool closing_ = false;
  uint64_t close_deadline_ms_ = 0;  // uv_hrtime-based

  std::atomic<uint64_t> sent_{0}, confirmed_{0}, nacked_{0}, dropped_{0}, resent_{0}, reconnects_{0},
      pending_{0};
  std::atomic<bool> connected_{false};
  metrics::Counter *m_sent_ = nullptr, *m_confirmed_ = nullptr, *m_nacked_ = nullptr, *m_dropped_ = nullptr,
                   *m_resent_ = nullptr, *m_reconnects_ = nullptr;
  metrics::Gauge *m_pending_ = nullptr, *m_connected_ = nullptr;
};

}  // namespace uw::web
