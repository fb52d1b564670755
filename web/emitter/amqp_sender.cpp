// uw::web::AmqpSender implementation: the loop pushes into waiting_ and rings
// wake_; the thread owns the Session and the in-flight list, sleeping in
// poll() on the broker socket and the wake-up fd.
#include "web/emitter/amqp_sender.hpp"

#include <poll.h>
#include <pthread.h>

#include <algorithm>

#include "core/amqp/session.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/worker/loop_mailbox.hpp"

namespace uw::web {

namespace {

uint64_t mono_ms() { return uv_hrtime() / 1'000'000; }

}  // namespace

AmqpSender::AmqpSender(uv_loop_t* loop, Options opts, metrics::Registry* m)
    : loop_(loop), opts_(std::move(opts)) {
  if (opts_.max_in_flight == 0) opts_.max_in_flight = 1;
  if (opts_.max_pending < opts_.max_in_flight) opts_.max_pending = opts_.max_in_flight;
  if (!m) return;
  metrics::Labels l{{"target", opts_.url.text()}, {"transport", "amqp"}};
  m_sent_ = &m->counter("uwitter_emitter_transport_sent_total",
                        "Envelopes written to a stream target (resends included)", l);
  m_confirmed_ = &m->counter("uwitter_emitter_transport_confirmed_total",
                             "Envelopes the notifier acknowledged (tcp: ack count; http: 2xx)", l);
  m_nacked_ =
      &m->counter("uwitter_emitter_amqp_nacked_total",
                  "Messages the broker refused with basic.nack (not sent again)", {{"target", l[0].second}});
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

AmqpSender::~AmqpSender() {
  // close() joined the thread; a sender that was never started has none.
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> g(mu_);
      closing_ = true;
      close_deadline_ms_ = 0;
    }
    wake_.ring();
    thread_.join();
  }
}

Result<Unit> AmqpSender::start() {
  if (!wake_.ok()) return Error{500, "emitter", "amqp: cannot make an eventfd"};
  mailbox_ = std::make_unique<LoopMailbox>(loop_);
  thread_ = std::thread([this] { run(); });
  return Unit{};
}

void AmqpSender::count(std::atomic<uint64_t>& stat, metrics::Counter* m, uint64_t n) {
  stat.fetch_add(n, std::memory_order_relaxed);
  if (m) m->inc(n);
}

void AmqpSender::set_gauges() {
  if (m_pending_) m_pending_->set(static_cast<double>(pending_.load(std::memory_order_relaxed)));
  if (m_connected_) m_connected_->set(connected_.load(std::memory_order_relaxed) ? 1 : 0);
}

void AmqpSender::send(std::shared_ptr<const sign::Datagram> envelope) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (closing_) return;
    if (waiting_.size() + in_flight_count_ >= opts_.max_pending) {
      if (!waiting_.empty()) {
        waiting_.pop_front();  // the oldest waiting one goes: the newest news is kept
      } else {
        count(dropped_, m_dropped_);
        return;
      }
      count(dropped_, m_dropped_);
    }
    waiting_.push_back(Item{0, std::move(envelope)});
    pending_.store(waiting_.size() + in_flight_count_, std::memory_order_relaxed);
  }
  set_gauges();
  wake_.ring();
}

void AmqpSender::close(std::function<void()> done) {
  if (!thread_.joinable()) {
    if (mailbox_) {
      mailbox_->close(std::move(done));
    } else if (done) {
      done();
    }
    return;
  }
  done_ = std::move(done);
  {
    std::lock_guard<std::mutex> g(mu_);
    closing_ = true;
    close_deadline_ms_ = mono_ms() + opts_.close_grace_ms;
  }
  wake_.ring();
}

AmqpSenderStats AmqpSender::stats() const {
  AmqpSenderStats s;
  s.sent = sent_.load();
  s.confirmed = confirmed_.load();
  s.nacked = nacked_.load();
  s.dropped = dropped_.load();
  s.resent = resent_.load();
  s.reconnects = reconnects_.load();
  s.pending = pending_.load();
  s.connected = connected_.load();
  return s;
}

