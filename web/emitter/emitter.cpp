// uw::web::Emitter implementation: coalesce on the loop, seal at the end of the
// loop turn (uv_check; a uv_idle keeps the poll phase from blocking while
// something is pending), send with uv_udp_try_send (never queued, never waits).
#include "web/emitter/emitter.hpp"

#include <cstring>
#include <deque>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "sign/envelope.hpp"
#include "sign/keys.hpp"
#include "web/emitter/amqp_sender.hpp"
#include "web/emitter/stream_sender.hpp"

namespace uw::web {

namespace {

class UdpEmitter;

// One notifier: its own UDP socket, connected when the kernel allows it (so
// ICMP errors come back to us), else sending with sendto.
struct Target {
  UdpEmitter* owner = nullptr;
  sockaddr_storage addr{};
  bool v6 = false;
  bool connected = false;
  std::string text;
  uv_udp_t udp{};  // lives here; the Target outlives its close callback (owned by the emitter)
  int64_t last_refused_ms = -1'000'000;
  metrics::Counter* unreachable = nullptr;
  metrics::Gauge* unreachable_now = nullptr;
};

uint16_t hp_port(const Target& t) {
  return ntohs(t.v6 ? reinterpret_cast<const sockaddr_in6*>(&t.addr)->sin6_port
                    : reinterpret_cast<const sockaddr_in*>(&t.addr)->sin_port);
}

// A refusal this recent makes the target count as unreachable (two heartbeats).
constexpr int64_t kUnreachableForMs = 3000;

// A copy to send later (copy_spacing_us > 0).
struct Delayed {
  uint64_t due_us;  // uv_hrtime()/1000
  std::shared_ptr<const sign::Datagram> dgram;
};

class UdpEmitter final : public Emitter {
 public:
  UdpEmitter(uv_loop_t* loop, const sign::SecretKey& key, EmitterConfig cfg, metrics::Registry* m)
      : loop_(loop),
        cfg_(std::move(cfg)),
        enc_(std::make_unique<sign::Encoder>(key)),
        coal_(std::make_unique<sign::Coalescer>(*enc_)) {
    if (m) {
      events_ = &m->counter("uwitter_emitter_events_total", "Events handed to the emitter");
      datagrams_ =
          &m->counter("uwitter_emitter_datagrams_total", "Signed datagrams sent (all copies, all targets)");
      dropped_ = &m->counter("uwitter_emitter_dropped_total",
                             "Datagrams dropped because the socket buffer was full");
      errors_ = &m->counter("uwitter_emitter_send_errors_total",
                            "Datagrams that failed to send for another reason");
      unfit_ = &m->counter("uwitter_emitter_unencodable_total", "Events too large for any datagram");
      heartbeats_ =
          &m->counter("uwitter_emitter_heartbeats_total", "Heartbeat datagrams sealed (one per interval)");
      sync_timeouts_ =
          &m->counter("uwitter_emitter_sync_timeouts_total",
                      "Posts answered after --notify-sync-timeout-ms without the notifier's answer");
    }
    metrics_ = m;
  }

