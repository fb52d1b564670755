#include "notifier-udp/ingest.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/clock.hpp"
#include "notifier-udp/event_log.hpp"

namespace uw::notifier {

namespace {

// Datagrams per recvmmsg call, and calls per wakeup (the loop's budget: up to
// 512 datagrams, then other handles get their turn).
constexpr unsigned kBatch = 64;
constexpr int kBatchesPerWakeup = 8;
// Each slot holds any datagram we accept (kMaxDatagram) with room to spare;
// longer ones are truncated by the kernel, and MSG_TRUNC reports their real length.
constexpr size_t kSlot = 2048;
static_assert(kSlot > sign::kMaxDatagram);
// Room for SO_RXQ_OVFL's uint32 (and anything else the kernel might add).
constexpr size_t kControl = 64;
static_assert(kControl >= CMSG_SPACE(sizeof(uint32_t)));

// start()'s failures: the socket could not be set up.
Error udp_error(std::string message) { return Error{500, "udp_socket", std::move(message)}; }

}  // namespace

struct Ingest::Batch {
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  sockaddr_storage addr[kBatch];
  alignas(cmsghdr) unsigned char control[kBatch][kControl];
  unsigned char data[kBatch][kSlot];
};

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
    return fmt::format("{}:{}", ip, port);
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    uv_ip6_name(in6, ip, sizeof ip);
    port = ntohs(in6->sin6_port);
    return fmt::format("[{}]:{}", ip, port);
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
                   {{"event", "started"},
                    {"key", key},
                    {"session", session},
                    {"first_seq", n.first_seq},
                    {"before_start", n.count}});
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

Ingest::~Ingest() {
  // close() must have run its course (the poll handle lives in this object).
  if (!poll_open_ && fd_ >= 0) ::close(fd_);
}

Result<Unit> Ingest::start() {
  sockaddr_storage addr{};
  socklen_t addr_len = sizeof(sockaddr_in);
  if (uv_ip4_addr(opts_.host.c_str(), opts_.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0) {
    if (uv_ip6_addr(opts_.host.c_str(), opts_.port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0)
      return udp_error("bad UDP listen address " + opts_.host);
    addr_len = sizeof(sockaddr_in6);
  }
  fd_ = ::socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return udp_error(std::string("udp socket: ") + std::strerror(errno));
  // The kernel's drop counter rides along with every datagram queued after a drop.
  int on = 1;
  if (setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) != 0)
    return udp_error(std::string("udp SO_RXQ_OVFL: ") + std::strerror(errno));
  // As root SO_RCVBUFFORCE ignores net.core.rmem_max; otherwise the kernel caps SO_RCVBUF there.
  int want = static_cast<int>(std::min<uint64_t>(opts_.rcvbuf, 1u << 30));
  if (want > 0 && setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0)
    (void)setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0) rcvbuf_actual_ = got;
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), addr_len) != 0)
    return udp_error("udp bind " + opts_.host + ":" + std::to_string(opts_.port) + ": " +
                     std::strerror(errno));
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &blen) == 0) {
    if (bound.ss_family == AF_INET)
      port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    else
      port_ = ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  }
  batch_ = std::make_unique<Batch>();
  int rc = uv_poll_init_socket(loop_, &poll_, fd_);
  if (rc != 0) return udp_error(std::string("udp poll: ") + uv_strerror(rc));
  poll_.data = this;
  poll_open_ = true;
  rc = uv_poll_start(&poll_, UV_READABLE, on_poll);
  if (rc != 0) return udp_error(std::string("udp poll: ") + uv_strerror(rc));
  return Unit{};
}

void Ingest::on_poll(uv_poll_t* h, int status, int) {
  auto* self = static_cast<Ingest*>(h->data);
  if (status < 0) {
    self->log_.write(LogLevel::Warn, "udp_error", {{"error", uv_strerror(status)}});
    return;
  }
  self->drain();
}

void Ingest::note_overflow_counter(uint32_t counter) {
  // Cumulative per socket: the difference modulo 2^32 is what was dropped since
  // the last datagram that carried it, wrap-around included.
  kernel_drops_ += overflow_delta(last_overflow_, counter);
  last_overflow_ = counter;
}

void Ingest::drain() {
  Batch& b = *batch_;
  auto closing = [this] { return uv_is_closing(reinterpret_cast<uv_handle_t*>(&poll_)) != 0; };
  for (int round = 0; round < kBatchesPerWakeup && !closing(); ++round) {
    // recvmmsg overwrites msg_namelen, msg_controllen and msg_flags: reset them each time.
    for (unsigned i = 0; i < kBatch; ++i) {
      b.iov[i] = iovec{b.data[i], kSlot};
      msghdr& m = b.msgs[i].msg_hdr;
      m = msghdr{};
      m.msg_name = &b.addr[i];
      m.msg_namelen = sizeof b.addr[i];
      m.msg_iov = &b.iov[i];
      m.msg_iovlen = 1;
      m.msg_control = b.control[i];
      m.msg_controllen = kControl;
      b.msgs[i].msg_len = 0;
    }
    // MSG_TRUNC: msg_len is the datagram's real length even when it did not fit.
    int n = ::recvmmsg(fd_, b.msgs, kBatch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        log_.write(LogLevel::Warn, "udp_error", {{"error", std::strerror(errno)}});
      return;
    }
    for (int i = 0; i < n; ++i) {
      msghdr& m = b.msgs[i].msg_hdr;
      for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
            c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
          uint32_t counter;
          std::memcpy(&counter, CMSG_DATA(c), sizeof counter);
          note_overflow_counter(counter);
        }
      }
      (void)handle(Transport::Udp, b.data[i], b.msgs[i].msg_len,
                   reinterpret_cast<const sockaddr*>(&b.addr[i]), std::string());
      if (closing()) return;  // a callback closed us; the fd goes in the close callback
    }
    if (static_cast<unsigned>(n) < kBatch) return;  // the queue is empty
  }
}

