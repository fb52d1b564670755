#pragma once
// uw::bench::PortPool — the local ports uwitter-bench may use. By default the
// kernel picks every port (listeners on port 0, clients from the ephemeral
// range); with --port-base P --ports N every daemon listens, and every SSE
// stream connects from, a port in [P, P+N) instead, so the bench runs where
// the ephemeral range is small or shared. check_port_budget() says up front,
// with the flag to change, when the streams asked for cannot fit.
// Threading: one thread (the runner's); the free functions any thread.
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace uw::bench {

// Ports kept for the daemons (notifier UDP and HTTP, a web app and a relay
// per point, their restarts) and the bench's own HTTP clients.
inline constexpr uint32_t kReservedPorts = 16;

class PortPool {
 public:
  PortPool() = default;  // disabled: the kernel picks
  PortPool(uint16_t base, uint32_t count) : base_(base), count_(count) {}
  bool enabled() const { return count_ > 0; }
  uint16_t base() const { return base_; }
  uint32_t size() const { return count_; }
  // The next port of the range (round robin) that nothing on 127.0.0.1 is
  // bound to, TCP or UDP; nullopt after a whole lap found none.
  std::optional<uint16_t> take_free();
  // The next port in the range, whether or not it is free (a client source
  // port: the caller's bind says); nullopt once `count` ports were handed out
  // since reset_lap().
  std::optional<uint16_t> take_any();
  void reset_lap() { lap_ = 0; }
  // "127.0.0.1:P" from the pool, or "127.0.0.1:0" when disabled; nullopt when the pool is exhausted.
  std::optional<std::string> listen_address();
  std::string range_text() const;  // "20000..20999"

 private:
  uint16_t base_ = 0;
  uint32_t count_ = 0;
  uint32_t next_ = 0;  // offset of the next port to hand out
  uint32_t lap_ = 0;   // handed out since reset_lap()
};

// Size of the kernel's ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range); 0 if unknown.
uint32_t ephemeral_ports();

// An Error naming the flags to change when `streams` SSE streams (plus
// kReservedPorts) do not fit the pool, or, without one, the kernel's
// ephemeral range (`ephemeral`, 0 = unknown: not checked).
Result<Unit> check_port_budget(uint32_t streams, const PortPool& pool, uint32_t ephemeral);

}  // namespace uw::bench