void AmqpSender::run() {
  pthread_setname_np(pthread_self(), "uw-amqp");
  amqp::Session s;
  std::deque<Item> in_flight;  // published, unconfirmed, in tag order
  uint64_t next_tag = 1;
  uint64_t backoff = opts_.backoff_min_ms;
  std::string last_error;  // one log line per change of reason, not per retry
  const std::string target = opts_.url.text();

  auto lost = [&](const std::string& why) {
    connected_ = false;
    count(reconnects_, m_reconnects_);
    set_gauges();
    if (why != last_error) {
      size_t waiting = 0;
      {
        std::lock_guard<std::mutex> g(mu_);
        waiting = waiting_.size() + in_flight.size();
      }
      log::warn("emitter: {}: {}; {} envelopes wait (reconnecting with backoff)", target, why, waiting);
      last_error = why;
    }
  };
  // What closing asks: true when the thread should end now.
  auto should_end = [&] {
    std::lock_guard<std::mutex> g(mu_);
    if (!closing_) return false;
    return (waiting_.empty() && in_flight.empty()) || mono_ms() >= close_deadline_ms_;
  };
  auto update_pending = [&] {
    std::lock_guard<std::mutex> g(mu_);
    in_flight_count_ = in_flight.size();
    pending_.store(waiting_.size() + in_flight.size(), std::memory_order_relaxed);
  };

  while (!should_end()) {
    if (!s.is_open()) {
      auto r = s.open(opts_.url, opts_.timeout_ms);
      if (r) r = s.confirm_select();
      if (!r) {
        lost(r.error().message);
        // Sleep the backoff (a close wakes us; sends do too, harmlessly).
        uint64_t until = mono_ms() + backoff;
        while (!should_end() && mono_ms() < until) {
          pollfd p{wake_.fd(), POLLIN, 0};
          (void)::poll(&p, 1, static_cast<int>(std::min<uint64_t>(until - mono_ms() + 1, 200)));
          wake_.drain();
        }
        backoff = std::min(backoff * 2, opts_.backoff_max_ms);
        continue;
      }
      backoff = opts_.backoff_min_ms;
      next_tag = 1;
      if (!last_error.empty()) log::info("emitter: {} connected again", target);
      last_error.clear();
      connected_ = true;
      // Unconfirmed messages go again, first and in order.
      if (!in_flight.empty()) {
        count(resent_, m_resent_, in_flight.size());
        std::lock_guard<std::mutex> g(mu_);
        for (auto it = in_flight.rbegin(); it != in_flight.rend(); ++it)
          waiting_.push_front(Item{0, it->envelope});
        in_flight.clear();
        in_flight_count_ = 0;
      }
      set_gauges();
    }
    // Publish what waits, up to the in-flight bound.
    bool failed = false;
    while (in_flight.size() < opts_.max_in_flight) {
      Item item;
      {
        std::lock_guard<std::mutex> g(mu_);
        if (waiting_.empty()) break;
        item = std::move(waiting_.front());
        waiting_.pop_front();
        in_flight_count_ = in_flight.size() + 1;
      }
      const sign::Datagram& d = *item.envelope;
      auto r = s.publish(std::span<const uint8_t>(d.data(), d.size()), true);
      if (!r) {
        {
          std::lock_guard<std::mutex> g(mu_);
          waiting_.push_front(std::move(item));
          in_flight_count_ = in_flight.size();
        }
        failed = true;
        lost(r.error().message);  // takes mu_ itself: not under the guard above
        break;
      }
      count(sent_, m_sent_);
      item.tag = next_tag++;
      in_flight.push_back(std::move(item));
    }
    update_pending();
    set_gauges();
    if (failed) continue;
    if (!s.is_open()) continue;
    // Sleep until the broker answers, a send rings, or 200 ms (heartbeats).
    auto w = s.wait(wake_.fd(), 200);
    wake_.drain();
    if (!w) {
      lost(w.error().message);
      s.abort();
      continue;
    }
    // Read every frame there is: confirms (basic.ack / basic.nack). Also when
    // nothing came: the library then sends a heartbeat when one is due (and
    // notices a dead peer).
    for (;;) {
      auto f = s.read_frame();
      if (!f) {
        lost(f.error().message);
        break;
      }
      if (!f->has_value()) break;
      const amqp_frame_t& fr = **f;
      if (fr.frame_type != AMQP_FRAME_METHOD) continue;
      uint64_t tag = 0;
      bool multiple = false, ack = false;
      if (fr.payload.method.id == AMQP_BASIC_ACK_METHOD) {
        const auto* a = static_cast<const amqp_basic_ack_t*>(fr.payload.method.decoded);
        tag = a->delivery_tag;
        multiple = a->multiple != 0;
        ack = true;
      } else if (fr.payload.method.id == AMQP_BASIC_NACK_METHOD) {
        const auto* n = static_cast<const amqp_basic_nack_t*>(fr.payload.method.decoded);
        tag = n->delivery_tag;
        multiple = n->multiple != 0;
      } else {
        continue;
      }
      uint64_t settled = 0;
      if (multiple) {
        while (!in_flight.empty() && in_flight.front().tag <= tag) {
          in_flight.pop_front();
          ++settled;
        }
      } else {
        auto it =
            std::find_if(in_flight.begin(), in_flight.end(), [tag](const Item& i) { return i.tag == tag; });
        if (it != in_flight.end()) {
          in_flight.erase(it);
          settled = 1;
        }
      }
      if (ack)
        count(confirmed_, m_confirmed_, settled);
      else
        count(nacked_, m_nacked_, settled);
    }
    update_pending();
    set_gauges();
    if (s.is_open()) amqp_maybe_release_buffers(s.raw());  // not after a failure closed it
  }
  // Closing: say goodbye when we can; what is still pending is dropped.
  if (s.is_open()) s.close();
  size_t left = 0;
  {
    std::lock_guard<std::mutex> g(mu_);
    left = waiting_.size() + in_flight.size();
    waiting_.clear();
    in_flight_count_ = 0;
  }
  if (left > 0) {
    count(dropped_, m_dropped_, left);
    log::warn("emitter: {}: {} envelopes still pending at close, dropped", target, left);
  }
  pending_ = 0;
  connected_ = false;
  set_gauges();
  // The loop joins us (at once: we are past our last step) and calls done.
  mailbox_->post([this] {
    if (thread_.joinable()) thread_.join();
    mailbox_->close(std::move(done_));
  });
}

}  // namespace uw::web
