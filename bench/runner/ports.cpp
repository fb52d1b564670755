#include "bench/runner/ports.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

namespace uw::bench {

namespace {

bool bindable(int type, uint16_t port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::optional<uint16_t> PortPool::take_free() {
  for (uint32_t i = 0; i < count_; ++i) {
    auto p = static_cast<uint16_t>(base_ + next_);
    next_ = (next_ + 1) % count_;
    if (bindable(SOCK_STREAM, p) && bindable(SOCK_DGRAM, p)) return p;
  }
  return std::nullopt;
}

std::optional<uint16_t> PortPool::take_any() {
  if (count_ == 0 || lap_ >= count_) return std::nullopt;
  ++lap_;
  auto p = static_cast<uint16_t>(base_ + next_);
  next_ = (next_ + 1) % count_;
  return p;
}

std::optional<std::string> PortPool::listen_address() {
  if (!enabled()) return std::string("127.0.0.1:0");
  auto p = take_free();
  if (!p) return std::nullopt;
  return fmt::format("127.0.0.1:{}", *p);
}

std::string PortPool::range_text() const {
  return fmt::format("{}..{}", base_, static_cast<uint32_t>(base_) + count_ - 1);
}

uint32_t ephemeral_ports() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  uint32_t lo = 0, hi = 0;
  if (!(in >> lo >> hi) || hi < lo) return 0;
  return hi - lo + 1;
}

Result<Unit> check_port_budget(uint32_t streams, const PortPool& pool, uint32_t ephemeral) {
  const uint64_t need = uint64_t{streams} + kReservedPorts;
  if (pool.enabled()) {
    if (need > pool.size())
      return Error{
          400, "ports",
          fmt::format(
              "{} SSE streams need {} ports ({} for the daemons and clients), but --port-base/--ports "
              "give {} ({}): raise --ports or lower --streams",
              streams, need, kReservedPorts, pool.size(), pool.range_text())};
    return Unit{};
  }
  if (ephemeral != 0 && need > ephemeral)
    return Error{
        400, "ports",
        fmt::format("{} SSE streams need {} local ports, but the kernel's ephemeral range "
                    "(net.ipv4.ip_local_port_range) has {}: lower --streams, or give the bench a range of "
                    "its own with --port-base/--ports",
                    streams, need, ephemeral)};
  return Unit{};
}

}  // namespace uw::bench
