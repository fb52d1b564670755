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
      verifier_(keys, opts_.verify),
      queue_(opts_.queue) {
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
  // close() must have run its course (the poll and idle handles live in this object).
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
  ++open_handles_;
  rc = uv_idle_init(loop_, &idle_);
  if (rc != 0) return udp_error(std::string("udp idle: ") + uv_strerror(rc));
  idle_.data = this;
  idle_open_ = true;
  ++open_handles_;
  rc = uv_poll_start(&poll_, UV_READABLE, on_poll);
  if (rc != 0) return udp_error(std::string("udp poll: ") + uv_strerror(rc));
  reading_ = true;
  return Unit{};
}

void Ingest::pause_reading() {
  if (!reading_ || closing_) return;
  uv_poll_stop(&poll_);
  reading_ = false;
  ++stats_.read_pauses;
}

void Ingest::resume_reading() {
  if (reading_ || closing_ || !poll_open_) return;
  if (uv_poll_start(&poll_, UV_READABLE, on_poll) == 0) reading_ = true;
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
  for (int round = 0; round < kBatchesPerWakeup && !closing_; ++round) {
    // No room for a whole batch: leave the rest in the kernel's buffer until
    // pump() has made room (its drops are counted, as always).
    if (queue_.free_slots() < kBatch) {
      pause_reading();
      break;
    }
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
      break;
    }
    const uint64_t now_ns = uv_hrtime();
    const int64_t now_ms = clock::now_ms();
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
      admit(b.data[i], b.msgs[i].msg_len, reinterpret_cast<const sockaddr*>(&b.addr[i]), now_ns, now_ms);
      if (closing_) return;  // a callback closed us; the fd goes in the close callback
    }
    if (static_cast<unsigned>(n) < kBatch) break;  // the queue is empty
  }
  // What was read is verified at once while the budget lasts (so at light load
  // a datagram is received, verified and delivered in one callback, as before);
  // the rest waits for the idle handle.
  if (!closing_) pump();
}

void Ingest::admit(const uint8_t* p, size_t n, const sockaddr* addr, uint64_t now_ns, int64_t now_ms) {
  auto& per = stats_.by_transport[static_cast<size_t>(Transport::Udp)];
  ++stats_.received;
  ++per.received;
  if (!opts_.allow.allows(addr)) {
    ++stats_.own_rejects[static_cast<size_t>(IngestReject::DisallowedSource)];
    reject(Transport::Udp, "disallowed_source", addr, std::string(), n);
    return;
  }
  if (n > sign::kMaxDatagram) {
    ++stats_.own_rejects[static_cast<size_t>(IngestReject::Oversized)];
    reject(Transport::Udp, "oversized", addr, std::string(), n);
    return;
  }
  const std::span<const uint8_t> bytes(p, n);
  auto standing = sign::Verifier::Standing::NewSession;
  sign::Reject r = verifier_.precheck(bytes, now_ms, &standing);
  if (r == sign::Reject::UnknownKey && unknown_key_ && unknown_key_())
    r = verifier_.precheck(bytes, now_ms, &standing);
  if (r == sign::Reject::Duplicate) {
    // Extra copies (--udp-copies) are expected: counted, logged only at debug.
    ++per.duplicates;
    if (log_.enabled(LogLevel::Debug))
      log_.write(LogLevel::Debug, "duplicate",
                 {{"from", addr_text(addr)},
                  {"transport", transport_name(Transport::Udp)},
                  {"seq", sign::DatagramView(bytes).header().seq}});
    return;
  }
  if (r != sign::Reject::None) {
    reject(Transport::Udp, sign::reject_name(r), addr, std::string(), n);
    return;
  }
  // The session it claims, for the queue to tell a restarted sender's first
  // burst (one session) from a flood of made-up ones.
  const sign::DatagramView view(bytes);
  const sign::Header& h = view.header();
  uint64_t session = h.session_id;
  for (uint8_t b : h.key_id) session = (session ^ b) * 1099511628211ull;
  Shed why = queue_.push(addr, standing, session, bytes, now_ns, now_ms);
  if (why != Shed::Count_) shed(why, addr, n, now_ms);
}

void Ingest::shed(Shed why, const sockaddr* addr, size_t bytes, int64_t now_ms) {
  // Shed before any verify: counted by reason (the queue's stats), and logged
  // with the rejections' rate limit.
  ++stats_.by_transport[static_cast<size_t>(Transport::Udp)].rejected;
  uint64_t suppressed = 0;
  if (!log_.allow_flood_line(static_cast<uint64_t>(now_ms), &suppressed)) return;
  log_.write(LogLevel::Info, "shed",
             {{"reason", shed_name(why)},
              {"from", addr_text(addr)},
              {"bytes", static_cast<uint64_t>(bytes)},
              {"queued", static_cast<uint64_t>(queue_.size())},
              {"suppressed", suppressed}});
}

