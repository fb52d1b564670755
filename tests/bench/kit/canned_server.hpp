#pragma once
// A TCP server on 127.0.0.1 (a port the kernel picks) that answers each
// connection with a canned reply after reading the request head, and keeps
// what it was sent: the peer the kit's HTTP client and SSE reader are tested
// against. Serves connections one after another on its own thread until
// destroyed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace uw::kit::test {

// Whether a request head the server received starts with `request_line` and
// holds each of `header_lines` as a whole line.
inline ::testing::AssertionResult request_has(const std::string& head, const std::string& request_line,
                                              std::initializer_list<std::string> header_lines = {}) {
  if (head.rfind(request_line + "\r\n", 0) != 0)
    return ::testing::AssertionFailure() << "does not start with " << request_line << ":\n" << head;
  for (const auto& h : header_lines)
    if (head.find("\r\n" + h + "\r\n") == std::string::npos)
      return ::testing::AssertionFailure() << "no header line " << h << ":\n" << head;
  return ::testing::AssertionSuccess();
}

class CannedServer {
 public:
  // `reply` is written verbatim; with keep_open the connection then stays
  // open until the peer closes it or the server stops (an SSE stream).
  // `port` 0 lets the kernel pick; a given one is bound with SO_REUSEADDR
  // (a server back on the port of one that stopped; port() is 0 when taken).
  explicit CannedServer(std::string reply, bool keep_open = false, uint16_t port = 0)
      : reply_(std::move(reply)), keep_open_(keep_open) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    if (fd_ >= 0) (void)::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return;
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;

  uint16_t port() const { return port_; }
  // Every request head received so far, in order.
  std::vector<std::string> requests() {
    std::lock_guard l(mu_);
    return requests_;
  }

 private:
  // Waits up to 50 ms for fd to be readable, so stop_ is seen promptly.
  static bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 50) > 0;
  }
  void serve() {
    while (!stop_) {
      if (!readable(fd_)) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string head;
      char buf[4096];
      while (!stop_ && head.find("\r\n\r\n") == std::string::npos) {
        if (!readable(c)) continue;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard l(mu_);
        requests_.push_back(head);
      }
      (void)!::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      while (keep_open_ && !stop_)
        if (readable(c) && ::recv(c, buf, sizeof buf, 0) <= 0) break;
      ::close(c);
    }
  }

  std::string reply_;
  bool keep_open_ = false;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace uw::kit::test
