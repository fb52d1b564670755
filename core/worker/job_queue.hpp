#pragma once
// uw::JobQueue<T> — the queue between the threads that hand out work and the
// worker thread(s) that do it: a mutex, a condition variable and a deque.
// Every worker in the tree (store/writer, store/readers, the SQLite
// checkpointer and indexer, FileWriter, the notifier's FanoutWorker) is one or
// more WorkerThreads taking jobs from one of these; results go back to the
// loop through a LoopMailbox.
//
// Bounds: a queue built with a capacity refuses a push whose cost would take
// the pending cost past it (FileWriter bounds bytes this way). Cost stays
// pending until the worker calls release(): a job counts until it is done,
// not just until it is taken.
//
// Stop: stop(Stop::Drain) lets the takers finish what is queued, then their
// take() returns false; stop(Stop::Now) makes take() return false at once and
// what is queued is destroyed with the queue. Either way push() fails from
// then on.
//
// Threading: every member may be called from any thread.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace uw {

enum class Stop { Drain, Now };

template <class T>
class JobQueue {
 public:
  static constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();

  explicit JobQueue(size_t capacity = kUnbounded) : capacity_(capacity) {}
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Queues job and wakes one taker. False (and job untouched) when stopped,
  // or when cost would take the pending cost past the capacity.
  [[nodiscard]] bool push(T&& job, size_t cost = 0) {
    {
      std::lock_guard lk(mu_);
      if (stopped_) return false;
      if (cost > capacity_ - pending_cost_) return false;
      pending_cost_ += cost;
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
  }

  // Worker thread. Waits until a job is queued or the queue stops, then moves
  // up to max jobs (oldest first) to the end of out. False when the worker
  // should end: stopped, and (Stop::Drain) nothing is left.
  bool take(std::vector<T>& out, size_t max = kUnbounded) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return ending() || !jobs_.empty(); });
    return move_out(out, max);
  }

  // take() that also returns (true, out unchanged) after timeout.
  template <class Rep, class Period>
  bool take_for(std::vector<T>& out, std::chrono::duration<Rep, Period> timeout, size_t max = kUnbounded) {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, timeout, [this] { return ending() || !jobs_.empty(); });
    return move_out(out, max);
  }

  // take() without waiting: true with out unchanged when nothing is queued.
  bool poll(std::vector<T>& out, size_t max = kUnbounded) {
    std::lock_guard lk(mu_);
    return move_out(out, max);
  }

  // One job; nullopt when the worker should end (see take()).
  std::optional<T> take_one() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return ending() || !jobs_.empty(); });
    if (now_ || jobs_.empty()) return std::nullopt;
    std::optional<T> job(std::move(jobs_.front()));
    jobs_.pop_front();
    return job;
  }

  // The worker finished jobs whose cost adds up to cost.
  void release(size_t cost) {
    std::lock_guard lk(mu_);
    pending_cost_ -= cost;
  }

  // The cost of the jobs queued or taken and not yet released.
  size_t pending_cost() {
    std::lock_guard lk(mu_);
    return pending_cost_;
  }

  // True once stop() was called (a worker in a long job may look and end early).
  bool stopped() {
    std::lock_guard lk(mu_);
    return stopped_;
  }

  void stop(Stop how) {
    {
      std::lock_guard lk(mu_);
      stopped_ = true;
      now_ = now_ || how == Stop::Now;
    }
    cv_.notify_all();
  }

 private:
  bool ending() const { return now_ || (stopped_ && jobs_.empty()); }
  // Caller holds mu_.
  bool move_out(std::vector<T>& out, size_t max) {
    if (ending()) return false;
    for (size_t n = 0; n < max && !jobs_.empty(); ++n) {
      out.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
    }
    return true;
  }

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> jobs_;       // guarded by mu_
  size_t pending_cost_ = 0;  // guarded by mu_
  bool stopped_ = false;     // guarded by mu_: push() fails
  bool now_ = false;         // guarded by mu_: takers end at once
};

}  // namespace uw
