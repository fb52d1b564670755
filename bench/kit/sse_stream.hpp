#pragma once
// Test helper: a real SSE client over a raw TCP socket, reading on its own
// thread. Parses "id:", "event:", "data:" blocks; waits with deadlines (no
// fixed sleeps). Header-only so every test file of this folder can use it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace uw::test {

struct SseEvent {
  std::string id, event, data;
};

class SseClient {
 public:
  // Opens GET `target` on 127.0.0.1:port with optional extra header lines.
  SseClient(uint16_t port, const std::string& target, const std::vector<std::string>& headers = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& h : headers) req += h + "\r\n";
    req += "\r\n";
    (void)::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
    thread_ = std::thread([this] { run(); });
  }
  ~SseClient() { close(); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  void close() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Waits until the status line and headers arrived; returns the status (0 on timeout/closed).
  int wait_status(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock l(mu_);
    cv_.wait_for(l, timeout, [&] { return status_ != 0 || closed_; });
    return status_;
  }
  std::string head() {
    std::lock_guard l(mu_);
    return head_;
  }
  std::string raw() {
    std::lock_guard l(mu_);
    return raw_;
  }
  // Waits for an event matching pred; returns true if one arrived in time.
  bool wait_event(const std::function<bool(const SseEvent&)>& pred, std::chrono::milliseconds timeout,
                  SseEvent* out = nullptr) {
    std::unique_lock l(mu_);
    bool ok = cv_.wait_for(l, timeout, [&] {
      for (const auto& e : events_)
        if (pred(e)) {
          if (out) *out = e;
          return true;
        }
      return closed_;
    });
    if (!ok) return false;
    for (const auto& e : events_)
      if (pred(e)) return true;
    return false;
  }
  size_t count() {
    std::lock_guard l(mu_);
    return events_.size();
  }
  std::vector<SseEvent> events() {
    std::lock_guard l(mu_);
    return events_;
  }
  bool closed() {
    std::lock_guard l(mu_);
    return closed_;
  }
  // Waits for the server to close the stream.
  bool wait_closed(std::chrono::milliseconds timeout) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return closed_; });
  }
  bool connected() const { return fd_ >= 0; }

 private:
  void run() {
    std::string buf;
    bool in_body = false;
    char tmp[16384];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, 50);
      if (r <= 0) continue;
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      std::lock_guard l(mu_);
      raw_.append(tmp, static_cast<size_t>(n));
      buf.append(tmp, static_cast<size_t>(n));
      if (!in_body) {
        auto end = buf.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        head_ = buf.substr(0, end);
        if (head_.size() > 12) status_ = std::atoi(head_.c_str() + 9);
        if (status_ == 0) status_ = -1;
        buf.erase(0, end + 4);
        in_body = true;
      }
      size_t pos;
      while ((pos = buf.find("\n\n")) != std::string::npos) {
        std::string block = buf.substr(0, pos);
        buf.erase(0, pos + 2);
        SseEvent e;
        bool any = false;
        size_t s = 0;
        while (s <= block.size()) {
          size_t nl = block.find('\n', s);
          if (nl == std::string::npos) nl = block.size();
          std::string line = block.substr(s, nl - s);
          s = nl + 1;
          auto field = [&](const char* name, std::string* dst) {
            std::string pre = std::string(name) + ":";
            if (line.rfind(pre, 0) != 0) return false;
            std::string v = line.substr(pre.size());
            if (!v.empty() && v[0] == ' ') v.erase(0, 1);
            *dst += v;
            return true;
          };
          if (field("id", &e.id) || field("event", &e.event) || field("data", &e.data)) any = true;
        }
        if (any && !e.data.empty()) events_.push_back(e);
      }
      cv_.notify_all();
    }
    std::lock_guard l(mu_);
    closed_ = true;
    cv_.notify_all();
  }

  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  int status_ = 0;
  bool closed_ = false;
  std::string head_, raw_;
  std::vector<SseEvent> events_;
};

// Polls cond until true or the deadline passes.
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

}  // namespace uw::test
