#pragma once
// uw::amqp::Session — one blocking connection to a RabbitMQ broker
// (librabbitmq, Debian's librabbitmq-dev): TCP connect with a deadline, PLAIN
// login, channel 1, and the durable queue of the Url declared (queue.declare
// durable, not exclusive, not auto-deleted: the web app's publisher and the
// notifier's consumer declare the same queue, whichever comes first, and it
// outlives both and a broker restart). Every call that waits for the broker is
// bounded by the timeout given to open() (librabbitmq's handshake and RPC
// timeouts), so a stuck broker cannot hang the thread forever.
//
// Errors are Result with code "amqp" and a message naming the step and the
// broker's or the library's reason, never the password.
//
// Threading: a Session belongs to one thread (librabbitmq connections are not
// thread-safe); it is never used on an event-loop thread, since every call
// blocks. web/emitter/amqp_sender.* and notifier-udp/amqp_consumer.* run one
// on a thread of their own; bench/kit uses it from test threads.
#include <amqp.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/amqp/url.hpp"
#include "core/result.hpp"

namespace uw::amqp {

class Session {
 public:
  Session() = default;
  ~Session() { abort(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects, logs in, opens channel 1 and declares url.queue. On an Error the
  // session is closed again. heartbeat_s: AMQP heartbeats (0 = none); the
  // caller must call into the session (wait(), read_frame()) at least every
  // heartbeat_s / 2 for them to be sent.
  Result<Unit> open(const Url& url, int timeout_ms, int heartbeat_s = 10);
  bool is_open() const { return conn_ != nullptr; }
  const Url& url() const { return url_; }
  amqp_connection_state_t raw() const { return conn_; }

  // confirm.select on channel 1: the broker then acks (or nacks) every publish
  // with delivery tags 1, 2, ... in publish order.
  Result<Unit> confirm_select();
  // basic.qos: at most `prefetch` unacknowledged deliveries at a time.
  Result<Unit> qos(uint16_t prefetch);
  // basic.consume on the queue with manual acks (no_ack false).
  Result<Unit> consume();
  // basic.publish to the queue through the default exchange; persistent
  // (delivery_mode 2) when `persistent`. Blocks while the socket is full.
  Result<Unit> publish(std::span<const uint8_t> body, bool persistent = true);
  // basic.ack of one delivery tag.
  Result<Unit> ack(uint64_t delivery_tag);
  // queue.purge: empties the queue (tests); the number of messages removed.
  Result<uint64_t> purge();
  // queue.declare passive: messages ready in the queue (not counting unacked ones).
  Result<uint64_t> ready_count();

  // Blocks until something can be read (a frame already buffered counts),
  // wake_fd is readable (when >= 0), or timeout_ms passes. 1: readable;
  // 0: woken or timed out; an Error when poll() failed.
  Result<int> wait(int wake_fd, int timeout_ms);
  // One frame if one can be read without waiting (nullopt: none yet); an Error
  // when the connection failed or the broker closed the channel/connection.
  Result<std::optional<amqp_frame_t>> read_frame();

  // A polite close (connection.close and its answer, within the timeout).
  void close();
  // Drops the connection without a word (what a crash looks like to the broker).
  void abort();

  // "step: reason" for a reply that was not normal.
  static std::string describe(const amqp_rpc_reply_t& r, const char* step);

 private:
  Result<Unit> check_rpc(const char* step);
  amqp_connection_state_t conn_ = nullptr;
  Url url_;
};

}  // namespace uw::amqp