  // Resolves the targets and opens the sockets. An Error (what failed, and
  // why) leaves the handles opened so far for close().
  Result<Unit> init() {
    for (const auto& hp : cfg_.targets) {
      auto t = std::make_unique<Target>();
      t->owner = this;
      t->text = hp.host + ":" + std::to_string(hp.port);
      if (uv_ip4_addr(hp.host.c_str(), hp.port, reinterpret_cast<sockaddr_in*>(&t->addr)) != 0) {
        if (uv_ip6_addr(hp.host.c_str(), hp.port, reinterpret_cast<sockaddr_in6*>(&t->addr)) != 0)
          return Error{500, "emitter", "bad notifier address " + t->text + " (need an IP literal)"};
        t->v6 = true;
      }
      if (metrics_) {
        t->unreachable = &metrics_->counter(
            "uwitter_emitter_unreachable_total",
            "Sends and reads a target refused (ICMP port unreachable: nothing listens there)",
            {{"target", t->text}});
        t->unreachable_now = &metrics_->gauge(
            "uwitter_emitter_target_unreachable",
            "1 while the target refused datagrams within the last 3 s (its notifier is not running)",
            {{"target", t->text}});
      }
      targets_.push_back(std::move(t));
    }
    for (const auto& st : cfg_.streams) {
      if (st.scheme == NotifyScheme::Amqp) {
        AmqpSender::Options ao;
        ao.url = st.amqp;
        ao.max_pending = cfg_.stream_max_pending;
        auto sender = std::make_unique<AmqpSender>(loop_, ao, metrics_);
        if (auto r = sender->start(); !r) return r.error();
        ++open_handles_;  // closed through close(), like a handle
        amqp_.push_back(std::move(sender));
        continue;
      }
      StreamSender::Options so;
      so.target = st;
      so.max_pending = cfg_.stream_max_pending;
      so.max_in_flight = st.scheme == NotifyScheme::Http ? cfg_.http_max_in_flight : 1024;
      auto sender = std::make_unique<StreamSender>(loop_, so, metrics_);
      if (auto r = sender->start(); !r) return r.error();
      ++open_handles_;  // closed through close(), like a handle
      if (cfg_.http_sync && st.scheme == NotifyScheme::Http) sync_.push_back(sender.get());
      streams_.push_back(std::move(sender));
    }
    if (cfg_.copies < 1) cfg_.copies = 1;
    for (auto& tp : targets_) {
      Target& t = *tp;
      int rc = uv_udp_init(loop_, &t.udp);
      if (rc != 0) return Error{500, "emitter", uv_strerror(rc)};
      t.udp.data = &t;
      ++open_handles_;
      sockaddr_storage any{};
      if (!t.v6)
        uv_ip4_addr("0.0.0.0", 0, reinterpret_cast<sockaddr_in*>(&any));
      else
        uv_ip6_addr("::", 0, reinterpret_cast<sockaddr_in6*>(&any));
      rc = uv_udp_bind(&t.udp, reinterpret_cast<const sockaddr*>(&any), 0);
      if (rc != 0) return Error{500, "emitter", std::string("bind: ") + uv_strerror(rc)};
      int sz = static_cast<int>(cfg_.send_buffer_bytes);
      if (sz > 0) (void)uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(&t.udp), &sz);
      // Connected, the socket hears the ICMP errors of its one peer. Port 0 is
      // sent to unconnected (Linux would connect to it, and every send would
      // seem to succeed): its sends fail and count.
      const uint16_t port = hp_port(t);
      t.connected = port != 0 && uv_udp_connect(&t.udp, reinterpret_cast<const sockaddr*>(&t.addr)) == 0;
      if (t.connected) {
        // Reading is how an ICMP error arrives without waiting for a send to
        // trip over it (nothing else is ever sent to this socket).
        (void)uv_udp_recv_start(
            &t.udp,
            [](uv_handle_t*, size_t, uv_buf_t* b) {
              static char scratch[64];
              *b = uv_buf_init(scratch, sizeof scratch);
            },
            [](uv_udp_t* u, ssize_t n, const uv_buf_t*, const sockaddr*, unsigned) {
              if (n == UV_ECONNREFUSED) {
                auto* t = static_cast<Target*>(u->data);
                t->owner->refused(*t, true);
              }
            });
      }
    }
    uv_check_init(loop_, &check_);
    uv_idle_init(loop_, &idle_);
    uv_timer_init(loop_, &copy_timer_);
    uv_timer_init(loop_, &heartbeat_timer_);
    uv_timer_init(loop_, &sync_timer_);
    check_.data = idle_.data = copy_timer_.data = heartbeat_timer_.data = sync_timer_.data = this;
    open_handles_ += 5;
    have_loop_handles_ = true;
    if (cfg_.heartbeat_ms > 0) {
      uv_timer_start(
          &heartbeat_timer_, [](uv_timer_t* t) { static_cast<UdpEmitter*>(t->data)->heartbeat(); },
          cfg_.heartbeat_ms, cfg_.heartbeat_ms);
      // Heartbeats alone must not keep a loop alive that is otherwise done.
      uv_unref(reinterpret_cast<uv_handle_t*>(&heartbeat_timer_));
    }
    return Unit{};
  }

  // An ICMP port-unreachable came back from t: on a read (then the datagram
  // it answers failed, and counts as a send error too) or on a send.
  void refused(Target& t, bool on_read) {
    if (on_read && errors_) errors_->inc();
    t.last_refused_ms = static_cast<int64_t>(uv_now(loop_));
    if (t.unreachable) t.unreachable->inc();
    if (t.unreachable_now) t.unreachable_now->set(1);
  }

  void emit(const sign::Event& e) override {
    if (closing_) return;
    if (events_) events_->inc();
    out_.clear();
    if (!coal_->add(e, clock::now_ms(), &out_)) {
      if (unfit_) unfit_->inc();
      log::warn("emitter: event too large for a datagram, dropped");
    }
    for (auto& d : out_) send_all(std::move(d));
    arm();
  }

  uint64_t session_id() const override { return enc_->session_id(); }

  void use_key(const sign::SecretKey& key) override {
    if (closing_) return;
    flush();
    if (cfg_.heartbeat_ms > 0) send_heartbeat();
    coal_.reset();  // refers to the encoder it replaces
    enc_ = std::make_unique<sign::Encoder>(key);
    coal_ = std::make_unique<sign::Coalescer>(*enc_);
  }

