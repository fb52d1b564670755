#include "bench/lossy/relay.hpp"

#include <fmt/format.h>

#include <cassert>
#include <cerrno>
#include <cstring>

#include "bench/lossy/truth.hpp"
#include "sign/envelope.hpp"

namespace uw::lossy {

namespace {

constexpr size_t kRecvBuffer = size_t{64} * 1024;  // the largest UDP payload

bool resolve(const HostPort& hp, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (uv_ip4_addr(hp.host.c_str(), hp.port, reinterpret_cast<sockaddr_in*>(out)) == 0) return true;
  return uv_ip6_addr(hp.host.c_str(), hp.port, reinterpret_cast<sockaddr_in6*>(out)) == 0;
}

}  // namespace

Relay::Relay(uv_loop_t* /*loop: handles are initialised on it in create()*/, RelayConfig cfg)
    : cfg_(std::move(cfg)), model_(cfg_.impairment), recv_buf_(kRecvBuffer) {
  udp_.data = this;
  timer_.data = this;
}

Relay::~Relay() { assert(open_handles_ == 0 && "close() the Relay and wait for done before destroying it"); }

Result<std::unique_ptr<Relay>> Relay::create(uv_loop_t* loop, RelayConfig cfg) {
  if (auto valid = cfg.impairment.validate(); !valid) return valid.error();
  sockaddr_storage listen_addr;
  std::unique_ptr<Relay> r(new Relay(loop, std::move(cfg)));
  if (!resolve(r->cfg_.listen, &listen_addr))
    return Error{2, "bad_address", fmt::format("cannot parse listen address {}", r->cfg_.listen.host)};
  if (!resolve(r->cfg_.forward, &r->target_) || r->cfg_.forward.port == 0)
    return Error{2, "bad_address",
                 fmt::format("cannot use forward address {}:{}", r->cfg_.forward.host, r->cfg_.forward.port)};
  if (!r->cfg_.truth_path.empty()) {
    r->truth_ = std::fopen(r->cfg_.truth_path.c_str(), "w");
    if (!r->truth_)
      return Error{1, "truth_file",
                   fmt::format("cannot open {}: {}", r->cfg_.truth_path, std::strerror(errno))};
    r->truth_buf_.resize(1 << 20);
    std::setvbuf(r->truth_, r->truth_buf_.data(), _IOFBF, r->truth_buf_.size());
    std::fputs("# uwitter-lossy truth v1: index length hash actions delay_us session seq\n", r->truth_);
  }

  uv_udp_init(loop, &r->udp_);
  uv_timer_init(loop, &r->timer_);
  r->open_handles_ = 2;
  int rc = uv_udp_bind(&r->udp_, reinterpret_cast<const sockaddr*>(&listen_addr), 0);
  if (rc == 0) {
    int size = static_cast<int>(r->cfg_.socket_buffer_bytes);
    (void)uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(&r->udp_), &size);  // best effort
    size = static_cast<int>(r->cfg_.socket_buffer_bytes);
    (void)uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(&r->udp_), &size);
    sockaddr_storage bound;
    int len = sizeof bound;
    rc = uv_udp_getsockname(&r->udp_, reinterpret_cast<sockaddr*>(&bound), &len);
    if (rc == 0)
      r->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                   : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  if (rc == 0) rc = uv_udp_recv_start(&r->udp_, on_alloc, on_recv);
  if (rc != 0) {
    Error e{
        1, "bind",
        fmt::format("cannot listen on {}:{}: {}", r->cfg_.listen.host, r->cfg_.listen.port, uv_strerror(rc))};
    // The handles are initialised, so the object must outlive their close
    // callbacks: hand ownership to the close path, which deletes it.
    Relay* raw = r.release();
    raw->close([raw] { delete raw; });
    return e;
  }
  return r;
}

void Relay::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Relay*>(h->data);
  buf->base = reinterpret_cast<char*>(self->recv_buf_.data());
  buf->len = self->recv_buf_.size();
}

void Relay::on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned) {
  auto* self = static_cast<Relay*>(h->data);
  if (nread < 0) {
    ++self->stats_.recv_errors;
    return;
  }
  if (addr == nullptr) return;  // nothing more to read right now
  self->handle_datagram(reinterpret_cast<uint8_t*>(buf->base), static_cast<size_t>(nread));
}

