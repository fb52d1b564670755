#include "web/emitter/stream_sender.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace uw::web {

namespace {
// An answer longer than this without ending its headers is not from our notifier.
constexpr size_t kMaxResponseBytes = size_t{64} * 1024;
}  // namespace

struct StreamSender::Conn {
  StreamSender* owner = nullptr;
  uv_tcp_t h{};
  uv_connect_t connect{};
  uv_shutdown_t shutdown{};
  bool up = false;
  bool closing = false;
  char rbuf[4096];
};

struct StreamSender::WriteReq {
  uv_write_t req{};
  Conn* conn = nullptr;
  std::shared_ptr<const sign::Datagram> envelope;  // kept alive until written
  std::string head;                                // the length prefix or the request's headers
};

StreamSender::StreamSender(uv_loop_t* loop, Options opts, metrics::Registry* m)
    : loop_(loop), opts_(std::move(opts)), backoff_ms_(opts_.backoff_min_ms) {
  if (opts_.max_in_flight == 0) opts_.max_in_flight = 1;
  if (opts_.max_pending < opts_.max_in_flight) opts_.max_pending = opts_.max_in_flight;
  if (!m) return;
  metrics::Labels l{{"target", opts_.target.text()}, {"transport", notify_scheme_name(opts_.target.scheme)}};
  m_sent_ = &m->counter("uwitter_emitter_transport_sent_total",
                        "Envelopes written to a stream target (resends included)", l);
  m_confirmed_ = &m->counter("uwitter_emitter_transport_confirmed_total",
                             "Envelopes the notifier acknowledged (tcp: ack count; http: 2xx)", l);
  m_rejected_ = &m->counter("uwitter_emitter_transport_rejected_total",
                            "Envelopes the notifier answered with a non-2xx status (http)", l);
  m_dropped_ =
      &m->counter("uwitter_emitter_transport_dropped_total",
                  "Envelopes dropped: queue full while the notifier was away, or pending at close", l);
  m_resent_ =
      &m->counter("uwitter_emitter_transport_resent_total",
                  "Envelopes written again after a reconnect (the notifier rejects any it had seen)", l);
  m_reconnects_ = &m->counter("uwitter_emitter_transport_reconnects_total",
                              "Connections refused or lost (each starts a backoff)", l);
  m_pending_ =
      &m->gauge("uwitter_emitter_transport_pending", "Envelopes queued or written and not yet confirmed", l);
  m_connected_ = &m->gauge("uwitter_emitter_transport_connected", "1 while the connection is up", l);
}

StreamSender::~StreamSender() = default;

bool StreamSender::connected() const { return conn_ && conn_->up; }

Result<Unit> StreamSender::start() {
  const auto& a = opts_.target.addr;
  if (uv_ip4_addr(a.host.c_str(), a.port, reinterpret_cast<sockaddr_in*>(&addr_)) != 0 &&
      uv_ip6_addr(a.host.c_str(), a.port, reinterpret_cast<sockaddr_in6*>(&addr_)) != 0)
    return Error{500, "emitter", "bad notifier address " + opts_.target.text() + " (need an IP literal)"};
  int rc = uv_timer_init(loop_, &timer_);
  if (rc != 0) return Error{500, "emitter", uv_strerror(rc)};
  timer_.data = this;
  timer_open_ = true;
  // Neither the timer nor a connection may keep an otherwise finished loop alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
  connect();
  return Unit{};
}

void StreamSender::update_gauges() {
  if (m_pending_) m_pending_->set(static_cast<double>(pending()));
  if (m_connected_) m_connected_->set(connected() ? 1 : 0);
}

void StreamSender::connect() {
  if (closing_ || conn_) return;
  auto* c = new Conn;
  c->owner = this;
  if (uv_tcp_init(loop_, &c->h) != 0) {
    delete c;
    retry_later();
    return;
  }
  c->h.data = c;
  ++live_conns_;
  conn_ = c;
  c->connect.data = c;
  int rc = uv_tcp_connect(&c->connect, &c->h, reinterpret_cast<const sockaddr*>(&addr_),
                          [](uv_connect_t* req, int status) {
                            auto* conn = static_cast<Conn*>(req->data);
                            conn->owner->on_connected(conn, status);
                          });
  if (rc != 0) fail(c, uv_strerror(rc));
}

void StreamSender::on_connected(Conn* c, int status) {
  if (c->closing) return;
  if (status != 0) {
    fail(c, uv_strerror(status));
    return;
  }
  c->up = true;
  backoff_ms_ = opts_.backoff_min_ms;
  acked_ = 0;
  rx_.clear();
  (void)uv_tcp_nodelay(&c->h, 1);
  uv_unref(reinterpret_cast<uv_handle_t*>(&c->h));
  if (!log_last_.empty()) {
    log::info("emitter: {} connected again", opts_.target.text());
    log_last_.clear();
  }
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->h),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        auto* conn = static_cast<Conn*>(h->data);
        *b = uv_buf_init(conn->rbuf, sizeof conn->rbuf);
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
        auto* conn = static_cast<Conn*>(s->data);
        if (n < 0) {
          conn->owner->fail(conn, n == UV_EOF ? "closed by the notifier" : uv_strerror(static_cast<int>(n)));
          return;
        }
        if (n > 0) conn->owner->on_read(conn, b->base, static_cast<size_t>(n));
      });
  pump();
  update_gauges();
}

