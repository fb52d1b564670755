#pragma once
// uw::notifier::Ingest — the UDP side: our own non-blocking socket watched by a
// uv_poll_t and drained with recvmmsg(2) in batches (libuv's uv_udp_t does not
// hand back control messages), a large receive buffer, SO_RXQ_OVFL for the
// kernel's own drop count, and the checks in cheapest-first order: source
// allow-list, size, then sign::Verifier (header, key, time, replay window,
// signature, event syntax). Every rejection is counted by reason and logged
// (rate-limited); verified events go to the callback.
// offer() is that same path for envelopes that came another way (a TCP frame,
// an HTTP POST /ingest body, an AMQP message): one allow-list per transport
// (none for AMQP, whose peer is the broker), then the same
// size check, Verifier (replay window, loss accounting) and callback, with
// counters per transport beside the totals.
// UDP datagrams are not verified as they are read: a datagram that passes the
// cheap checks (sign::Verifier::precheck) is queued in a VerifyQueue, which
// sheds a forged flood (new-session claims beyond a bounded rate per source and
// in total, a source beyond its share) and orders the rest (established
// sessions first, sources in turn); an idle handle then verifies from it for
// at most --verify-budget-us per loop turn, so HTTP (/healthz, SSE) never waits
// behind more than one budget of signature checks (docs/RELIABILITY.md).
// Threading: loop thread only. The datagram, address and control buffers are
// allocated once in start() and reused for every batch (no allocation per
// datagram); each wakeup reads a bounded number of batches so one busy socket
// cannot starve the loop (the poll is level-triggered and fires again), and
// reading pauses while the queue has no room for a batch (the kernel's buffer
// holds the rest; its drops are counted).
#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "notifier-udp/allow_list.hpp"
#include "notifier-udp/transport.hpp"
#include "notifier-udp/verify_queue.hpp"
#include "sign/envelope.hpp"

namespace uw::notifier {

class EventLog;

// Reasons of our own, counted beside sign::Reject's.
enum class IngestReject : uint8_t { DisallowedSource, Oversized, Count_ };
const char* ingest_reject_name(IngestReject r);  // "disallowed_source", "oversized"

// One transport's share of IngestStats.
struct TransportStats {
  uint64_t received = 0;    // envelopes offered
  uint64_t verified = 0;    // accepted by the Verifier
  uint64_t duplicates = 0;  // rejected as already seen (copies, resends, redeliveries)
  uint64_t rejected = 0;    // every other rejection (allow-list, size, Verifier)
};

struct IngestStats {
  uint64_t received = 0;  // envelopes from every transport (datagrams read from the socket, frames, bodies)
  uint64_t verified = 0;  // accepted by the Verifier
  uint64_t events = 0;    // events in accepted datagrams
  std::array<uint64_t, static_cast<size_t>(IngestReject::Count_)> own_rejects{};
  std::array<TransportStats, kTransports> by_transport{};
  uint64_t read_pauses = 0;  // times UDP reading paused for a full verify queue
};

class Ingest {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 7700;
    uint64_t rcvbuf = 8 << 20;
    AllowList allow;       // UDP sources (--allow)
    AllowList allow_tcp;   // TCP peers (--allow-tcp; the daemon defaults it to --allow)
    AllowList allow_http;  // POST /ingest clients (--allow-http; likewise)
    sign::Verifier::Options verify;
    VerifyQueue::Options queue;  // UDP datagrams waiting for a verify (--verify-queue, --new-sessions-*)
    uint64_t verify_budget_us = 1000;  // signature checks per loop turn, in time (--verify-budget-us)
  };
  using EventFn = std::function<void(const sign::EventView& ev, uint64_t received_ns)>;

