#pragma once
// uw::lossy::Relay — the I/O half of uwitter-lossy. Receives UDP datagrams on
// one socket, asks the Impairment model what to do with each (in arrival
// order), and forwards what survives, from the same socket, to one target.
// Held datagrams (delay, jitter, reorder) wait in a min-heap driven by one
// timer. Every decision is written to the truth file (truth.hpp).
//
// Threading: everything runs on the loop thread that created the Relay.
// Lifetime: the Relay owns its uv_udp_t and uv_timer_t; after close() the
// owner must keep the object alive until `done` runs (the handles' close
// callbacks), then may destroy it.
#include <netinet/in.h>
#include <uv.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "bench/lossy/impairment.hpp"
#include "core/flags.hpp"
#include "core/result.hpp"

namespace uw::lossy {

struct RelayConfig {
  HostPort listen{"127.0.0.1", 0};
  HostPort forward;
  ImpairmentConfig impairment;
  std::string truth_path;                // "" = no truth file
  size_t socket_buffer_bytes = 8 << 20;  // asked for; the kernel may cap it
};

struct RelayStats {
  uint64_t received = 0;
  uint64_t bytes_in = 0;
  uint64_t forwarded = 0;  // copies handed to the kernel (duplicates count twice)
  uint64_t dropped_independent = 0;
  uint64_t dropped_burst = 0;
  uint64_t dropped = 0;  // by either loss process
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t corrupted = 0;
  uint64_t held = 0;         // datagrams that waited for a delay
  uint64_t send_queued = 0;  // sends that met a full buffer and were queued instead
  uint64_t send_errors = 0;  // sends the kernel refused (lost, and said so here)
  uint64_t recv_errors = 0;
};

class Relay {
 public:
  // Binds, opens the truth file and starts receiving. Error messages name the cause.
  static Result<std::unique_ptr<Relay>> create(uv_loop_t* loop, RelayConfig cfg);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // The bound port (useful with port 0).
  uint16_t port() const { return port_; }
  const std::string& host() const { return cfg_.listen.host; }
  const RelayStats& stats() const { return stats_; }
  // "received=... forwarded=... dropped=..." on one line.
  std::string stats_line() const;
  // Stops receiving, sends every held datagram at once (so the truth file stays
  // true), flushes and closes the truth file, closes the handles, then calls done.
  void close(std::function<void()> done);

 private:
  struct Held {
    uint64_t due_ns;
    uint64_t order;  // ties keep arrival order
    int copies;
    std::vector<uint8_t> bytes;
    bool operator>(const Held& o) const { return due_ns != o.due_ns ? due_ns > o.due_ns : order > o.order; }
  };
  struct SendReq {
    uv_udp_send_t req;
    Relay* relay;
    std::vector<uint8_t> bytes;
  };

  Relay(uv_loop_t* loop, RelayConfig cfg);
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr,
                      unsigned flags);
  static void on_timer(uv_timer_t* t);
  static void on_closed(uv_handle_t* h);
  void handle_datagram(uint8_t* bytes, size_t len);
  void send_copy(const uint8_t* bytes, size_t len);
  void send_due(uint64_t now_ns);
  void arm_timer();

  RelayConfig cfg_;
  Impairment model_;
  RelayStats stats_;
  uv_udp_t udp_{};
  uv_timer_t timer_{};
  struct sockaddr_storage target_ {};
  uint16_t port_ = 0;
  std::FILE* truth_ = nullptr;
  std::vector<char> truth_buf_;
  std::vector<uint8_t> recv_buf_;
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> held_;
  uint64_t held_order_ = 0;
  bool closing_ = false;
  int open_handles_ = 0;
  std::function<void()> done_;
};

}  // namespace uw::lossy