void StreamSender::on_read(Conn* c, const char* p, size_t n) {
  if (c->closing) return;
  rx_.append(p, n);
  if (opts_.target.scheme == NotifyScheme::Tcp) {
    // 8-byte big-endian counts, cumulative over this connection.
    size_t off = 0;
    while (rx_.size() - off >= 8) {
      uint64_t v = 0;
      for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(rx_[off + static_cast<size_t>(i)]);
      off += 8;
      if (v < acked_ || v - acked_ > in_flight_.size()) {
        fail(c, "acknowledged what was never sent");
        return;
      }
      size_t k = static_cast<size_t>(v - acked_);
      acked_ = v;
      confirm(k, true);
      if (c->closing) return;
    }
    rx_.erase(0, off);
  } else {
    // One HTTP response per request, in order (HTTP/1.1 pipelining).
    for (;;) {
      size_t end = rx_.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (rx_.size() > kMaxResponseBytes) fail(c, "an answer without an end of headers");
        break;
      }
      if (rx_.size() < 12 || rx_.compare(0, 5, "HTTP/") != 0) {
        fail(c, "not an HTTP answer");
        return;
      }
      int status = std::atoi(rx_.c_str() + 9);
      std::string head = rx_.substr(0, end);
      std::transform(head.begin(), head.end(), head.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      size_t body = 0;
      if (size_t cl = head.find("\r\ncontent-length:"); cl != std::string::npos)
        body = static_cast<size_t>(std::strtoull(head.c_str() + cl + 17, nullptr, 10));
      if (body > kMaxResponseBytes) {
        fail(c, "an answer too large");
        return;
      }
      if (rx_.size() < end + 4 + body) break;
      rx_.erase(0, end + 4 + body);
      if (in_flight_.empty()) {
        fail(c, "an answer to no request");
        return;
      }
      if (status < 200 || status >= 300) {
        if (log_last_ != "status") log::warn("emitter: {} answered {}", opts_.target.text(), status);
        log_last_ = "status";
      }
      confirm(1, status >= 200 && status < 300);
      if (c->closing) return;
    }
  }
  if (c->closing) return;
  pump();
  update_gauges();
}

void StreamSender::confirm(size_t n, bool ok) {
  for (size_t i = 0; i < n && !in_flight_.empty(); ++i) {
    in_flight_.pop_front();
    if (ok) {
      ++stats_.confirmed;
      if (m_confirmed_) m_confirmed_->inc();
    } else {
      ++stats_.rejected;
      if (m_rejected_) m_rejected_->inc();
    }
  }
  settle();
  if (closing_ && pending() == 0 && conn_ && conn_->up) finish_close();
}

void StreamSender::send(std::shared_ptr<const sign::Datagram> envelope) {
  if (closing_) return;
  if (pending() >= opts_.max_pending) {
    // The oldest waiting envelope goes: the newest notifications matter most,
    // and the notifier counts the gap it leaves as lost.
    if (!waiting_.empty()) {
      waiting_.pop_front();
      if (resend_from_ > 0) --resend_from_;
    }
    ++stats_.dropped;
    if (m_dropped_) m_dropped_->inc();
    if (waiting_.size() + in_flight_.size() >= opts_.max_pending) {
      ++next_seq_;  // everything is in flight: the new one is the one dropped (settled at once)
      update_gauges();
      settle();
      return;
    }
  }
  waiting_.push_back(Item{next_seq_++, std::move(envelope)});
  pump();
  update_gauges();
  settle();
}

uint64_t StreamSender::lowest_unsettled() const {
  if (!in_flight_.empty()) return in_flight_.front().seq;
  if (!waiting_.empty()) return waiting_.front().seq;
  return next_seq_;
}

void StreamSender::when_settled(std::function<void()> cb) {
  if (lowest_unsettled() >= next_seq_) {
    cb();
    return;
  }
  waiters_.push_back(Waiter{next_seq_, std::move(cb)});
}

void StreamSender::settle() {
  uint64_t low = lowest_unsettled();
  while (!waiters_.empty() && waiters_.front().until <= low) {
    auto cb = std::move(waiters_.front().cb);
    waiters_.pop_front();
    cb();
  }
}

