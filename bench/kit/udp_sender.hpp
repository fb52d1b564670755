#pragma once
// A UDP socket bound to a chosen loopback source address, for sending
// datagrams to a notifier under test or benchmark. Part of the test-and-bench
// kit (uwitter::kit). One thread at a time.
#include <cstdint>
#include <vector>

namespace uw::kit {

class UdpSender {
 public:
  explicit UdpSender(const char* source_ip = "127.0.0.1");
  ~UdpSender();
  UdpSender(const UdpSender&) = delete;
  UdpSender& operator=(const UdpSender&) = delete;

  // Whether the socket was made and bound to source_ip.
  bool ok() const { return bound_; }
  // Sends one datagram to 127.0.0.1:port; true when the kernel took all of it.
  [[nodiscard]] bool send(uint16_t port, const std::vector<uint8_t>& bytes);

 private:
  int fd_ = -1;
  bool bound_ = false;
};

}  // namespace uw::kit