  void after_sent(std::function<void(bool)> cb) override {
    if (sync_.empty() || closing_) {
      cb(true);
      return;
    }
    flush();  // the caller's events go into an envelope now
    auto w = std::make_shared<SyncWait>();
    w->cb = std::move(cb);
    w->left = sync_.size();
    w->deadline_ms = uv_now(loop_) + cfg_.sync_timeout_ms;
    waits_.push_back(w);
    for (StreamSender* s : sync_)
      s->when_settled([w] {
        if (--w->left == 0 && w->cb) {
          auto f = std::move(w->cb);
          w->cb = nullptr;
          f(true);
        }
      });
    if (w->cb && !uv_is_active(reinterpret_cast<uv_handle_t*>(&sync_timer_)))
      uv_timer_start(
          &sync_timer_, [](uv_timer_t* t) { static_cast<UdpEmitter*>(t->data)->expire_waits(false); }, 20,
          20);
  }

  void close(std::function<void()> done) override {
    if (closing_) return;
    closing_ = true;
    flush();
    // Copies still waiting for their spacing are sent now rather than lost.
    while (!delayed_.empty()) {
      send_now(*delayed_.front().dgram);
      delayed_.pop_front();
    }
    done_ = std::move(done);
    auto cb = [](uv_handle_t* h) { static_cast<UdpEmitter*>(h->data)->closed_one(); };
    if (open_handles_ == 0) {
      if (done_) done_();
      return;
    }
    expire_waits(true);  // nobody waits on a closing emitter
    for (auto& st : streams_) st->close([this] { closed_one(); });
    for (auto& a : amqp_) a->close([this] { closed_one(); });
    for (auto& t : targets_) {
      if (t->udp.loop != nullptr) {  // uv_udp_init ran
        t->udp.data = this;          // the close callback wants the emitter
        uv_close(reinterpret_cast<uv_handle_t*>(&t->udp), cb);
      }
    }
    if (have_loop_handles_) {
      uv_close(reinterpret_cast<uv_handle_t*>(&check_), cb);
      uv_close(reinterpret_cast<uv_handle_t*>(&idle_), cb);
      uv_close(reinterpret_cast<uv_handle_t*>(&copy_timer_), cb);
      uv_close(reinterpret_cast<uv_handle_t*>(&heartbeat_timer_), cb);
      uv_close(reinterpret_cast<uv_handle_t*>(&sync_timer_), cb);
    }
  }

 private:
  // One post waiting for the synchronous targets (http_sync).
  struct SyncWait {
    std::function<void(bool)> cb;  // null once called
    size_t left = 0;               // targets that have not settled it yet
    uint64_t deadline_ms = 0;
  };

  // Answers the waits past their deadline (all of them when `all`) with false,
  // and forgets the ones already answered.
  void expire_waits(bool all) {
    uint64_t now = uv_now(loop_);
    while (!waits_.empty()) {
      auto& w = waits_.front();
      if (w->cb && !all && w->deadline_ms > now) break;
      if (w->cb) {
        auto f = std::move(w->cb);
        w->cb = nullptr;
        if (sync_timeouts_) sync_timeouts_->inc();
        f(false);
      }
      waits_.pop_front();
    }
    if (waits_.empty() && have_loop_handles_) uv_timer_stop(&sync_timer_);
  }

  void closed_one() {
    if (--open_handles_ == 0 && done_) {
      auto d = std::move(done_);
      d();
    }
  }

  void arm() {
    if (armed_ || coal_->empty()) return;
    armed_ = true;
    uv_check_start(&check_, [](uv_check_t* c) {
      auto* self = static_cast<UdpEmitter*>(c->data);
      self->flush();
    });
    // Without an active idle handle, poll could block before the check runs
    // (when emit() was called from a timer or idle callback).
    uv_idle_start(&idle_, [](uv_idle_t*) {});
  }

  void flush() {
    armed_ = false;
    if (have_loop_handles_ && !closing_) {
      uv_check_stop(&check_);
      uv_idle_stop(&idle_);
    }
    if (coal_->empty()) return;
    out_.clear();
    coal_->flush(clock::now_ms(), &out_);
    for (auto& d : out_) send_all(std::move(d));
  }

  void send_all(sign::Datagram&& d) {
    if (!streams_.empty() || !amqp_.empty()) {
      auto shared = std::make_shared<const sign::Datagram>(d);
      for (auto& st : streams_) st->send(shared);
      for (auto& a : amqp_) a->send(shared);
    }
    if (cfg_.copies <= 1 || cfg_.copy_spacing_us == 0) {
      for (int i = 0; i < cfg_.copies; ++i) send_now(d);
      return;
    }
    send_now(d);
    auto shared = std::make_shared<const sign::Datagram>(std::move(d));
    uint64_t now_us = uv_hrtime() / 1000;
    uint64_t step = cfg_.copy_spacing_us / static_cast<uint64_t>(cfg_.copies - 1);
    for (int i = 1; i < cfg_.copies; ++i)
      delayed_.push_back({now_us + step * static_cast<uint64_t>(i), shared});
    schedule_delayed();
  }

