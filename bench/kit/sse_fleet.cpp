#include "bench/notifier/sse_fleet.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace uw::bench {

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

SseFleet::~SseFleet() { close(); }

size_t SseFleet::open(uint16_t port, const std::vector<std::string>& targets) {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  size_t ok = 0;
  for (const auto& t : targets) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      continue;
    }
    std::string req = "GET " + t + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    // Wait for the header block so that every stream is registered before sending.
    std::string head;
    char b[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, b, sizeof b, 0);
      if (n <= 0) break;
      head.append(b, static_cast<size_t>(n));
    }
    if (head.rfind("HTTP/1.1 200", 0) != 0) {
      ::close(fd);
      continue;
    }
    Conn c{fd, head.substr(head.find("\r\n\r\n") + 4), true};
    conns_.push_back(std::move(c));
    ++ok;
  }
  for (size_t i = 0; i < conns_.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, conns_[i].fd, &ev);
  }
  thread_ = std::thread([this] { run(); });
  return ok;
}

void SseFleet::run() {
  std::vector<epoll_event> evs(256);
  std::vector<char> buf(1 << 16);
  while (!stop_) {
    int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), 50);
    for (int i = 0; i < n; ++i) {
      Conn& c = conns_[evs[static_cast<size_t>(i)].data.u64];
      ssize_t r = ::recv(c.fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (r <= 0) {
        if (r == 0) epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
        continue;
      }
      int64_t now = mono_ns();
      c.buf.append(buf.data(), static_cast<size_t>(r));
      size_t start = 0, end;
      uint64_t got = 0;
      while ((end = c.buf.find("\n\n", start)) != std::string::npos) {
        std::string_view block(c.buf.data() + start, end - start);
        if (block.rfind("id: ", 0) == 0) {
          ++got;
          auto p = block.find("probe=");
          if (p != std::string_view::npos) {
            int64_t sent = std::strtoll(block.data() + p + 6, nullptr, 10);
            std::lock_guard l(mu_);
            lat_.push_back(now - sent);
          }
        }
        start = end + 2;
      }
      c.buf.erase(0, start);
      events_.fetch_add(got);
    }
  }
}

std::vector<int64_t> SseFleet::take_latencies() {
  std::lock_guard l(mu_);
  std::vector<int64_t> out;
  out.swap(lat_);
  return out;
}

void SseFleet::close() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  for (auto& c : conns_) ::close(c.fd);
  conns_.clear();
  if (ep_ >= 0) ::close(ep_);
  ep_ = -1;
}

}  // namespace uw::bench
