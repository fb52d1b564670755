#include "notifier-udp/ingest.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "notifier-udp/event_log.hpp"
#include "notifier-udp/kernel_drops.hpp"

namespace uw::notifier {

namespace {

// libuv splits the buffer into 64 KiB slots for recvmmsg and reads at most 20
// datagrams per call (UV__MMSG_MAXWIDTH), so 20 slots make one full batch.
constexpr size_t kSlot = 64 * 1024;
constexpr size_t kSlots = 20;

int64_t wall_ms() {
  uv_timeval64_t tv;
  uv_gettimeofday(&tv);
  return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

}  // namespace

const char* ingest_reject_name(IngestReject r) {
  switch (r) {
    case IngestReject::DisallowedSource:
      return "disallowed_source";
    case IngestReject::Oversized:
      return "oversized";
    case IngestReject::Count_:
      break;
  }
  return "?";
}

std::string addr_text(const sockaddr* addr) {
  if (!addr) return "?";
  char ip[64] = "?";
  int port = 0;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    uv_ip4_name(in, ip, sizeof ip);
    port = ntohs(in->sin_port);
    return std::string(ip) + ":" + std::to_string(port);
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    uv_ip6_name(in6, ip, sizeof ip);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(ip) + "]:" + std::to_string(port);
  }
  return "?";
}

Ingest::Ingest(uv_loop_t* loop, const sign::KeyRing& keys, Options opts, EventLog& log, EventFn on_event)
    : loop_(loop),
      opts_(std::move(opts)),
      log_(log),
      on_event_(std::move(on_event)),
      verifier_(keys, opts_.verify) {
  verifier_.on_note([this](const sign::SenderNote& n) {
    std::string key = sign::hex(n.key_id);
    std::string session = std::to_string(n.session_id);
    switch (n.kind) {
      case sign::SenderNote::SessionStarted:
        log_.write(LogLevel::Info, "session",
                   {{"event", "started"}, {"key", key}, {"session", session}, {"first_seq", n.first_seq}});
        break;
      case sign::SenderNote::SessionSettled:
        log_.write(LogLevel::Info, "session",
                   {{"event", "settled"},
                    {"key", key},
                    {"session", session},
                    {"highest_seq", n.first_seq},
                    {"lost", n.count}});
        break;
      case sign::SenderNote::Gap:
        log_.write(LogLevel::Warn, "gap",
                   {{"key", key}, {"session", session}, {"first_missing", n.first_seq}, {"lost", n.count}});
        break;
    }
  });
}

std::string Ingest::start() {
  int rc = uv_udp_init_ex(loop_, &udp_, AF_UNSPEC | UV_UDP_RECVMMSG);
  if (rc != 0) return std::string("udp init: ") + uv_strerror(rc);
  udp_.data = this;
  open_ = true;
  sockaddr_storage addr{};
  if (uv_ip4_addr(opts_.host.c_str(), opts_.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(opts_.host.c_str(), opts_.port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0)
    return "bad UDP listen address " + opts_.host;
  rc = uv_udp_bind(&udp_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc != 0) return "udp bind " + opts_.host + ":" + std::to_string(opts_.port) + ": " + uv_strerror(rc);

  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&udp_), &fd) == 0) {
    // As root SO_RCVBUFFORCE ignores net.core.rmem_max; otherwise the kernel caps SO_RCVBUF there.
    int want = static_cast<int>(std::min<uint64_t>(opts_.rcvbuf, 1u << 30));
    if (want > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0)
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    int got = 0;
    socklen_t len = sizeof got;
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0) rcvbuf_actual_ = got;
    inode_ = socket_inode(fd);
  }
  sockaddr_storage bound{};
  int blen = sizeof bound;
  if (uv_udp_getsockname(&udp_, reinterpret_cast<sockaddr*>(&bound), &blen) == 0) {
    if (bound.ss_family == AF_INET)
      port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    else
      port_ = ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  }
  slab_size_ = kSlot * kSlots;
  slab_.reset(new char[slab_size_]);
  rc = uv_udp_recv_start(&udp_, on_alloc, on_recv);
  if (rc != 0) return std::string("udp recv: ") + uv_strerror(rc);
  return "";
}

