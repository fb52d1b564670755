#pragma once
// uw::web::Readers — a small pool of reader threads, each with its own
// read-only Store, for reads the in-memory caches cannot answer (deep pages,
// search, follower lists, uweets no longer cached). WAL lets them read while the
// writer commits.
//
// Threading: call() and stop() on the loop thread; fn on a reader thread; done
// on the loop thread (through the LoopMailbox).
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "core/store/store.hpp"
#include "core/worker/loop_mailbox.hpp"

namespace uw::web {

class Readers {
 public:
  // Opens `threads` read-only stores on db_path (the database must exist).
  static Result<std::unique_ptr<Readers>> create(const std::string& db_path, int threads,
                                                 LoopMailbox& mailbox);
  ~Readers();  // stop()s
  Readers(const Readers&) = delete;
  Readers& operator=(const Readers&) = delete;

  // Loop thread. Runs fn(store) on some reader thread, then done(result) on the loop.
  template <class T, class Fn>
  void call(Fn fn, std::function<void(Result<T>)> done) {
    submit([fn = std::move(fn), done = std::move(done)](Store& s) mutable -> std::function<void()> {
      auto r = std::make_shared<Result<T>>(fn(s));
      return [r, done = std::move(done)]() mutable { done(std::move(*r)); };
    });
  }

  // Loop thread. Finishes queued reads (completions posted), joins the threads.
  void stop();

 private:
  using Task = std::function<std::function<void()>(Store&)>;
  Readers(LoopMailbox& mailbox) : mailbox_(mailbox) {}
  void submit(Task t);
  void thread_main(Store* store);

  LoopMailbox& mailbox_;
  std::vector<std::unique_ptr<Store>> stores_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
};

}  // namespace uw::web
