#include "bench/kit/tcp_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace uw::kit {

TcpPeer::TcpPeer(uint16_t port, const char* source_ip) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, source_ip, &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
  int one = 1;
  (void)setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0)
    close();
}

TcpPeer::~TcpPeer() { close(); }

void TcpPeer::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool TcpPeer::write(const std::string& bytes) {
  size_t off = 0;
  while (fd_ >= 0 && off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return fd_ >= 0;
}

bool TcpPeer::write(const std::vector<uint8_t>& bytes) {
  return write(std::string(bytes.begin(), bytes.end()));
}

std::string TcpPeer::frame(const std::vector<uint8_t>& envelope) {
  auto n = static_cast<uint32_t>(envelope.size());
  std::string f{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                static_cast<char>(n)};
  f.append(envelope.begin(), envelope.end());
  return f;
}

bool TcpPeer::send_frame(const std::vector<uint8_t>& envelope) { return write(frame(envelope)); }

std::optional<uint64_t> TcpPeer::wait_ack(uint64_t want, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<uint64_t> last;
  while (fd_ >= 0) {
    while (rx_.size() >= 8) {
      uint64_t v = 0;
      for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(rx_[static_cast<size_t>(i)]);
      rx_.erase(0, 8);
      last = v;
    }
    if (last && *last >= want) return last;
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    rx_.append(buf, static_cast<size_t>(n));
  }
  return std::nullopt;
}

bool TcpPeer::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
    rx_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace uw::kit
