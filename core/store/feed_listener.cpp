#include "core/store/feed_listener.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"

namespace uw {

using namespace std::chrono_literals;

FeedListener::FeedListener(Options o, FeedCursor from, LoopMailbox& mailbox, Apply apply,
                           metrics::Registry* metrics)
    : o_(std::move(o)),
      cursor_(from),
      mailbox_(mailbox),
      apply_(std::move(apply)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      applied_lo_(from.lo) {
  if (metrics) {
    reconnects_total_ = &metrics->counter("uwitter_feed_reconnects_total",
                                          "Times the change feed's listener connected again after losing "
                                          "its connection.");
    await_timeouts_ = &metrics->counter("uwitter_feed_await_timeouts_total",
                                        "Revocations answered before every live peer said it applied them "
                                        "(the wait's cap passed).");
    pruned_ = &metrics->counter("uwitter_feed_pruned_total", "Change feed rows this instance pruned.");
    contact_age_ = &metrics->gauge("uwitter_feed_contact_age_seconds",
                                   "Seconds since the change feed was last read and the heartbeat written "
                                   "(above the fence, 1 s, the instance refuses session tokens).");
  }
  if (metrics)
    live_peers_ = &metrics->gauge("uwitter_feed_live_peers",
                                  "Other web instances heartbeating on the change feed (at the last count).");
  contact_ = last_contact_ = Clock::now();
}

FeedListener::~FeedListener() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Result<Unit> FeedListener::start() {
  if (wake_fd_ < 0) return Error{500, "feed_listener", "cannot create the feed listener's eventfd"};
  running_ = true;
  thread_.start({"feed", 0}, [this] { run(); });
  return Unit{};
}

void FeedListener::stop() {
  *alive_ = false;  // queued jobs must not touch this object any more
  if (!running_.exchange(false)) return;
  ring();
  thread_.join();
}

void FeedListener::ring() const {
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
}

void FeedListener::sleep_or_wake(std::chrono::milliseconds d) {
  pollfd p{wake_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(d.count())) > 0) {
    uint64_t v = 0;
    (void)!::read(wake_fd_, &v, sizeof v);
  }
}

void FeedListener::note_contact_age() {
  if (contact_age_) contact_age_->set(std::chrono::duration<double>(Clock::now() - last_contact_).count());
}

void FeedListener::applied(int64_t lo, bool urgent) {
  if (urgent) urgent_ = true;
  if (lo > applied_lo_.load()) {
    applied_lo_ = lo;
    ring();  // heartbeat now: a peer's logout may be waiting for it
  }
}

void FeedListener::await_peers(int64_t xid, std::function<void(bool)> done) {
  {
    std::lock_guard lock(mu_);
    waiters_.push_back(Waiter{xid, Clock::now() + o_.await_cap, std::move(done)});
  }
  ring();
}

// Alone at the last heartbeat, no peer could end a session meanwhile (a peer
// that starts while this instance is cut off is the exception, docs).
bool FeedListener::in_contact() const {
  return !had_peers_ || (ever_contact_ && Clock::now() - contact_ < o_.fence);
}

int64_t FeedListener::contact_age_ms() const {
  if (!ever_contact_) return -1;
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - contact_).count();
}

void FeedListener::answer_waiters(Store* s, bool give_up) {
  std::vector<Waiter> ws;
  {
    std::lock_guard lock(mu_);
    ws.swap(waiters_);
  }
  if (ws.empty()) return;
  std::vector<Waiter> keep;
  const auto now = Clock::now();
  for (auto& w : ws) {
    bool ok = false;
    if (s && !give_up) {
      auto behind = s->feed_peers_behind(o_.name, w.xid, o_.live.count());
      ok = behind && behind.value() == 0;
    }
    if (ok || give_up || now >= w.deadline) {
      if (!ok && await_timeouts_) await_timeouts_->inc();
      mailbox_.post([done = std::move(w.done), ok] { done(ok); });
    } else {
      keep.push_back(std::move(w));
    }
  }
  if (!keep.empty()) {
    std::lock_guard lock(mu_);
    for (auto& w : keep) waiters_.push_back(std::move(w));
  }
}

