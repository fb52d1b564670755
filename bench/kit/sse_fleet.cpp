#include "bench/kit/sse_fleet.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace uw::kit {

int connect_sse(uint16_t port, const std::string& target, const std::vector<std::string>& headers,
                int rcvbuf) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0 && ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  req += "\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One stream: its socket and parser, and the adapter that tags what the parser
// reports. Touched only by the reader thread once open() registered it.
struct SseFleet::Stream final : SseParser::Sink {
  Stream(Handler& h, int f, uint64_t t) : handler(h), fd(f), tag(t) {}
  void on_head(int status, std::string_view head) override { handler.on_head(tag, status, head); }
  void on_event(const SseEvent& event) override { handler.on_event(tag, event); }
  void on_comment(std::string_view text) override { handler.on_comment(tag, text); }

  Handler& handler;
  int fd;
  uint64_t tag;
  bool open = true;
  SseParser parser;
};

SseFleet::SseFleet(Handler& handler) : handler_(handler) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { run(); });
}

SseFleet::~SseFleet() { stop(); }

Result<Unit> SseFleet::open(uint16_t port, const std::string& target, uint64_t tag,
                            const std::vector<std::string>& headers) {
  const int fd = connect_sse(port, target, headers);
  if (fd < 0) return Error{502, "sse_stream", std::strerror(errno)};
  auto s = std::make_unique<Stream>(handler_, fd, tag);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.ptr = s.get();
  std::lock_guard lk(mu_);
  if (stop_) {
    ::close(fd);
    return Error{502, "sse_stream", "the fleet is stopped"};
  }
  streams_.push_back(std::move(s));
  // Registered under the lock, so stop() cannot close the socket in between.
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  return Unit{};
}

void SseFleet::stop() {
  {
    std::lock_guard lk(mu_);
    if (stop_.exchange(true)) return;
  }
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  std::lock_guard lk(mu_);
  for (auto& s : streams_) ::close(s->fd);
  streams_.clear();
  ::close(wake_fd_);
  ::close(epfd_);
}

void SseFleet::run() {
  epoll_event evs[256];
  // One buffer for every stream: a read is parsed before the next one.
  std::vector<char> buf(1 << 16);
  while (!stop_) {
    const int n = ::epoll_wait(epfd_, evs, 256, 200);
    for (int i = 0; i < n && !stop_; ++i) {
      auto* s = static_cast<Stream*>(evs[i].data.ptr);
      if (s != nullptr) read(*s, buf.data(), buf.size());
    }
  }
}

void SseFleet::read(Stream& s, char* buf, size_t size) {
  if (!s.open) return;
  // One read per wake-up: level-triggered epoll brings us back while more is
  // waiting, so a busy stream cannot starve the others.
  ssize_t n = ::recv(s.fd, buf, size, MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    s.open = false;
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, s.fd, nullptr);
    handler_.on_closed(s.tag);
    return;
  }
  const std::string_view bytes(buf, static_cast<size_t>(n));
  handler_.on_bytes(s.tag, bytes);
  s.parser.feed(bytes, s);
}

}  // namespace uw::kit