void Ingest::reject(Transport t, const char* reason, const sockaddr* addr, const std::string& ip,
                    size_t bytes) {
  ++stats_.by_transport[static_cast<size_t>(t)].rejected;
  uint64_t suppressed = 0;
  if (!log_.allow_flood_line(static_cast<uint64_t>(clock::now_ms()), &suppressed)) return;
  std::string from = addr ? addr_text(addr) : ip;
  if (t == Transport::Udp) {  // the line it always was
    log_.write(LogLevel::Info, "rejected",
               {{"reason", reason},
                {"from", from},
                {"bytes", static_cast<uint64_t>(bytes)},
                {"suppressed", suppressed}});
    return;
  }
  log_.write(LogLevel::Info, "rejected",
             {{"reason", reason},
              {"transport", transport_name(t)},
              {"from", from},
              {"bytes", static_cast<uint64_t>(bytes)},
              {"suppressed", suppressed}});
}

void Ingest::count_framing_reject(Transport t, IngestReject r, const std::string& peer, size_t bytes) {
  ++stats_.received;
  ++stats_.by_transport[static_cast<size_t>(t)].received;
  ++stats_.own_rejects[static_cast<size_t>(r)];
  reject(t, ingest_reject_name(r), nullptr, peer, bytes);
}

Verdict Ingest::offer(Transport t, std::span<const uint8_t> bytes, const sockaddr* peer,
                      const std::string& peer_ip) {
  return handle(t, bytes.data(), bytes.size(), peer, peer_ip);
}

Verdict Ingest::handle(Transport t, const uint8_t* p, size_t n, const sockaddr* addr, const std::string& ip) {
  auto& per = stats_.by_transport[static_cast<size_t>(t)];
  ++stats_.received;
  ++per.received;
  auto from = [&] { return addr ? addr_text(addr) : ip; };  // for a debug line only
  const AllowList& allow =
      t == Transport::Tcp ? opts_.allow_tcp : (t == Transport::Http ? opts_.allow_http : opts_.allow);
  // AMQP's peer is the broker (transport.hpp): the signature is what counts.
  if (t != Transport::Amqp && (addr ? !allow.allows(addr) : !allow.allows_ip(ip))) {
    ++stats_.own_rejects[static_cast<size_t>(IngestReject::DisallowedSource)];
    reject(t, "disallowed_source", addr, ip, n);
    return Verdict::Disallowed;
  }
  if (n > sign::kMaxDatagram) {
    ++stats_.own_rejects[static_cast<size_t>(IngestReject::Oversized)];
    reject(t, "oversized", addr, ip, n);
    return Verdict::Oversized;
  }
  uint64_t now_ns = uv_hrtime();
  sign::DatagramView view{std::span<const uint8_t>()};
  sign::Reject r = verifier_.accept(std::span<const uint8_t>(p, n), clock::now_ms(), &view);
  if (r == sign::Reject::UnknownKey && unknown_key_ && unknown_key_())
    r = verifier_.accept(std::span<const uint8_t>(p, n), clock::now_ms(), &view);
  if (r != sign::Reject::None) {
    // Extra copies (--udp-copies) and resends are expected: counted, logged only at debug.
    if (r == sign::Reject::Duplicate) {
      ++per.duplicates;
      if (log_.enabled(LogLevel::Debug))
        log_.write(LogLevel::Debug, "duplicate",
                   {{"from", from()}, {"transport", transport_name(t)}, {"seq", view.header().seq}});
      return Verdict::Duplicate;
    }
    reject(t, sign::reject_name(r), addr, ip, n);
    return Verdict::Rejected;
  }
  ++stats_.verified;
  ++per.verified;
  view.for_each_event([&](const sign::EventView& ev) {
    ++stats_.events;
    on_event_(ev, now_ns);
  });
  return Verdict::Accepted;
}

void Ingest::expire_gaps() { (void)verifier_.expire(clock::now_ms()); }

void Ingest::close(std::function<void()> done) {
  if (!poll_open_) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (done) done();
    return;
  }
  close_done_ = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* h) {
    auto* self = static_cast<Ingest*>(h->data);
    self->poll_open_ = false;
    ::close(self->fd_);
    self->fd_ = -1;
    if (self->close_done_) {
      auto d = std::move(self->close_done_);
      d();
    }
  });
}

}  // namespace uw::notifier
