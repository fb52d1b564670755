// uw::http::Server and Responder: the public face, the listener, accept and shutdown.
// Per-connection work lives in connection.cpp.
#include <cassert>

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

int Engine::listen(const std::string& host, uint16_t port) {
  if (listener_open_ || shutting_down_) return UV_EINVAL;
  sockaddr_storage addr{};
  int rc = host.find(':') != std::string::npos
               ? uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr))
               : uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0) return rc;
  if ((rc = uv_tcp_init(loop_, &listener_)) != 0) return rc;
  listener_.data = this;
  listener_open_ = true;
  ++server_handles_open_;
  if ((rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0)) != 0) return rc;
  if ((rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 511, &Engine::on_connection)) != 0)
    return rc;
  sockaddr_storage bound{};
  int len = sizeof bound;
  if ((rc = uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len)) != 0) return rc;
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  host_ = host;
  return 0;
}

void Engine::on_connection(uv_stream_t* server, int status) {
  auto* e = static_cast<Engine*>(server->data);
  if (status < 0 || e->shutting_down_) return;
  e->accept_one();
}

void Engine::accept_one() {
  auto* c = new Conn(this, next_id_++, limits_);
  ++live_conns_;
  uv_tcp_init(loop_, &c->tcp);
  uv_timer_init(loop_, &c->timer);
  c->tcp.data = c;
  c->timer.data = c;
  c->open_handles = 2;
  conns_.emplace(c->id, c);
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_), reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
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
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), &Engine::on_server_handle_closed);
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
  return s;
}

}  // namespace detail
}  // namespace uw::http
