#pragma once
// uw::FeedListener — one web instance's reader of the change feed (Store's
// feed_* calls; docs/ARCHITECTURE.md "Several web instances"). A thread of
// its own with its own connection: it LISTENs for the feed's wake-up, reads
// the other instances' changes after its cursor (at once on a NOTIFY, and
// every `poll` regardless: the bound when a NOTIFY is missed), and posts each
// page to the loop, which applies it to the caches. It also
//   * heartbeats: writes, in the instance table, that this instance is alive
//     and which transactions it has applied (the loop says so by applied());
//   * answers await_peers(): "has every live peer applied transaction X?"
//     (a logout waits for it before it answers, so the session is gone on
//     every instance for the client's very next request);
//   * tells the loop how recent its contact with the database is
//     (in_contact()): an instance that lost it for longer than `fence` must
//     not trust its sessions, since peers stop waiting for it after `live`;
//   * reconnects with backoff (50 ms doubling to backoff_max) after losing
//     its connection, LISTENs again and reads on from its cursor: the table
//     is the truth, a NOTIFY only the wake-up, so nothing is missed;
//   * prunes the feed (rows older than `keep`) every prune_every; the
//     database lets one instance at a time do it.
//
// Threading: the constructor, start(), stop(), applied(), await_peers() and
// in_contact() on the loop thread; the Apply and await callbacks run on the
// loop thread through the mailbox. The mailbox must outlive the listener;
// stop() before closing it (jobs still queued then do nothing).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/store/store.hpp"
#include "core/worker/loop_mailbox.hpp"
#include "core/worker/worker_thread.hpp"

namespace uw::metrics {
class Counter;
class Gauge;
class Registry;
}  // namespace uw::metrics

namespace uw {

class FeedListener {
 public:
  struct Options {
    std::string target;  // the --db URI
    std::string name;    // this instance: the origin whose changes are skipped
    std::chrono::milliseconds poll{1000};
    std::chrono::milliseconds heartbeat{250};
    std::chrono::milliseconds live{1500};
    std::chrono::milliseconds fence{1000};
    std::chrono::milliseconds await_cap{2000};
    std::chrono::milliseconds backoff_max{1000};
    std::chrono::milliseconds prune_every{60'000};
    std::chrono::milliseconds keep{600'000};
    int page = 1000;
  };
  // Loop thread: a page of the peers' changes (possibly none: the horizon
  // moved). Returns true when it held a revocation (a session ended): the
  // heartbeat that says it was applied then wakes the peers' listeners at
  // once, since the instance that committed it is waiting.
  using Apply = std::function<bool(FeedPage page)>;

  FeedListener(Options o, FeedCursor from, LoopMailbox& mailbox, Apply apply, metrics::Registry* metrics);
  ~FeedListener();  // stop()s
  FeedListener(const FeedListener&) = delete;
  FeedListener& operator=(const FeedListener&) = delete;

  // Starts the thread (it connects by itself, and keeps trying).
  Result<Unit> start();
  // Ends the thread (its waiters are answered false) and forgets this
  // instance in the table, so peers stop waiting for it at once.
  void stop();

  // Loop thread, after apply(): every change of a transaction below lo is in
  // the caches (lo < 0: not yet, the read goes on); urgent: apply() said so.
  void applied(int64_t lo, bool urgent);
  // Loop thread: done(true) once every live peer has applied transaction
  // xid, done(false) after await_cap (a peer that heartbeats but does not
  // apply) or when the listener stops.
  void await_peers(int64_t xid, std::function<void(bool)> done);
  // Loop thread: a page was read and the heartbeat written less than
  // `fence` ago, or there was no other live instance at the last heartbeat
  // (alone, nobody else can end a session).
  bool in_contact() const;
  // Loop thread: milliseconds since that contact (-1 = never).
  int64_t contact_age_ms() const;

  uint64_t reconnects() const { return reconnects_.load(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Waiter {
    int64_t xid;
    Clock::time_point deadline;
    std::function<void(bool)> done;
  };
  void run();
  bool cycle(Store& s, Clock::time_point* next_prune);
  void answer_waiters(Store* s, bool give_up);
  void sleep_or_wake(std::chrono::milliseconds d);
  void note_contact_age();
  void ring() const;

  Options o_;
  FeedCursor cursor_;  // listener thread
  LoopMailbox& mailbox_;
  Apply apply_;
  int wake_fd_ = -1;
  std::atomic<bool> running_{false};
  std::atomic<int64_t> applied_lo_{0};
  std::atomic<bool> urgent_{false};  // a revocation applied, not yet acknowledged
  // Other live instances at the last heartbeat: counted by the listener
  // thread (peers_), told to the loop thread with the contact (had_peers_),
  // so the loop never learns "alone" before it applied the pages read ahead
  // of that count (one may start a reload, docs/STORAGE.md "Pruning").
  bool peers_ = false;         // listener thread
  bool had_peers_ = false;     // loop thread
  std::string last_error_;     // listener thread: why the connection was given up
  int64_t heartbeat_lo_ = -1;  // listener thread: the applied_lo last written
  Clock::time_point last_heartbeat_{};
  Clock::time_point next_peer_count_{};
  Clock::time_point last_read_ok_{};
  Clock::time_point contact_{};  // loop thread
  // Loop thread: false once stop() ran. Jobs the listener thread posted are
  // drained by the mailbox later, maybe after this object is gone: each holds
  // this flag and does nothing once it is false.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool ever_contact_ = true;  // loop thread (start-up loaded the caches: contact)
  std::atomic<uint64_t> reconnects_{0};
  std::mutex mu_;
  std::vector<Waiter> waiters_;  // guarded by mu_
  metrics::Counter* reconnects_total_ = nullptr;
  metrics::Counter* await_timeouts_ = nullptr;
  metrics::Counter* pruned_ = nullptr;
  metrics::Gauge* contact_age_ = nullptr;  // set by the listener thread
  metrics::Gauge* live_peers_ = nullptr;   // likewise
  Clock::time_point last_contact_{};       // listener thread: the read before the last good heartbeat
  WorkerThread thread_;                    // last: joined before the members it uses go
};

}  // namespace uw
