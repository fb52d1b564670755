#pragma once
// uw::kit::TcpPeer — a blocking TCP client on 127.0.0.1 for tests and
// benchmarks of the tcp:// transport: sends length-prefixed envelopes (or any
// bytes), reads the notifier's 8-byte acknowledgement counts, and tells when
// the peer closed. Part of the test-and-bench kit (uwitter::kit). One thread
// at a time; every wait has a deadline.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace uw::kit {

class TcpPeer {
 public:
  // Connects to 127.0.0.1:port (ok() tells whether it worked), from source_ip.
  explicit TcpPeer(uint16_t port, const char* source_ip = "127.0.0.1");
  ~TcpPeer();
  TcpPeer(const TcpPeer&) = delete;
  TcpPeer& operator=(const TcpPeer&) = delete;

  bool ok() const { return fd_ >= 0; }
  // Writes every byte (false when the connection is gone).
  [[nodiscard]] bool write(const std::string& bytes);
  [[nodiscard]] bool write(const std::vector<uint8_t>& bytes);
  // A 4-byte big-endian length, then the bytes: one tcp:// frame.
  [[nodiscard]] bool send_frame(const std::vector<uint8_t>& envelope);
  static std::string frame(const std::vector<uint8_t>& envelope);
  // Reads acknowledgement counts until one is >= want; returns the last one
  // read (nullopt on timeout or close before that).
  std::optional<uint64_t> wait_ack(uint64_t want, std::chrono::milliseconds timeout);
  // Waits until the other side closes (EOF or reset); true if it did in time.
  bool wait_closed(std::chrono::milliseconds timeout);
  void close();

 private:
  int fd_ = -1;
  std::string rx_;  // unread ack bytes
};

}  // namespace uw::kit
