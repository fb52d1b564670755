// uw::http::Server and Responder: the public face, the listener, accept and shutdown.
// Per-connection work lives in connection.cpp.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>

#include "core/http/engine.hpp"

namespace uw::http {

// ---- Responder --------------------------------------------------------------

void Responder::send(Response r) const {
  auto s = shared_.lock();
  if (!s || !s->engine) return;
  s->engine->respond(conn_id_, request_seq_, std::move(r));
}

bool Responder::start_stream(int status, std::vector<std::pair<std::string, std::string>> headers) const {
  auto s = shared_.lock();
  if (!s || !s->engine) return false;
  return s->engine->start_stream(conn_id_, request_seq_, status, std::move(headers));
}

// ---- Server -----------------------------------------------------------------

struct Server::Impl {
  Impl(uv_loop_t* loop, Limits limits, Handler handler) : engine(loop, limits, std::move(handler)) {}
  detail::Engine engine;
};

Server::Server(uv_loop_t* loop, Limits limits, Handler handler)
    : shared_(std::make_shared<Responder::Shared>()),
      impl_(std::make_unique<Impl>(loop, limits, std::move(handler))) {
  shared_->engine = &impl_->engine;
  impl_->engine.shared_ = shared_;
}

Server::~Server() { shared_->engine = nullptr; }

int Server::listen(const std::string& host, uint16_t port) { return impl_->engine.listen(host, port); }
uint16_t Server::port() const { return impl_->engine.port_; }
const std::string& Server::host() const { return impl_->engine.host_; }
WriteResult Server::stream_write(uint64_t conn_id, std::string_view bytes) {
  return impl_->engine.stream_write(conn_id, bytes);
}
void Server::close_connection(uint64_t conn_id) { impl_->engine.close_connection(conn_id); }
size_t Server::queued_bytes(uint64_t conn_id) const { return impl_->engine.queued_bytes(conn_id); }
void Server::on_close(std::function<void(uint64_t)> cb) { impl_->engine.close_cb_ = std::move(cb); }
void Server::on_response(ResponseHook hook) { impl_->engine.hook_ = std::move(hook); }
void Server::shutdown(uint64_t grace_ms, std::function<void()> done) {
  impl_->engine.shutdown(grace_ms, std::move(done));
}
ServerStats Server::stats() const { return impl_->engine.stats(); }

// ---- Engine: listener and shutdown -------------------------------------------

namespace detail {

Engine::~Engine() {
  // The Server must only be destroyed once shutdown() has called done.
  assert(live_conns_ == 0 && server_handles_open_ == 0);
}

namespace {

// Accepts per readiness callback, so one busy listener cannot starve the loop.
constexpr int kAcceptBatch = 64;
// A connection whose descriptor number is this close to the open-file limit is
// answered 503 (the normal way, with its lingering close): every lower number
// is in use, so at most this many descriptors are left for the store, the log
// and the refusals themselves.
constexpr uint64_t kFdHeadroom = 16;

int open_spare() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

int Engine::listen(const std::string& host, uint16_t port) {
  if (listener_open_ || shutting_down_) return UV_EINVAL;
  sockaddr_storage addr{};
  int rc = host.find(':') != std::string::npos
               ? uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr))
               : uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0) return rc;
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  auto fail = [fd] {
    int err = -errno;
    ::close(fd);
    return err;
  };
  int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) return fail();
  socklen_t alen = addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), alen) != 0) return fail();
  if (::listen(fd, 511) != 0) return fail();
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen) != 0) return fail();
  if ((rc = uv_poll_init_socket(loop_, &listen_poll_, fd)) != 0) {
    ::close(fd);
    return rc;
  }
  listen_fd_ = fd;
  listen_poll_.data = this;
  listener_open_ = true;
  ++server_handles_open_;
  uv_timer_init(loop_, &accept_pause_);
  accept_pause_.data = this;
  accept_pause_open_ = true;
  ++server_handles_open_;
  uv_timer_init(loop_, &trim_timer_);
  trim_timer_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&trim_timer_));
  trim_timer_open_ = true;
  ++server_handles_open_;
  spare_fd_ = open_spare();
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
    fd_soft_limit_ = nofile.rlim_cur;
  if ((rc = uv_poll_start(&listen_poll_, UV_READABLE, &Engine::on_listen_readable)) != 0) return rc;
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  host_ = host;
  return 0;
}