  void schedule_delayed() {
    if (delayed_.empty() || closing_) return;
    uint64_t now_us = uv_hrtime() / 1000;
    uint64_t due = delayed_.front().due_us;
    uint64_t wait_ms = due > now_us ? (due - now_us + 999) / 1000 : 0;
    uv_timer_start(
        &copy_timer_, [](uv_timer_t* t) { static_cast<UdpEmitter*>(t->data)->send_due(); }, wait_ms, 0);
  }

  void send_due() {
    uint64_t now_us = uv_hrtime() / 1000;
    // Copies are queued in due order per datagram; a later datagram's copies can
    // be due earlier than an earlier one's tail only by rounding, which is harmless.
    while (!delayed_.empty() && delayed_.front().due_us <= now_us) {
      send_now(*delayed_.front().dgram);
      delayed_.pop_front();
    }
    schedule_delayed();
  }

  void send_now(const sign::Datagram& d) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(d.data())),
                               static_cast<unsigned>(d.size()));
    for (auto& tp : targets_) {
      Target& t = *tp;
      int rc = uv_udp_try_send(&t.udp, &buf, 1,
                               t.connected ? nullptr : reinterpret_cast<const sockaddr*>(&t.addr));
      if (rc >= 0) {
        if (datagrams_) datagrams_->inc();
      } else if (rc == UV_EAGAIN || rc == UV_ENOBUFS) {
        if (dropped_) dropped_->inc();
      } else {
        if (errors_) errors_->inc();
        if (rc == UV_ECONNREFUSED) refused(t, false);
        // One line per distinct failure burst would be nicer; keep it cheap: every 1000th.
        if ((send_error_count_++ % 1000) == 0)
          log::warn("emitter: send to {} failed: {}", t.text, uv_strerror(rc));
      }
    }
  }

  void heartbeat() {
    if (closing_) return;
    int64_t now = static_cast<int64_t>(uv_now(loop_));
    for (auto& t : targets_)
      if (t->unreachable_now && now - t->last_refused_ms >= kUnreachableForMs) t->unreachable_now->set(0);
    // Pending events go first: the heartbeat must carry the highest number.
    flush();
    send_heartbeat();
  }

  void send_heartbeat() {
    sign::Datagram d;
    enc_->seal_heartbeat(clock::now_ms(), &d);
    if (heartbeats_) heartbeats_->inc();
    send_all(std::move(d));
  }

  uv_loop_t* loop_;
  EmitterConfig cfg_;
  std::unique_ptr<sign::Encoder> enc_;     // replaced by use_key (a new session)
  std::unique_ptr<sign::Coalescer> coal_;  // fills datagrams for *enc_
  std::vector<std::unique_ptr<Target>> targets_;
  std::vector<std::unique_ptr<StreamSender>> streams_;
  std::vector<std::unique_ptr<AmqpSender>> amqp_;  // amqp:// targets: a thread each
  std::vector<sign::Datagram> out_;
  std::deque<Delayed> delayed_;
  uv_check_t check_{};
  uv_idle_t idle_{};
  uv_timer_t copy_timer_{};  // spaced copies
  uv_timer_t heartbeat_timer_{};
  uv_timer_t sync_timer_{};  // runs while posts wait for synchronous targets
  std::vector<StreamSender*> sync_;
  std::deque<std::shared_ptr<SyncWait>> waits_;  // deadline order (one timeout for all)
  metrics::Counter* sync_timeouts_ = nullptr;
  metrics::Registry* metrics_ = nullptr;
  metrics::Counter* heartbeats_ = nullptr;
  bool have_loop_handles_ = false;
  int open_handles_ = 0;
  bool armed_ = false;
  bool closing_ = false;
  uint64_t send_error_count_ = 0;
  std::function<void()> done_;
  metrics::Counter* events_ = nullptr;
  metrics::Counter* datagrams_ = nullptr;
  metrics::Counter* dropped_ = nullptr;
  metrics::Counter* errors_ = nullptr;
  metrics::Counter* unfit_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Emitter>> Emitter::create(uv_loop_t* loop, const sign::SecretKey& key,
                                                 EmitterConfig cfg, metrics::Registry* metrics) {
  auto e = std::make_unique<UdpEmitter>(loop, key, std::move(cfg), metrics);
  if (auto r = e->init(); !r) {
    // Handles opened so far must be closed before the object goes; the caller's
    // loop is not running yet, so close and run it until they are gone.
    bool closed = false;
    e->close([&closed] { closed = true; });
    while (!closed) uv_run(loop, UV_RUN_ONCE);
    return r.error();
  }
  return std::unique_ptr<Emitter>(std::move(e));
}

}  // namespace uw::web