// One round on a listening connection: read what there is, heartbeat,
// answer waiters, prune when due, then wait for a wake-up. False when the
// connection failed (the caller reconnects).
bool FeedListener::cycle(Store& s, Clock::time_point* next_prune) {
  for (;;) {
    const auto t0 = Clock::now();
    auto p = s.feed_read(cursor_, o_.name, o_.page);
    if (!p) {
      last_error_ = p.error().message;
      return false;
    }
    last_read_ok_ = t0;
    const bool more = p->more;
    const bool moved = !more && p->next.lo != cursor_.lo;
    cursor_ = p->next;
    if (!p->changes.empty() || p->pruned || moved) {
      const int64_t lo = more ? -1 : cursor_.lo;
      mailbox_.post([this, alive = alive_, page = std::move(p.value()), lo]() mutable {
        if (!*alive) return;
        const bool urgent = apply_(std::move(page));
        applied(lo, urgent);
      });
    }
    if (!more) break;
  }
  const auto now = Clock::now();
  const int64_t lo = applied_lo_.load();
  const bool urgent = lo != heartbeat_lo_ && urgent_.load();
  if (urgent || (lo != heartbeat_lo_ && now - last_heartbeat_ >= 2ms) ||
      now - last_heartbeat_ >= o_.heartbeat) {
    if (urgent) urgent_ = false;
    if (auto h = s.feed_heartbeat(o_.name, lo, urgent); !h) {
      last_error_ = h.error().message;
      return false;
    }
    // Live peers (applied below "everything": all of them), for the fence.
    if (now >= next_peer_count_) {
      auto n = s.feed_peers_behind(o_.name, std::numeric_limits<int64_t>::max(), o_.live.count());
      if (!n) {
        last_error_ = n.error().message;
        return false;
      }
      peers_ = n.value() > 0;
      if (live_peers_) live_peers_->set(static_cast<double>(n.value()));
      next_peer_count_ = now + o_.heartbeat;
    }
    heartbeat_lo_ = lo;
    last_heartbeat_ = now;
    last_contact_ = last_read_ok_;
    mailbox_.post([this, alive = alive_, t = last_read_ok_, peers = peers_] {
      if (!*alive) return;
      contact_ = std::max(contact_, t);
      ever_contact_ = true;
      had_peers_ = peers;
    });
  }
  note_contact_age();
  answer_waiters(&s, false);
  if (now >= *next_prune) {
    *next_prune = now + o_.prune_every;
    auto n = s.feed_prune(clock::now_ms() - o_.keep.count());
    if (n && n.value() > 0) {
      if (pruned_) pruned_->inc(static_cast<uint64_t>(n.value()));
      log::info("feed: pruned {} changes older than {} s", n.value(), o_.keep.count() / 1000);
    }
  }
  bool waiting;
  {
    std::lock_guard lock(mu_);
    waiting = !waiters_.empty();
  }
  auto timeout = std::min(o_.poll, o_.heartbeat);
  if (waiting) timeout = 2ms;
  if (heartbeat_lo_ != applied_lo_.load()) timeout = 2ms;
  auto w = s.feed_wait(timeout, wake_fd_);
  if (!w) last_error_ = w.error().message;
  return w.ok();
}

void FeedListener::run() {
  std::unique_ptr<Store> store;
  auto backoff = 50ms;
  bool listened = false;
  bool down = false;
  Clock::time_point next_down_log{};
  auto next_prune = Clock::now() + o_.prune_every / 4;
  while (running_) {
    if (!store) {
      Store::Options so;
      so.busy_timeout_ms = 2000;
      auto s = Store::open(o_.target, so);
      if (s) {
        store = std::move(s.value());
      } else {
        last_error_ = s.error().message;
      }
    }
    if (store) {
      if (auto r = store->feed_listen(); !r) {
        last_error_ = r.error().message;
      } else {
        if (listened) {
          reconnects_.fetch_add(1);
          if (reconnects_total_) reconnects_total_->inc();
          log::info("feed: listening again; reading on from the cursor");
        }
        listened = true;
        down = false;
        backoff = 50ms;
        while (running_ && cycle(*store, &next_prune)) {
        }
        if (!running_) break;
      }
      // A fresh connection, not a reset of this one: whatever state a
      // failure left it in (a pipeline, a half-read result) goes with it.
      store.reset();
    }
    if (!down) {
      log::warn("feed: lost the database connection ({}); reconnecting (backoff up to {} ms)", last_error_,
                o_.backoff_max.count());
      next_down_log = Clock::now() + 5s;
    } else if (Clock::now() >= next_down_log) {
      log::warn("feed: still reconnecting ({})", last_error_);
      next_down_log = Clock::now() + 5s;
    }
    down = true;
    note_contact_age();
    answer_waiters(nullptr, false);  // only the expired ones
    sleep_or_wake(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, o_.backoff_max);
  }
  if (store) (void)store->feed_leave(o_.name);
  answer_waiters(nullptr, true);
}

}  // namespace uw
