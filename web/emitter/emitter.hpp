#pragma once
// uw::web::Emitter — fire-and-forget UDP sender of signed events (sign/).
// emit() is called on the loop thread right after a commit; it never blocks,
// never fails the request: events are coalesced into datagrams, signed, and
// sent with a non-blocking send to every target (k copies each). A full socket
// buffer drops and counts. Emitted/dropped/send-error counts go to /metrics.
// Each target has its own connected UDP socket, so the kernel reports the ICMP
// port-unreachable a stopped notifier's host answers with (ECONNREFUSED on a
// later send or read): counted per target (uwitter_emitter_unreachable_total)
// with a gauge an operator can alert on (uwitter_emitter_target_unreachable).
// With heartbeat_ms > 0 a signed heartbeat (sign/envelope.hpp) goes to every
// target each interval: it carries the highest sequence number, so the
// notifier sees the loss of the last datagrams before a quiet spell, and it
// keeps the ICMP check going while nobody posts.
// Stream targets (tcp://, http:// in --notify) get the same envelopes, each
// once, through a StreamSender each (web/emitter/stream_sender.hpp): queued,
// never blocking the post, resent after a reconnect. amqp:// targets get them
// through an AmqpSender each (web/emitter/amqp_sender.hpp): a thread of its
// own publishing to RabbitMQ with confirms, the loop only queues.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/flags.hpp"
#include "core/result.hpp"
#include "sign/event.hpp"
#include "web/emitter/notify_target.hpp"

namespace uw::metrics {
class Registry;
}
namespace uw::sign {
class SecretKey;
}

namespace uw::web {

struct EmitterConfig {
  std::vector<HostPort> targets;        // --notify: the UDP ones (bare HOST:PORT, udp://)
  std::vector<NotifyTarget> streams{};  // --notify: tcp://, http:// and amqp:// targets
  size_t stream_max_pending = 4096;     // per stream target: envelopes queued while it is away
  size_t http_max_in_flight = 64;       // per http:// target: requests without an answer yet
  // --notify-http-sync: a post is answered only once every http:// target has
  // answered the envelope carrying its events (or sync_timeout_ms passed).
  bool http_sync = false;
  uint64_t sync_timeout_ms = 5000;  // --notify-sync-timeout-ms
  int copies = 1;                   // --udp-copies k
  uint64_t copy_spacing_us = 0;     // 0: copies back to back; else spread over this interval
  size_t send_buffer_bytes = 4 << 20;
  uint64_t heartbeat_ms = 0;  // --notify-heartbeat-ms (the web app's default is 1000); 0 = none
};

class Emitter {
 public:
  static Result<std::unique_ptr<Emitter>> create(uv_loop_t* loop, const sign::SecretKey& key,
                                                 EmitterConfig cfg, metrics::Registry* metrics);
  virtual ~Emitter() = default;
  virtual void emit(const sign::Event& e) = 0;
  virtual uint64_t session_id() const = 0;
  // Signs everything from now on with `key` (kept by reference: it must outlive
  // the emitter or the next use_key) under a new sender session, sequence 1.
  // What is pending is sealed with the old key first and, with heartbeats on, a
  // last heartbeat carries the old session's highest number (a loss at its end
  // still shows). The SIGHUP key rotation (docs/KEYS.md). Loop thread.
  virtual void use_key(const sign::SecretKey& key) = 0;
  // Seals what is pending now and calls cb(true) once the synchronous targets
  // (http:// with http_sync) have settled it, cb(false) after sync_timeout_ms;
  // cb(true) at once without such targets. Loop thread.
  virtual void after_sent(std::function<void(bool settled)> cb) = 0;
  // Flushes what is pending, closes handles, then calls done (loop thread).
  virtual void close(std::function<void()> done) = 0;
};

}  // namespace uw::web