void Relay::handle_datagram(uint8_t* bytes, size_t len) {
  if (closing_) return;
  const Decision d = model_.decide(len);
  ++stats_.received;
  stats_.bytes_in += len;
  if (truth_) {
    TruthRecord rec;
    rec.index = d.index;
    rec.length = static_cast<uint32_t>(len);
    rec.hash = fnv1a64({bytes, len});
    rec.decision = d;
    // A header peek only (no verification): session and sequence let the
    // runner line the truth up with the notifier's per-sender accounting.
    const sign::DatagramView view({bytes, len});
    if (view.well_formed()) {
      rec.session = view.header().session_id;
      rec.seq = view.header().seq;
      fmt::memory_buffer ev_text;  // (fmt, not std::string +=: GCC 12 -Wrestrict false positive at -O2)
      (void)view.for_each_event([&](const sign::EventView& ev) {
        const char* sep = ev_text.size() ? "," : "";
        if (auto* p = std::get_if<sign::PostView>(&ev))
          fmt::format_to(std::back_inserter(ev_text), "{}p{}", sep, p->uweet_id);
        else if (auto* m = std::get_if<sign::MentionView>(&ev))
          fmt::format_to(std::back_inserter(ev_text), "{}m{}:{}", sep, m->uweet_id, m->mentioned_id);
        else if (auto* f = std::get_if<sign::FollowView>(&ev))
          fmt::format_to(std::back_inserter(ev_text), "{}f{}:{}", sep, f->follower_id, f->followee_id);
      });
      if (ev_text.size()) rec.events = fmt::to_string(ev_text);
    }
    std::string line = format_truth(rec);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), truth_);
  }
  if (d.drop_independent) ++stats_.dropped_independent;
  if (d.drop_burst) ++stats_.dropped_burst;
  if (d.dropped()) {
    ++stats_.dropped;
    return;
  }
  if (d.corrupt) ++stats_.corrupted;
  if (d.duplicate) ++stats_.duplicated;
  if (d.reorder) ++stats_.reordered;
  Impairment::apply_corruption(d, bytes, len);
  if (d.delay_us == 0) {
    for (int i = 0; i < d.copies_out(); ++i) send_copy(bytes, len);
    return;
  }
  ++stats_.held;
  held_.push(Held{uv_hrtime() + d.delay_us * 1000, held_order_++, d.copies_out(),
                  std::vector<uint8_t>(bytes, bytes + len)});
  arm_timer();
}

void Relay::send_copy(const uint8_t* bytes, size_t len) {
  uv_buf_t b =
      uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(bytes)), static_cast<unsigned>(len));
  const sockaddr* to = reinterpret_cast<const sockaddr*>(&target_);
  int rc = uv_udp_try_send(&udp_, &b, 1, to);
  if (rc >= 0) {
    ++stats_.forwarded;
    return;
  }
  if (rc != UV_EAGAIN) {
    ++stats_.send_errors;
    return;
  }
  // A full send buffer: queue a copy rather than lose a datagram the truth
  // file says was forwarded. Rare, so the allocation is acceptable here.
  auto* req = new SendReq{{}, this, std::vector<uint8_t>(bytes, bytes + len)};
  b = uv_buf_init(reinterpret_cast<char*>(req->bytes.data()), static_cast<unsigned>(len));
  req->req.data = req;
  rc = uv_udp_send(&req->req, &udp_, &b, 1, to, [](uv_udp_send_t* s, int status) {
    auto* q = static_cast<SendReq*>(s->data);
    if (status < 0)
      ++q->relay->stats_.send_errors;
    else
      ++q->relay->stats_.forwarded;
    delete q;
  });
  if (rc != 0) {
    ++stats_.send_errors;
    delete req;
    return;
  }
  ++stats_.send_queued;
}

void Relay::send_due(uint64_t now_ns) {
  while (!held_.empty() && held_.top().due_ns <= now_ns) {
    // priority_queue::top is const; the element is popped right after, so moving is safe.
    Held h = std::move(const_cast<Held&>(held_.top()));
    held_.pop();
    for (int i = 0; i < h.copies; ++i) send_copy(h.bytes.data(), h.bytes.size());
  }
}

void Relay::arm_timer() {
  if (held_.empty() || closing_) return;
  const uint64_t now = uv_hrtime();
  const uint64_t due = held_.top().due_ns;
  const uint64_t wait_ms = due > now ? (due - now + 999'999) / 1'000'000 : 0;  // never early
  uv_timer_start(&timer_, on_timer, wait_ms, 0);
}

void Relay::on_timer(uv_timer_t* t) {
  auto* self = static_cast<Relay*>(t->data);
  self->send_due(uv_hrtime());
  self->arm_timer();
}

std::string Relay::stats_line() const {
  const RelayStats& s = stats_;
  return fmt::format(
      "received={} forwarded={} dropped={} dropped_independent={} dropped_burst={} duplicated={} "
      "reordered={} corrupted={} held={} held_now={} send_queued={} send_errors={} recv_errors={}",
      s.received, s.forwarded, s.dropped, s.dropped_independent, s.dropped_burst, s.duplicated, s.reordered,
      s.corrupted, s.held, held_.size(), s.send_queued, s.send_errors, s.recv_errors);
}

void Relay::close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  done_ = std::move(done);
  if (open_handles_ > 0) {
    uv_udp_recv_stop(&udp_);
    send_due(UINT64_MAX);  // everything held goes out now
  }
  if (truth_) {
    std::fclose(truth_);
    truth_ = nullptr;
  }
  if (open_handles_ == 0) {
    if (done_) done_();
    return;
  }
  // Queued uv_udp_send requests complete (with UV_ECANCELED at worst) before
  // the udp close callback runs, so no SendReq outlives the handle.
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&udp_), on_closed);
}

void Relay::on_closed(uv_handle_t* h) {
  auto* self = static_cast<Relay*>(h->data);
  if (--self->open_handles_ == 0 && self->done_) {
    auto done = std::move(self->done_);
    done();  // may destroy self
  }
}

}  // namespace uw::lossy
