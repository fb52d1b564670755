// uw::notifier::AmqpConsumer implementation: the thread owns the Session; it
// posts each delivery to the loop and takes back the acks through acks_
// (rung through wake_), sending them on the connection that delivered them.
#include "notifier-udp/amqp_consumer.hpp"

#include <poll.h>
#include <pthread.h>

#include <algorithm>

#include "core/amqp/session.hpp"
#include "core/worker/loop_mailbox.hpp"
#include "notifier-udp/event_log.hpp"

namespace uw::notifier {

namespace {

uint64_t mono_ms() { return uv_hrtime() / 1'000'000; }

// Deliveries read per wake-up before the acks due get their turn.
constexpr int kReadsPerTurn = 64;

}  // namespace

AmqpConsumer::AmqpConsumer(uv_loop_t* loop, Options opts, EventLog& log, OfferFn offer)
    : loop_(loop), opts_(std::move(opts)), log_(log), offer_(std::move(offer)) {
  if (opts_.prefetch == 0) opts_.prefetch = 1;
}

AmqpConsumer::~AmqpConsumer() {
  if (thread_.joinable()) {  // close() was not run to its end: stop the thread anyway
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
    }
    wake_.ring();
    thread_.join();
  }
}

Result<Unit> AmqpConsumer::start() {
  if (!wake_.ok()) return Error{500, "amqp", "cannot make an eventfd"};
  mailbox_ = std::make_unique<LoopMailbox>(loop_);
  thread_ = std::thread([this] { run(); });
  return Unit{};
}

void AmqpConsumer::close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
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
    stop_ = true;
  }
  wake_.ring();
}

void AmqpConsumer::drop_connection() {
  {
    std::lock_guard<std::mutex> g(mu_);
    drop_generation_ = generation_.load();
  }
  wake_.ring();
}

AmqpConsumerStats AmqpConsumer::stats() const {
  AmqpConsumerStats s;
  s.deliveries = deliveries_.load();
  s.redelivered = redelivered_.load();
  s.acked = acked_.load();
  s.reconnects = reconnects_.load();
  s.unacked = unacked_.load();
  s.connected = connected_.load();
  return s;
}

// Loop thread: offer, then hand the ack to the thread.
void AmqpConsumer::delivered(uint64_t generation, uint64_t tag, std::vector<uint8_t>&& body,
                             bool redelivered) {
  if (closing_) return;  // left unacked: the broker gives it to the next consumer
  offer_(std::span<const uint8_t>(body.data(), body.size()), redelivered);
  {
    std::lock_guard<std::mutex> g(mu_);
    acks_.push_back(Ack{generation, tag});
  }
  wake_.ring();
}

void AmqpConsumer::run() {
  pthread_setname_np(pthread_self(), "uw-amqp");
  amqp::Session s;
  uint64_t backoff = opts_.backoff_min_ms;
  std::string last_error;
  const std::string broker = opts_.url.text();
  std::vector<Ack> acks;

  auto stopping = [&] {
    std::lock_guard<std::mutex> g(mu_);
    return stop_;
  };
  auto lost = [&](const std::string& why) {
    s.abort();
    connected_ = false;
    unacked_ = 0;  // the broker requeues them; our acks for them are void now
    ++reconnects_;
    if (why != last_error) {
      log_.write(LogLevel::Warn, "amqp", {{"event", "lost"}, {"broker", broker}, {"reason", why}});
      last_error = why;
    }
  };
  // Sends the acks the loop handed back that belong to this connection.
  auto send_acks = [&]() -> bool {
    acks.clear();
    bool drop = false;
    {
      std::lock_guard<std::mutex> g(mu_);
      acks.swap(acks_);
      drop = drop_generation_ != 0 && drop_generation_ == generation_.load();
      drop_generation_ = 0;
    }
    if (drop) {
      lost("connection dropped on request");
      return false;
    }
    for (const Ack& a : acks) {
      if (a.generation != generation_.load() || !s.is_open()) continue;
      if (auto r = s.ack(a.tag); !r) {
        lost(r.error().message);
        return false;
      }
      ++acked_;
      if (unacked_ > 0) --unacked_;
    }
    return true;
  };

  while (!stopping()) {
    if (!s.is_open()) {
      auto r = s.open(opts_.url, opts_.timeout_ms);
      if (r) r = s.qos(opts_.prefetch);
      if (r) r = s.consume();
      if (!r) {
        s.abort();
        ++reconnects_;
        if (r.error().message != last_error) {
          log_.write(LogLevel::Warn, "amqp",
                     {{"event", "unreachable"}, {"broker", broker}, {"reason", r.error().message}});
          last_error = r.error().message;
        }
        uint64_t until = mono_ms() + backoff;
        while (!stopping() && mono_ms() < until) {
          pollfd p{wake_.fd(), POLLIN, 0};
          (void)::poll(&p, 1, static_cast<int>(std::min<uint64_t>(until - mono_ms() + 1, 200)));
          wake_.drain();
        }
        backoff = std::min(backoff * 2, opts_.backoff_max_ms);
        continue;
      }
      backoff = opts_.backoff_min_ms;
      last_error.clear();
      ++generation_;
      connected_ = true;
      log_.write(LogLevel::Info, "amqp",
                 {{"event", "consuming"},
                  {"broker", broker},
                  {"queue", opts_.url.queue},
                  {"prefetch", static_cast<uint64_t>(opts_.prefetch)}});
    }
    if (!send_acks()) continue;
    auto w = s.wait(wake_.fd(), 200);
    wake_.drain();
    if (!w) {
      lost(w.error().message);
      continue;
    }
    // Also when nothing came: the library sends a heartbeat when one is due.
    for (int i = 0; i < kReadsPerTurn; ++i) {
      amqp_envelope_t env{};
      timeval zero{};
      amqp_rpc_reply_t r = amqp_consume_message(s.raw(), &env, &zero, 0);
      if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        const uint64_t gen = generation_.load();
        std::vector<uint8_t> body(static_cast<const uint8_t*>(env.message.body.bytes),
                                  static_cast<const uint8_t*>(env.message.body.bytes) + env.message.body.len);
        const uint64_t tag = env.delivery_tag;
        const bool again = env.redelivered != 0;
        amqp_destroy_envelope(&env);
        ++deliveries_;
        ++unacked_;
        if (again) ++redelivered_;
        mailbox_->post([this, gen, tag, again, b = std::move(body)]() mutable {
          delivered(gen, tag, std::move(b), again);
        });
        if (!amqp_frames_enqueued(s.raw()) && !amqp_data_in_buffer(s.raw())) break;
        continue;
      }
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) break;
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        // Another frame than a delivery: the broker closing the channel or
        // the connection, or cancelling us (the queue was deleted).
        auto f = s.read_frame();
        if (!f) {
          lost(f.error().message);
          break;
        }
        if (f->has_value() && (*f)->frame_type == AMQP_FRAME_METHOD &&
            (*f)->payload.method.id == AMQP_BASIC_CANCEL_METHOD) {
          lost("the broker cancelled the consumer");
          break;
        }
        continue;
      }
      lost(amqp::Session::describe(r, "consume"));
      break;
    }
    if (s.is_open()) amqp_maybe_release_buffers(s.raw());
  }
  // Stopping: the acks already due go out, then a polite close (the broker
  // requeues whatever is still unacknowledged).
  if (s.is_open() && send_acks()) s.close();
  s.abort();
  connected_ = false;
  mailbox_->post([this] {
    if (thread_.joinable()) thread_.join();
    mailbox_->close(std::move(done_));
  });
}

}  // namespace uw::notifier
