#pragma once
// uw::Watermark — how far a worker has got, as a number that only grows, which
// other threads may wait on (the search indexer's "indexed up to uweet id";
// a search waits for the uweet it must find).
//
// Threading: any thread. wait_at_least() blocks: never call it on a loop thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace uw {

class Watermark {
 public:
  explicit Watermark(int64_t start = 0) : value_(start) {}

  int64_t value() const { return value_.load(std::memory_order_acquire); }

  // The worker got to v; wakes the waiters.
  void advance(int64_t v) {
    {
      std::lock_guard lk(mu_);
      value_.store(v, std::memory_order_release);
    }
    cv_.notify_all();
  }

  // Blocks until value() >= v, close(), or max has passed; true if reached.
  bool wait_at_least(int64_t v, std::chrono::milliseconds max) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, max, [&] { return closed_ || value() >= v; }) && value() >= v;
  }

  // The worker is going: every wait returns now.
  void close() {
    {
      std::lock_guard lk(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::atomic<int64_t> value_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;  // guarded by mu_
};

}  // namespace uw
