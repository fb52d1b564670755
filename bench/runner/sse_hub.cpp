#include "bench/runner/sse_hub.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

namespace uw::bench {
namespace {

// open()'s failures: the connect or the request failed (strerror text).
Error stream_error(std::string message) { return Error{502, "sse_stream", std::move(message)}; }

}  // namespace

double steady_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

struct SseHub::Stream {
  int fd = -1;
  uint32_t user = 0;
  bool headers_done = false;
  bool counted_connected = false;
  bool dead = false;
  std::string buf;          // unparsed bytes
  std::string event, data;  // the event being assembled
};

SseHub::SseHub() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { run(); });
}

SseHub::~SseHub() {
  stop_ = true;
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
  for (auto& s : streams_)
    if (s->fd >= 0) ::close(s->fd);
  ::close(wake_fd_);
  ::close(epfd_);
}

Result<Unit> SseHub::open(uint16_t port, const std::string& path, uint32_t user_id) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return stream_error(std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::string e = std::strerror(errno);
    ::close(fd);
    return stream_error(std::move(e));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    std::string e = std::strerror(errno);
    ::close(fd);
    return stream_error(std::move(e));
  }
  auto s = std::make_unique<Stream>();
  s->fd = fd;
  s->user = user_id;
  size_t index;
  {
    std::lock_guard lk(mu_);
    index = streams_.size();
    streams_.push_back(std::move(s));
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = index;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  return Unit{};
}

std::vector<Receipt> SseHub::take() {
  std::lock_guard lk(mu_);
  std::vector<Receipt> r;
  r.swap(out_);
  return r;
}

void SseHub::run() {
  epoll_event evs[128];
  while (!stop_) {
    int n = ::epoll_wait(epfd_, evs, 128, 200);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.u64 == UINT64_MAX) continue;  // wake-up
      Stream* s;
      {
        std::lock_guard lk(mu_);
        s = streams_[evs[i].data.u64].get();  // the vector may grow; the Stream does not move
      }
      on_readable(*s);
    }
  }
}

void SseHub::on_readable(Stream& s) {
  if (s.dead) return;
  char tmp[16384];
  for (;;) {
    ssize_t n = ::recv(s.fd, tmp, sizeof tmp, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      s.dead = true;
      ::epoll_ctl(epfd_, EPOLL_CTL_DEL, s.fd, nullptr);
      ++closed_;
      return;
    }
    s.buf.append(tmp, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof tmp) break;
  }
  if (!s.headers_done) {
    auto end = s.buf.find("\r\n\r\n");
    if (end == std::string::npos) return;
    const bool ok = s.buf.rfind("HTTP/1.1 200", 0) == 0;
    s.buf.erase(0, end + 4);
    s.headers_done = true;
    if (!ok) {
      s.dead = true;
      ::epoll_ctl(epfd_, EPOLL_CTL_DEL, s.fd, nullptr);
      ++closed_;
      return;
    }
  }
  // SSE: lines end with \n (or \r\n); a blank line dispatches the event.
  size_t pos = 0;
  for (;;) {
    auto nl = s.buf.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string_view line(s.buf.data() + pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (!s.data.empty()) dispatch(s, s.event, s.data);
      s.event.clear();
      s.data.clear();
      continue;
    }
    if (line[0] == ':') {
      if (!s.counted_connected && line.find("connected") != std::string_view::npos) {
        s.counted_connected = true;
        ++connected_;
      }
      continue;
    }
    auto colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    if (field == "event")
      s.event = value;
    else if (field == "data") {
      if (!s.data.empty()) s.data += '\n';
      s.data += value;
    }
  }
  s.buf.erase(0, pos);
}

void SseHub::dispatch(Stream& s, const std::string& event, const std::string& data) {
  const double now = steady_ms();
  auto j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    ++bad_;
    return;
  }
  Receipt r;
  r.at_ms = now;
  r.key.recipient = s.user;
  const std::string kind = event.empty() ? j.value("kind", "") : event;
  if (kind == "uweet")
    r.key.kind = 'u';
  else if (kind == "mention")
    r.key.kind = 'm';
  else if (kind == "follow")
    return;  // the bench does not measure follow notifications
  else {
    ++bad_;
    return;
  }
  r.key.uweet_id = j.value("uweet_id", int64_t{0});
  std::lock_guard lk(mu_);
  out_.push_back(r);
  ++receipts_count_;
}

}  // namespace uw::bench