void StreamSender::pump() {
  if (!conn_ || !conn_->up || conn_->closing) return;
  while (!waiting_.empty() && in_flight_.size() < opts_.max_in_flight) {
    auto d = std::move(waiting_.front());
    waiting_.pop_front();
    if (resend_from_ > 0) {
      --resend_from_;
      ++stats_.resent;
      if (m_resent_) m_resent_->inc();
    }
    write_one(d);
    if (!conn_) return;  // the write failed and took the connection with it
    in_flight_.push_back(std::move(d));
  }
}

void StreamSender::write_one(const Item& item) {
  const auto& d = item.envelope;
  auto* w = new WriteReq;
  w->conn = conn_;
  w->envelope = d;
  if (opts_.target.scheme == NotifyScheme::Tcp) {
    uint32_t n = static_cast<uint32_t>(d->size());
    w->head = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
               static_cast<char>(n)};
  } else {
    const auto& a = opts_.target.addr;
    const std::string host = a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host;
    w->head = "POST " + opts_.target.path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(a.port) +
              "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(d->size()) +
              "\r\n\r\n";
  }
  uv_buf_t bufs[2] = {uv_buf_init(w->head.data(), static_cast<unsigned>(w->head.size())),
                      uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(d->data())),
                                  static_cast<unsigned>(d->size()))};
  w->req.data = w;
  int rc =
      uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&conn_->h), bufs, 2, [](uv_write_t* req, int status) {
        auto* wr = static_cast<WriteReq*>(req->data);
        Conn* c = wr->conn;
        delete wr;
        // Cancelled writes come back before the close callback: c is still there.
        if (status < 0 && status != UV_ECANCELED && !c->closing) c->owner->fail(c, uv_strerror(status));
      });
  if (rc != 0) {
    delete w;
    // The envelope was not written: it waits again at the front.
    waiting_.push_front(item);
    fail(conn_, uv_strerror(rc));
    return;
  }
  ++stats_.sent;
  if (m_sent_) m_sent_->inc();
}

void StreamSender::fail(Conn* c, const char* why) {
  if (c->closing) return;
  c->closing = true;
  if (conn_ == c) {
    conn_ = nullptr;
    // What was written and not confirmed goes out again on the next connection.
    resend_from_ += in_flight_.size();
    waiting_.insert(waiting_.begin(), std::make_move_iterator(in_flight_.begin()),
                    std::make_move_iterator(in_flight_.end()));
    in_flight_.clear();
    rx_.clear();
    acked_ = 0;
    ++stats_.reconnects;
    if (m_reconnects_) m_reconnects_->inc();
    if (log_last_ != why) {
      log::warn("emitter: {}: {}; {} envelopes wait (reconnecting with backoff)", opts_.target.text(), why,
                pending());
      log_last_ = why;
    }
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&c->h), [](uv_handle_t* h) {
    auto* conn = static_cast<Conn*>(h->data);
    StreamSender* self = conn->owner;
    delete conn;
    --self->live_conns_;
    if (self->closing_) self->finish_close();
  });
  update_gauges();
  if (closing_) {
    finish_close();
    return;
  }
  retry_later();
}

void StreamSender::retry_later() {
  if (closing_ || !timer_open_) return;
  uv_timer_start(
      &timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<StreamSender*>(t->data);
        self->connect();
      },
      backoff_ms_, 0);
  backoff_ms_ = std::min(opts_.backoff_max_ms, backoff_ms_ * 2);
}

void StreamSender::close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  done_ = std::move(done);
  if (timer_open_) uv_timer_stop(&timer_);
  if (conn_ && conn_->up && pending() > 0) {
    // Write everything now and give the notifier close_grace_ms to confirm it.
    opts_.max_in_flight = std::max(opts_.max_in_flight, opts_.max_pending);
    pump();
    if (conn_ && timer_open_) {
      uv_ref(reinterpret_cast<uv_handle_t*>(&timer_));
      uv_timer_start(
          &timer_, [](uv_timer_t* t) { static_cast<StreamSender*>(t->data)->finish_close(); },
          opts_.close_grace_ms, 0);
      return;
    }
  }
  finish_close();
}

void StreamSender::finish_close() {
  // Runs again from each close callback until nothing is left.
  if (conn_) {
    Conn* c = conn_;
    conn_ = nullptr;
    c->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->h), [](uv_handle_t* h) {
      auto* conn = static_cast<Conn*>(h->data);
      StreamSender* self = conn->owner;
      delete conn;
      --self->live_conns_;
      self->finish_close();
    });
    return;
  }
  if (timer_open_) {
    timer_open_ = false;
    timer_closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
      auto* self = static_cast<StreamSender*>(h->data);
      self->timer_closing_ = false;
      self->finish_close();
    });
    return;
  }
  if (timer_closing_ || live_conns_ > 0 || !done_) return;
  if (size_t left = pending(); left > 0) {
    stats_.dropped += left;
    if (m_dropped_) m_dropped_->inc(left);
    waiting_.clear();
    in_flight_.clear();
  }
  settle();  // every waiter: nothing more will be settled
  update_gauges();
  auto d = std::move(done_);
  d();
}

}  // namespace uw::web
