#include "bench/kit/reset_relay.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace uw::kit {

namespace {

constexpr size_t kReadChunk = size_t{64} * 1024;
constexpr size_t kMaxPending = size_t{256} * 1024;  // per direction: stop reading the other side beyond it

Error sys_error(const char* call) {
  return Error{500, "relay", std::string(call) + ": " + std::strerror(errno)};
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Closes with an RST instead of a FIN: what a broken connection looks like.
void reset_close(int fd) {
  struct linger l {};
  l.l_onoff = 1;
  l.l_linger = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

struct Pair {
  int client = -1, upstream = -1;
  std::string to_upstream, to_client;  // bytes read, not yet written
  bool client_eof = false, upstream_eof = false;
};

// Writes as much of `pending` as the socket takes; false on a write error.
bool flush(int fd, std::string& pending) {
  while (!pending.empty()) {
    ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    pending.erase(0, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

ResetRelay::~ResetRelay() { stop(); }

Result<Unit> ResetRelay::start(const ResetRelayConfig& config) {
  cfg_ = config;
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return sys_error("socket");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback(0);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return sys_error("bind");
  if (::listen(listen_fd_, 64) != 0) return sys_error("listen");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  set_nonblocking(listen_fd_);
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) return sys_error("pipe2");
  thread_ = std::thread([this] { run(); });
  return Unit{};
}

void ResetRelay::reset_all() {
  if (thread_.joinable()) {
    char b = 'r';
    (void)!::write(wake_[1], &b, 1);
  }
}

void ResetRelay::stop() {
  if (thread_.joinable()) {
    char b = 's';
    (void)!::write(wake_[1], &b, 1);
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void ResetRelay::run() {
  std::mt19937_64 rng(cfg_.seed);
  std::bernoulli_distribution reset(cfg_.reset_probability);
  std::vector<Pair> pairs;
  std::vector<pollfd> fds;
  std::vector<char> buf(kReadChunk);
  for (;;) {
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& p : pairs) {
      short c = 0, u = 0;
      if (!p.client_eof && p.to_upstream.size() < kMaxPending) c |= POLLIN;
      if (!p.upstream_eof && p.to_client.size() < kMaxPending) u |= POLLIN;
      if (!p.to_client.empty()) c |= POLLOUT;
      if (!p.to_upstream.empty()) u |= POLLOUT;
      fds.push_back({p.client, c, 0});
      fds.push_back({p.upstream, u, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) {
      char cmd[64];
      ssize_t n = ::read(wake_[0], cmd, sizeof cmd);
      bool stop = false, reset_now = false;
      for (ssize_t i = 0; i < n; ++i) (cmd[i] == 's' ? stop : reset_now) = true;
      if (stop) break;
      if (reset_now) {
        resets_.fetch_add(pairs.size());  // first: a reader who saw the close sees the count
        for (auto& p : pairs) {
          reset_close(p.client);
          reset_close(p.upstream);
        }
        pairs.clear();
        continue;  // the pollfds named the closed sockets
      }
    }
    // Service the pairs first (their pollfds are at 2 + 2i), then accept.
    std::vector<bool> drop(pairs.size(), false);
    for (size_t i = 0; i < pairs.size(); ++i) {
      Pair& p = pairs[i];
      const short cre = fds[2 + 2 * i].revents, ure = fds[3 + 2 * i].revents;
      bool broken = false;
      if ((cre & (POLLIN | POLLHUP | POLLERR)) != 0 && !p.client_eof) {
        ssize_t n = ::recv(p.client, buf.data(), buf.size(), 0);
        if (n > 0) {
          if (reset(rng)) {
            resets_.fetch_add(1);
            broken = true;
          } else {
            chunks_.fetch_add(1);
            p.to_upstream.append(buf.data(), static_cast<size_t>(n));
          }
        } else if (n == 0) {
          p.client_eof = true;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
          broken = true;
        }
      }
      if (!broken && (ure & (POLLIN | POLLHUP | POLLERR)) != 0 && !p.upstream_eof) {
        ssize_t n = ::recv(p.upstream, buf.data(), buf.size(), 0);
        if (n > 0)
          p.to_client.append(buf.data(), static_cast<size_t>(n));
        else if (n == 0)
          p.upstream_eof = true;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
          broken = true;
      }
      if (!broken) broken = !flush(p.upstream, p.to_upstream) || !flush(p.client, p.to_client);
      // A side that ended and has nothing left to pass on ends the pair.
      if (!broken && ((p.client_eof && p.to_upstream.empty()) || (p.upstream_eof && p.to_client.empty())))
        broken = true;
      if (broken) {
        reset_close(p.client);
        reset_close(p.upstream);
        drop[i] = true;
      }
    }
    std::vector<Pair> kept;
    kept.reserve(pairs.size());
    for (size_t i = 0; i < pairs.size(); ++i)
      if (!drop[i]) kept.push_back(std::move(pairs[i]));
    pairs.swap(kept);
    if ((fds[1].revents & POLLIN) != 0) {
      for (;;) {
        int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) break;
        accepted_.fetch_add(1);
        int u = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = loopback(cfg_.upstream_port);
        // A loopback connect completes (or is refused) at once.
        if (u < 0 || ::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
          refused_.fetch_add(1);
          if (u >= 0) ::close(u);
          reset_close(c);
          continue;
        }
        set_nonblocking(u);
        Pair p;
        p.client = c;
        p.upstream = u;
        pairs.push_back(std::move(p));
      }
    }
  }
  for (auto& p : pairs) {
    reset_close(p.client);
    reset_close(p.upstream);
  }
}

}  // namespace uw::kit