void Ingest::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Ingest*>(h->data);
  // One slab, lent to libuv for one batch at a time.
  if (self->slab_busy_) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  self->slab_busy_ = true;
  *buf = uv_buf_init(self->slab_.get(), static_cast<unsigned>(self->slab_size_));
}

void Ingest::on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags) {
  auto* self = static_cast<Ingest*>(h->data);
  // In a recvmmsg batch every datagram arrives with UV_UDP_MMSG_CHUNK and the
  // slab comes back in a last call with UV_UDP_MMSG_FREE; a plain read returns
  // it with the (only) datagram.
  bool chunk = (flags & UV_UDP_MMSG_CHUNK) != 0;
  if (nread > 0 && addr)
    self->handle(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread), addr);
  if (nread < 0)
    self->log_.write(LogLevel::Warn, "udp_error", {{"error", uv_strerror(static_cast<int>(nread))}});
  if (!chunk && buf && buf->base == self->slab_.get()) self->slab_busy_ = false;
  if ((flags & UV_UDP_MMSG_FREE) != 0) self->slab_busy_ = false;
}

void Ingest::reject(const char* reason, const sockaddr* addr, size_t bytes) {
  uint64_t suppressed = 0;
  if (!log_.allow_flood_line(static_cast<uint64_t>(wall_ms()), &suppressed)) return;
  log_.write(LogLevel::Info, "rejected",
             {{"reason", reason},
              {"from", addr_text(addr)},
              {"bytes", static_cast<uint64_t>(bytes)},
              {"suppressed", suppressed}});
}

void Ingest::handle(const uint8_t* p, size_t n, const sockaddr* addr) {
  ++stats_.received;
  if (!opts_.allow.allows(addr)) {
    ++stats_.own_rejects[static_cast<size_t>(IngestReject::DisallowedSource)];
    reject("disallowed_source", addr, n);
    return;
  }
  if (n > sign::kMaxDatagram) {
    ++stats_.own_rejects[static_cast<size_t>(IngestReject::Oversized)];
    reject("oversized", addr, n);
    return;
  }
  uint64_t now_ns = uv_hrtime();
  sign::DatagramView view{std::span<const uint8_t>()};
  sign::Reject r = verifier_.accept(std::span<const uint8_t>(p, n), wall_ms(), &view);
  if (r == sign::Reject::UnknownKey && unknown_key_ && unknown_key_())
    r = verifier_.accept(std::span<const uint8_t>(p, n), wall_ms(), &view);
  if (r != sign::Reject::None) {
    // Extra copies (--udp-copies) are expected: counted, logged only at debug.
    if (r == sign::Reject::Duplicate) {
      if (log_.enabled(LogLevel::Debug))
        log_.write(LogLevel::Debug, "duplicate", {{"from", addr_text(addr)}, {"seq", view.header().seq}});
      return;
    }
    reject(sign::reject_name(r), addr, n);
    return;
  }
  ++stats_.verified;
  view.for_each_event([&](const sign::EventView& ev) {
    ++stats_.events;
    on_event_(ev, now_ns);
  });
}

uint64_t Ingest::kernel_drops() const {
  auto d = notifier::kernel_drops(inode_);
  return d ? *d : 0;
}

void Ingest::close(std::function<void()> done) {
  if (!open_) {
    if (done) done();
    return;
  }
  close_done_ = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t*>(&udp_), [](uv_handle_t* h) {
    auto* self = static_cast<Ingest*>(h->data);
    self->open_ = false;
    if (self->close_done_) {
      auto d = std::move(self->close_done_);
      d();
    }
  });
}

}  // namespace uw::notifier