void Ingest::verify_queued(const VerifyQueue::Item& item) {
  if (item.unpaid) {
    // It queued behind a claim of its session unpaid: by now that claim was
    // verified (the session is established) or refused (then this one pays).
    const int64_t now_ms = clock::now_ms();
    auto standing = sign::Verifier::Standing::NewSession;
    sign::Reject r = verifier_.precheck(item.view(), now_ms, &standing);
    if (r == sign::Reject::Duplicate) {
      ++stats_.by_transport[static_cast<size_t>(Transport::Udp)].duplicates;
      return;
    }
    if (r != sign::Reject::None) {
      reject(Transport::Udp, sign::reject_name(r), item.addr(), std::string(), item.size);
      return;
    }
    if (standing == sign::Verifier::Standing::NewSession) {
      if (Shed why = queue_.charge(item.addr(), now_ms); why != Shed::Count_) {
        shed(why, item.addr(), item.size, now_ms);
        return;
      }
    }
  }
  (void)verify(Transport::Udp, item.view(), item.addr(), std::string(), item.received_ns);
}

void Ingest::pump() {
  const uint64_t start = uv_hrtime();
  const uint64_t budget_ns = opts_.verify_budget_us * 1000;
  // At least one verify per turn, however small the budget.
  while (!closing_ && queue_.pop(&item_)) {
    verify_queued(item_);
    if (uv_hrtime() - start >= budget_ns) break;
  }
  if (closing_) return;
  if (queue_.empty() && idle_on_) {
    uv_idle_stop(&idle_);
    idle_on_ = false;
  } else if (!queue_.empty() && !idle_on_) {
    // An active idle handle also keeps the loop from sleeping in poll.
    uv_idle_start(&idle_, [](uv_idle_t* h) { static_cast<Ingest*>(h->data)->pump(); });
    idle_on_ = true;
  }
  // Read again once a few batches fit (not at every single free slot).
  if (!reading_ && queue_.free_slots() >= std::min<size_t>(queue_.capacity(), size_t{4} * kBatch))
    resume_reading();
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
  return verify(t, std::span<const uint8_t>(p, n), addr, ip, uv_hrtime());
}

Verdict Ingest::verify(Transport t, std::span<const uint8_t> bytes, const sockaddr* addr,
                       const std::string& ip, uint64_t received_ns) {
  auto& per = stats_.by_transport[static_cast<size_t>(t)];
  auto from = [&] { return addr ? addr_text(addr) : ip; };  // for a debug line only
  sign::DatagramView view{std::span<const uint8_t>()};
  sign::Reject r = verifier_.accept(bytes, clock::now_ms(), &view);
  if (r == sign::Reject::UnknownKey && unknown_key_ && unknown_key_())
    r = verifier_.accept(bytes, clock::now_ms(), &view);
  if (r != sign::Reject::None) {
    // Extra copies (--udp-copies) and resends are expected: counted, logged only at debug.
    if (r == sign::Reject::Duplicate) {
      ++per.duplicates;
      if (log_.enabled(LogLevel::Debug))
        log_.write(LogLevel::Debug, "duplicate",
                   {{"from", from()}, {"transport", transport_name(t)}, {"seq", view.header().seq}});
      return Verdict::Duplicate;
    }
    reject(t, sign::reject_name(r), addr, ip, bytes.size());
    return Verdict::Rejected;
  }
  ++stats_.verified;
  ++per.verified;
  view.for_each_event([&](const sign::EventView& ev) {
    ++stats_.events;
    on_event_(ev, received_ns);
  });
  return Verdict::Accepted;
}

void Ingest::expire_gaps() { (void)verifier_.expire(clock::now_ms()); }

void Ingest::close(std::function<void()> done) {
  closing_ = true;
  if (open_handles_ == 0) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (done) done();
    return;
  }
  close_done_ = std::move(done);
  // Both handles live in this object; the fd and `done` go when the last one closed.
  auto closed = [](uv_handle_t* h) {
    auto* self = static_cast<Ingest*>(h->data);
    if (h == reinterpret_cast<uv_handle_t*>(&self->poll_)) self->poll_open_ = false;
    if (h == reinterpret_cast<uv_handle_t*>(&self->idle_)) self->idle_open_ = false;
    if (--self->open_handles_ > 0) return;
    ::close(self->fd_);
    self->fd_ = -1;
    if (self->close_done_) {
      auto d = std::move(self->close_done_);
      d();
    }
  };
  if (idle_open_) uv_close(reinterpret_cast<uv_handle_t*>(&idle_), closed);
  if (poll_open_) uv_close(reinterpret_cast<uv_handle_t*>(&poll_), closed);
}

}  // namespace uw::notifier
