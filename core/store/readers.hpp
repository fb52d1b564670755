#pragma once
// uw::Readers — a small pool of reader threads, each with its own
// read-only Store, for reads the in-memory caches cannot answer (deep pages,
// search, follower lists, uweets no longer cached). WAL lets them read while the
// writer commits.
//
// Threading: call() and stop() on the loop thread; fn on a reader thread; done
// on the loop thread (through the LoopMailbox).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/store/store.hpp"
#include "core/worker/job_queue.hpp"
#include "core/worker/loop_mailbox.hpp"
#include "core/worker/worker_thread.hpp"

namespace uw {

class Readers {
 public:
  // Opens `threads` read-only stores on db_path (the database must exist).
  static Result<std::unique_ptr<Readers>> create(const std::string& db_path, int threads,
                                                 LoopMailbox& mailbox);
  ~Readers();  // stop()s
  Readers(const Readers&) = delete;
  Readers& operator=(const Readers&) = delete;

  // Loop thread. Runs fn(store) on some reader thread, then done(result) on the loop.
  // A read that met an unreachable or busy database (Store::take_unavailable)
  // answers that 503, with Retry-After, instead of what fn made of it (an
  // empty page is not "no uweets").
  template <class T, class Fn>
  void call(Fn fn, std::function<void(Result<T>)> done) {
    submit([fn = std::move(fn), done = std::move(done)](Store& s) mutable -> std::function<void()> {
      (void)s.take_unavailable();  // a previous read's
      auto r = std::make_shared<Result<T>>(fn(s));
      if (auto e = s.take_unavailable(); e && r->ok()) *r = std::move(*e);
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
  JobQueue<Task> queue_;               // one queue, every reader thread takes from it
  std::vector<WorkerThread> threads_;  // last: joined before the stores go
};

}  // namespace uw