  Ingest(uv_loop_t* loop, const sign::KeyRing& keys, Options opts, EventLog& log, EventFn on_event);
  ~Ingest();
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  // Binds and starts receiving. An Error (its message names the step that
  // failed) when the socket cannot be set up.
  Result<Unit> start();
  uint16_t port() const { return port_; }
  const std::string& host() const { return opts_.host; }
  int rcvbuf_bytes() const { return rcvbuf_actual_; }
  // Datagrams the kernel dropped on this socket (receive queue full, ...), from
  // the SO_RXQ_OVFL counter it attaches to each datagram it queues: drops are
  // seen with the next datagram queued after them. Widened past 2^32.
  uint64_t kernel_drops() const { return kernel_drops_; }
  const IngestStats& stats() const { return stats_; }
  // One envelope from transport t (not UDP's socket, which drain() reads):
  // checked and delivered exactly as a datagram. `peer` is the sender's
  // address (nullptr: `peer_ip` text, an HTTP client). Loop thread.
  Verdict offer(Transport t, std::span<const uint8_t> bytes, const sockaddr* peer,
                const std::string& peer_ip = {});
  // A transport's own framing refused something before it was an envelope (a
  // TCP length prefix out of range): counted as that transport's rejection.
  void count_framing_reject(Transport t, IngestReject r, const std::string& peer, size_t bytes);
  // Called when a datagram names an unknown key; returns true if the trusted
  // keys were reloaded (then the datagram is checked once more). Lets a key
  // file that just appeared (first start) count without waiting for a timer.
  void on_unknown_key(std::function<bool()> fn) { unknown_key_ = std::move(fn); }
  const sign::VerifierStats& verifier_stats() const { return verifier_.stats(); }
  // UDP datagrams waiting for a signature check, and what was shed (by reason).
  const VerifyQueue& verify_queue() const { return queue_; }
  // Counts as lost what has been missing for --gap-timeout-ms (the daemon's
  // tick calls it a few times a second; each accepted datagram does too).
  void expire_gaps();
  uint64_t open_gaps() const { return verifier_.open_gaps(); }
  void close(std::function<void()> done);

 private:
  struct Batch;  // recvmmsg headers, buffers, addresses, control messages
  static void on_poll(uv_poll_t* h, int status, int events);
  void drain();
  // One datagram read from the socket: cheap checks, then queued or shed.
  void admit(const uint8_t* p, size_t n, const sockaddr* addr, uint64_t now_ns, int64_t now_ms);
  // Verifies queued datagrams for at most one budget (the idle handle, each loop turn).
  void pump();
  void verify_queued(const VerifyQueue::Item& item);
  void shed(Shed why, const sockaddr* addr, size_t bytes, int64_t now_ms);
  // The signature check and everything after it (also offer()'s path).
  Verdict verify(Transport t, std::span<const uint8_t> bytes, const sockaddr* addr, const std::string& ip,
                 uint64_t received_ns);
  void pause_reading();
  void resume_reading();
  void note_overflow_counter(uint32_t counter);
  Verdict handle(Transport t, const uint8_t* p, size_t n, const sockaddr* addr, const std::string& ip);
  void reject(Transport t, const char* reason, const sockaddr* addr, const std::string& ip, size_t bytes);

  uv_loop_t* loop_;
  Options opts_;
  EventLog& log_;
  EventFn on_event_;
  sign::Verifier verifier_;
  int fd_ = -1;       // ours: closed in the poll handle's close callback
  uv_poll_t poll_{};  // watches fd_; lives here, so close() must finish before ~Ingest
  bool poll_open_ = false;
  uv_idle_t idle_{};  // runs pump() while the queue holds anything; lives here like poll_
  bool idle_open_ = false, idle_on_ = false, reading_ = false, closing_ = false;
  int open_handles_ = 0;  // poll_ and idle_: close() finishes when both closed
  VerifyQueue queue_;
  VerifyQueue::Item item_;  // pump()'s datagram (one, reused)
  uint16_t port_ = 0;
  int rcvbuf_actual_ = 0;
  std::unique_ptr<Batch> batch_;
  uint32_t last_overflow_ = 0;  // last SO_RXQ_OVFL value (cumulative, wraps at 2^32)
  uint64_t kernel_drops_ = 0;
  IngestStats stats_;
  std::function<bool()> unknown_key_;
  std::function<void()> close_done_;
};

// Datagrams dropped between two readings of the kernel's SO_RXQ_OVFL counter
// (cumulative per socket, a uint32 that wraps at 2^32). Any thread.
constexpr uint32_t overflow_delta(uint32_t last, uint32_t now) { return now - last; }

// Source address as "ip:port" (for log lines).
std::string addr_text(const sockaddr* addr);

}  // namespace uw::notifier
