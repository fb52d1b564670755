#include "notifier-udp/tcp_ingest.hpp"

#include <cstring>

#include "core/clock.hpp"
#include "notifier-udp/event_log.hpp"
#include "notifier-udp/ingest.hpp"
#include "sign/envelope.hpp"

namespace uw::notifier {

namespace {

constexpr size_t kReadBytes = size_t{64} * 1024;
// Acks a peer has not read: beyond this it is not reading at all.
constexpr size_t kMaxUnreadAcks = size_t{64} * 1024;

Error tcp_error(std::string message) { return Error{500, "tcp_listen", std::move(message)}; }

struct AckReq {
  uv_write_t req{};
  uint8_t bytes[8]{};
};

}  // namespace

struct TcpIngest::Conn {
  TcpIngest* owner = nullptr;
  uint64_t id = 0;
  uv_tcp_t h{};
  sockaddr_storage peer{};
  bool have_peer = false;
  std::vector<uint8_t> buf;  // a partial frame (and, briefly, the read that completes it)
  uint64_t frames = 0;       // processed on this connection: what the acks carry
  uint64_t last_rx_ms = 0;
  uint64_t partial_since_ms = 0;  // 0: no partial frame held
  bool closing = false;
  std::string peer_text() const {
    return have_peer ? addr_text(reinterpret_cast<const sockaddr*>(&peer)) : "?";
  }
};

TcpIngest::TcpIngest(uv_loop_t* loop, Options opts, Ingest& ingest, EventLog& log)
    : loop_(loop), opts_(std::move(opts)), ingest_(ingest), log_(log), scratch_(kReadBytes) {}

TcpIngest::~TcpIngest() = default;

Result<Unit> TcpIngest::start() {
  sockaddr_storage addr{};
  if (uv_ip4_addr(opts_.host.c_str(), opts_.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(opts_.host.c_str(), opts_.port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0)
    return tcp_error("bad TCP listen address " + opts_.host);
  int rc = uv_tcp_init(loop_, &server_);
  if (rc != 0) return tcp_error(std::string("tcp init: ") + uv_strerror(rc));
  server_.data = this;
  server_open_ = true;
  rc = uv_tcp_bind(&server_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server_), 128, on_connection);
  if (rc != 0)
    return tcp_error("tcp listen " + opts_.host + ":" + std::to_string(opts_.port) + ": " + uv_strerror(rc));
  sockaddr_storage bound{};
  int len = sizeof bound;
  if (uv_tcp_getsockname(&server_, reinterpret_cast<sockaddr*>(&bound), &len) == 0)
    port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                             : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return Unit{};
}

size_t TcpIngest::buffered_bytes() const {
  size_t n = 0;
  for (const auto& [id, c] : conns_) n += c->buf.size();
  return n;
}

void TcpIngest::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<TcpIngest*>(server->data);
  if (status < 0 || self->closing_) return;
  auto owned = std::make_unique<Conn>();
  Conn* c = owned.get();
  c->owner = self;
  c->id = self->next_id_++;
  if (uv_tcp_init(self->loop_, &c->h) != 0) return;
  c->h.data = c;
  self->conns_.emplace(c->id, std::move(owned));
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->h)) != 0) {
    self->drop(*c, nullptr);
    return;
  }
  int len = sizeof c->peer;
  c->have_peer = uv_tcp_getpeername(&c->h, reinterpret_cast<sockaddr*>(&c->peer), &len) == 0;
  size_t live = 0;
  for (const auto& [id, other] : self->conns_) live += other->closing ? 0 : 1;
  if (live > self->opts_.max_connections) {
    ++self->stats_.refused_full;
    self->drop(*c, "too_many_connections");
    return;
  }
  ++self->stats_.accepted;
  c->last_rx_ms = uv_now(self->loop_);
  (void)uv_tcp_nodelay(&c->h, 1);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->h),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        // libuv calls the read callback right after this, before any other
        // allocation: one scratch buffer serves every connection.
        auto* conn = static_cast<Conn*>(h->data);
        *b = uv_buf_init(conn->owner->scratch_.data(), static_cast<unsigned>(conn->owner->scratch_.size()));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
        auto* conn = static_cast<Conn*>(s->data);
        if (n < 0) {
          conn->owner->drop(*conn, n == UV_EOF ? nullptr : uv_strerror(static_cast<int>(n)));
          return;
        }
        if (n > 0) conn->owner->read(*conn, b->base, static_cast<size_t>(n));
      });
}

