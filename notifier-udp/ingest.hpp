#pragma once
// uw::notifier::Ingest — the UDP side: a libuv socket with batched receive
// (UV_UDP_RECVMMSG), a large receive buffer, and the checks in cheapest-first
// order: source allow-list, size, then sign::Verifier (header, key, time,
// replay window, signature, event syntax). Every rejection is counted by reason
// and logged (rate-limited); verified events go to the callback.
// Threading: loop thread only. The receive buffer is one slab reused for every
// batch (no allocation per datagram).
#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "notifier-udp/allow_list.hpp"
#include "sign/envelope.hpp"

namespace uw::notifier {

class EventLog;

// Reasons of our own, counted beside sign::Reject's.
enum class IngestReject : uint8_t { DisallowedSource, Oversized, Count_ };
const char* ingest_reject_name(IngestReject r);  // "disallowed_source", "oversized"

struct IngestStats {
  uint64_t received = 0;  // datagrams read from the socket
  uint64_t verified = 0;  // accepted by the Verifier
  uint64_t events = 0;    // events in accepted datagrams
  std::array<uint64_t, static_cast<size_t>(IngestReject::Count_)> own_rejects{};
};

class Ingest {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 7700;
    uint64_t rcvbuf = 8 << 20;
    AllowList allow;
    sign::Verifier::Options verify;
  };
  using EventFn = std::function<void(const sign::EventView& ev, uint64_t received_ns)>;

  Ingest(uv_loop_t* loop, const sign::KeyRing& keys, Options opts, EventLog& log, EventFn on_event);
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  // Binds and starts receiving. Returns "" or an error.
  std::string start();
  uint16_t port() const { return port_; }
  const std::string& host() const { return opts_.host; }
  int rcvbuf_bytes() const { return rcvbuf_actual_; }
  // Kernel receive-queue drops for this socket (from /proc/net/udp).
  uint64_t kernel_drops() const;
  const IngestStats& stats() const { return stats_; }
  // Called when a datagram names an unknown key; returns true if the trusted
  // keys were reloaded (then the datagram is checked once more). Lets a key
  // file that just appeared (first start) count without waiting for a timer.
  void on_unknown_key(std::function<bool()> fn) { unknown_key_ = std::move(fn); }
  const sign::VerifierStats& verifier_stats() const { return verifier_.stats(); }
  void close(std::function<void()> done);

 private:
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags);
  void handle(const uint8_t* p, size_t n, const sockaddr* addr);
  void reject(const char* reason, const sockaddr* addr, size_t bytes);

  uv_loop_t* loop_;
  Options opts_;
  EventLog& log_;
  EventFn on_event_;
  sign::Verifier verifier_;
  uv_udp_t udp_{};
  bool open_ = false;
  uint16_t port_ = 0;
  int rcvbuf_actual_ = 0;
  uint64_t inode_ = 0;
  std::unique_ptr<char[]> slab_;
  size_t slab_size_ = 0;
  bool slab_busy_ = false;
  IngestStats stats_;
  std::function<bool()> unknown_key_;
  std::function<void()> close_done_;
};

// Source address as "ip:port" (for log lines).
std::string addr_text(const sockaddr* addr);

}  // namespace uw::notifier