void Engine::on_listen_readable(uv_poll_t* h, int status, int) {
  auto* e = static_cast<Engine*>(h->data);
  if (status < 0 || e->shutting_down_) return;
  e->accept_ready();
}

void Engine::accept_ready() {
  for (int i = 0; i < kAcceptBatch && listener_open_ && !shutting_down_; ++i) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      accept_one(fd);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if ((errno == EMFILE || errno == ENFILE) && refuse_with_spare()) continue;
    return;  // EAGAIN: nothing more waits (or an error accept will report again)
  }
}

// Out of descriptors: frees the spare, accepts the waiting client into it,
// answers 503 and closes, then takes the spare again. When even the spare is
// gone (another thread took the descriptor), accepting pauses for 50 ms rather
// than spinning on a listener that stays readable. Returns whether to go on.
bool Engine::refuse_with_spare() {
  if (spare_fd_ >= 0) {
    ::close(spare_fd_);
    spare_fd_ = -1;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    const int accept_errno = errno;
    if (fd >= 0) answer_and_close_raw(fd);
    spare_fd_ = open_spare();
    if (fd >= 0 && spare_fd_ >= 0) return true;
    if (fd < 0 && accept_errno == EAGAIN) return false;
  }
  if (spare_fd_ < 0) spare_fd_ = open_spare();
  if (spare_fd_ >= 0) return true;
  uv_poll_stop(&listen_poll_);
  uv_timer_start(
      &accept_pause_,
      [](uv_timer_t* t) {
        auto* e = static_cast<Engine*>(t->data);
        if (e->listener_open_ && !e->shutting_down_)
          uv_poll_start(&e->listen_poll_, UV_READABLE, &Engine::on_listen_readable);
      },
      50, 0);
  return false;
}

// The answer a client gets when there is no descriptor to keep it open with:
// what it has sent so far is read (so closing does not reset the connection
// over our answer), the 503 written in one non-blocking send (a few hundred
// bytes: the socket buffer takes it), FIN sent, and the descriptor closed.
void Engine::answer_and_close_raw(int fd) {
  ++fd_exhausted_total_;
  ++rejected_total_;
  char sink[4096];
  auto drain = [&] {
    for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
  };
  drain();
  Response r = Response::text(503, "The server is out of file descriptors; try again later.\n");
  r.set("Retry-After", "1");
  if (hook_) hook_(RequestInfo{"", "", "", uv_hrtime()}, r);
  scratch_.clear();
  wire::serialise(r, date_.now(), false, false, false, scratch_);
  (void)::send(fd, scratch_.data(), scratch_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  drain();
  ::close(fd);
}

void Engine::accept_one(int fd) {
  auto* c = new Conn(this, next_id_++, limits_);
  ++live_conns_;
  uv_tcp_init(loop_, &c->tcp);
  uv_timer_init(loop_, &c->timer);
  c->tcp.data = c;
  c->timer.data = c;
  c->open_handles = 2;
  conns_.emplace(c->id, c);
  if (uv_tcp_open(&c->tcp, fd) != 0) {
    ::close(fd);
    c->rejected = true;  // never counted as active
    close(c);
    return;
  }
  ++accepted_total_;
  uv_tcp_nodelay(&c->tcp, 1);
  sockaddr_storage peer{};
  int len = sizeof peer;
  if (uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
    char ip[INET6_ADDRSTRLEN] = {0};
    if (peer.ss_family == AF_INET6)
      uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&peer), ip, sizeof ip);
    else
      uv_ip4_name(reinterpret_cast<sockaddr_in*>(&peer), ip, sizeof ip);
    c->peer_ip = ip;
  }
  ensure_reading(c);
  if (active_ >= limits_.max_connections) {
    c->rejected = true;
    send_error(c, 503, "The server has too many connections; try again later.");
    return;
  }
  if (fd_soft_limit_ > kFdHeadroom && static_cast<uint64_t>(fd) >= fd_soft_limit_ - kFdHeadroom) {
    c->rejected = true;
    ++fd_exhausted_total_;
    send_error(c, 503, "The server is out of file descriptors; try again later.");
    return;
  }
  ++active_;
  // A fresh connection that sends nothing is dropped silently.
  arm(c, std::min(limits_.idle_timeout_ms, limits_.header_timeout_ms));
}