void TcpIngest::read(Conn& c, const char* p, size_t n) {
  if (c.closing) return;
  stats_.bytes += n;
  c.last_rx_ms = uv_now(loop_);
  const auto* in = reinterpret_cast<const uint8_t*>(p);
  // Frames are parsed straight from the read when nothing is held over.
  const uint8_t* data = in;
  size_t len = n;
  if (!c.buf.empty()) {
    c.buf.insert(c.buf.end(), in, in + n);
    data = c.buf.data();
    len = c.buf.size();
  }
  const auto* peer = c.have_peer ? reinterpret_cast<const sockaddr*>(&c.peer) : nullptr;
  size_t off = 0;
  uint64_t before = c.frames;
  while (len - off >= 4) {
    uint32_t flen = (uint32_t{data[off]} << 24) | (uint32_t{data[off + 1]} << 16) |
                    (uint32_t{data[off + 2]} << 8) | uint32_t{data[off + 3]};
    if (flen == 0 || flen > sign::kMaxDatagram) {
      // Nothing after a bad length can be trusted to start a frame.
      ++stats_.bad_length;
      ingest_.count_framing_reject(Transport::Tcp, IngestReject::Oversized, c.peer_text(), flen);
      drop(c, "bad_length");
      return;
    }
    if (len - off - 4 < flen) break;
    ++stats_.frames;
    ++c.frames;
    (void)ingest_.offer(Transport::Tcp, std::span<const uint8_t>(data + off + 4, flen), peer);
    off += 4 + flen;
  }
  if (data == c.buf.data() && !c.buf.empty()) {
    c.buf.erase(c.buf.begin(), c.buf.begin() + static_cast<std::ptrdiff_t>(off));
  } else {
    c.buf.assign(data + off, data + len);
  }
  if (c.buf.empty()) {
    c.partial_since_ms = 0;
    // A buffer that grew for one big read goes back to nothing.
    if (c.buf.capacity() > 2 * (4 + sign::kMaxDatagram)) c.buf.shrink_to_fit();
  } else if (c.partial_since_ms == 0) {
    c.partial_since_ms = c.last_rx_ms;
  }
  if (c.frames != before) ack(c);
}

void TcpIngest::ack(Conn& c) {
  if (uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&c.h)) > kMaxUnreadAcks) {
    ++stats_.slow_readers;
    drop(c, "acks_unread");
    return;
  }
  auto* a = new AckReq;
  for (int i = 0; i < 8; ++i) a->bytes[i] = static_cast<uint8_t>(c.frames >> (56 - 8 * i));
  uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(a->bytes), 8);
  int rc = uv_write(&a->req, reinterpret_cast<uv_stream_t*>(&c.h), &b, 1,
                    [](uv_write_t* w, int) { delete reinterpret_cast<AckReq*>(w); });
  if (rc != 0) {
    delete a;
    drop(c, uv_strerror(rc));
  }
}

void TcpIngest::sweep() {
  uint64_t now = uv_now(loop_);
  for (auto& [id, cp] : conns_) {
    Conn& c = *cp;
    if (c.closing) continue;
    // A frame begun and never finished is the more telling reason: say that one.
    if (c.partial_since_ms != 0 && now - c.partial_since_ms > opts_.idle_ms) {
      ++stats_.idle_closed;
      drop(c, "partial_frame");
    } else if (now - c.last_rx_ms > opts_.idle_ms) {
      ++stats_.idle_closed;
      drop(c, "idle");
    }
  }
}

void TcpIngest::drop(Conn& c, const char* why) {
  if (c.closing) return;
  c.closing = true;
  if (why) {
    uint64_t suppressed = 0;
    if (log_.allow_flood_line(static_cast<uint64_t>(clock::now_ms()), &suppressed))
      log_.write(LogLevel::Info, "tcp_closed",
                 {{"reason", why},
                  {"from", c.peer_text()},
                  {"frames", c.frames},
                  {"held", static_cast<uint64_t>(c.buf.size())},
                  {"suppressed", suppressed}});
  }
  c.buf.clear();
  c.buf.shrink_to_fit();
  uv_close(reinterpret_cast<uv_handle_t*>(&c.h),
           [](uv_handle_t* h) { static_cast<Conn*>(h->data)->owner->closed(static_cast<Conn*>(h->data)); });
}

void TcpIngest::closed(Conn* c) {
  conns_.erase(c->id);
  maybe_done();
}

void TcpIngest::maybe_done() {
  if (closing_ && !server_open_ && conns_.empty() && done_) {
    auto d = std::move(done_);
    d();
  }
}

void TcpIngest::close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  done_ = std::move(done);
  for (auto& [id, c] : conns_) drop(*c, nullptr);
  if (server_open_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&server_), [](uv_handle_t* h) {
      auto* self = static_cast<TcpIngest*>(h->data);
      self->server_open_ = false;
      self->maybe_done();
    });
  } else {
    maybe_done();
  }
}

}  // namespace uw::notifier