void Engine::shutdown(uint64_t grace_ms, std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  done_ = std::move(done);
  if (listener_open_) {
    listener_open_ = false;
    uv_poll_stop(&listen_poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(&listen_poll_), &Engine::on_server_handle_closed);
    ::close(listen_fd_);  // not polled any more
    listen_fd_ = -1;
  }
  if (accept_pause_open_) {
    accept_pause_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&accept_pause_), &Engine::on_server_handle_closed);
  }
  if (trim_timer_open_) {
    trim_timer_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&trim_timer_), &Engine::on_server_handle_closed);
  }
  if (spare_fd_ >= 0) {
    ::close(spare_fd_);
    spare_fd_ = -1;
  }
  uv_timer_init(loop_, &grace_timer_);
  grace_timer_.data = this;
  grace_open_ = true;
  ++server_handles_open_;
  uv_timer_start(
      &grace_timer_,
      [](uv_timer_t* t) {
        auto* e = static_cast<Engine*>(t->data);
        std::vector<Conn*> all;
        for (auto& [id, c] : e->conns_) all.push_back(c);
        for (Conn* c : all) e->close(c);
      },
      grace_ms, 0);
  // In-flight requests finish (their responses close the connection); the rest go now.
  std::vector<Conn*> idle;
  for (auto& [id, c] : conns_)
    if (c->phase != Phase::Handling && c->phase != Phase::Lingering) idle.push_back(c);
  for (Conn* c : idle) close(c);
  conn_freed();  // closes the grace timer at once if nothing is left
}

// Called whenever a connection is freed (and once from shutdown): when the last
// connection of a shutting-down server is gone, the grace timer is closed.
void Engine::conn_freed() {
  if (!shutting_down_ || live_conns_ != 0) return;
  if (grace_open_ && !grace_closing_) {
    grace_closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&grace_timer_), &Engine::on_server_handle_closed);
  }
}

void Engine::on_server_handle_closed(uv_handle_t* h) {
  auto* e = static_cast<Engine*>(h->data);
  --e->server_handles_open_;
  e->maybe_done();
}

// Must be the last thing its caller does: done() may destroy the Server.
void Engine::maybe_done() {
  if (!shutting_down_ || live_conns_ != 0 || server_handles_open_ != 0 || !done_) return;
  auto done = std::move(done_);
  done_ = nullptr;
  done();
}

ServerStats Engine::stats() const {
  ServerStats s;
  s.active_connections = active_;
  s.accepted_total = accepted_total_;
  s.rejected_total = rejected_total_;
  s.fd_exhausted_total = fd_exhausted_total_;
  for (const auto& [id, c] : conns_) {
    s.queued_bytes += c->tcp.write_queue_size;
    s.buffered_input_bytes += c->inbuf.size() - c->in_off;
    bool waiting = (c->phase == Phase::Idle || c->phase == Phase::Reading) && c->in_off < c->inbuf.size() &&
                   c->tcp.write_queue_size > limits_.max_pipeline_backlog_bytes;
    if (waiting) ++s.paused_connections;
  }
  return s;
}

}  // namespace detail
}  // namespace uw::http
