#pragma once
// uw::Writer — the single writer thread. It owns the only writable Store
// and commits in batches (group commit): it takes every queued job, opens one
// BEGIN IMMEDIATE transaction, runs each job inside its own SAVEPOINT (a job that
// fails rolls back only itself), COMMITs, and then posts one message to the loop
// that runs every job's completion there. So a completion (and hence the HTTP
// response and the UDP event) happens only after the COMMIT that contains it.
//
// The backend's own background work for the writer's connection (SQLite's
// WAL checkpoints, Store::start_background) starts with the writer and stops
// after its last commit.
//
// Uweet inserts (insert()) are handed to the store together: the inserts that
// follow each other in a batch go to Store::insert_uweets in one call, which
// PostgreSQL sends in one pipeline (one round trip for all of them instead of
// one each; docs/STORAGE.md "Inserts in one pipeline"). Each still fails alone.
//
// Threading: submit()/call()/insert() and stop() on the loop thread; Job::run
// and Store::insert_uweets on the writer thread; Job::done on the loop thread
// (through the LoopMailbox).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/store/store.hpp"
#include "core/worker/job_queue.hpp"
#include "core/worker/loop_mailbox.hpp"
#include "core/worker/worker_thread.hpp"

namespace uw::metrics {
class Histogram;
class Registry;
}  // namespace uw::metrics

namespace uw {

class Writer {
 public:
  // One uweet insert of a Job (insert()): what to insert, and, once the
  // writer thread ran it, the store's answer.
  struct Insert {
    NewUweet uweet;
    std::optional<Result<Uweet>> result;
  };
  struct Job {
    Job(std::function<bool(Store&)> r, std::function<void(bool)> d,
        std::shared_ptr<std::optional<Error>> w = nullptr)
        : run(std::move(r)), done(std::move(d)), why(std::move(w)) {}
    Job(std::shared_ptr<Insert> i, std::function<void(bool)> d, std::shared_ptr<std::optional<Error>> w)
        : done(std::move(d)), why(std::move(w)), insert(std::move(i)) {}
    // Writer thread, inside a savepoint. Returns false to roll this job back.
    std::function<bool(Store&)> run;
    // Loop thread, after the batch ended. committed is false when the job was
    // rolled back or the batch's COMMIT failed.
    std::function<void(bool committed)> done;
    // Optional. When the batch, not the job, failed (BEGIN, SAVEPOINT,
    // RELEASE or COMMIT), the writer thread stores why here before done runs:
    // a 503 (database busy, unreachable, disk full) as the store said it,
    // with Retry-After; anything else as 500 write_failed.
    std::shared_ptr<std::optional<Error>> why;
    // Set instead of run for an insert job: the writer runs it with the
    // inserts next to it in the batch (Store::insert_uweets) and stores the
    // answer here; done(true) when it was kept and committed.
    std::shared_ptr<Insert> insert;
    // Set by submit(): how long the job waited for its batch
    // (uwitter_writer_queued_seconds).
    std::chrono::steady_clock::time_point queued{};
  };

  // Takes ownership of the writable store; starts the thread. mailbox must
  // outlive the writer. metrics may be null.
  Writer(std::unique_ptr<Store> store, LoopMailbox& mailbox, metrics::Registry* metrics,
         size_t max_batch = 1024);
  ~Writer();  // stop()s if still running
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Loop thread. Queues a job (after stop(), the job fails at once via done(false)
  // posted to the mailbox).
  void submit(Job job);

  // Typed convenience: fn runs on the writer thread inside a savepoint; a
  // failing Result rolls the job back. done gets fn's result after the commit;
  // when the batch failed instead, the batch's error (Job::why: 503 with
  // Retry-After for a busy, unreachable or full database, else 500
  // write_failed).
  template <class T, class Fn>
  void call(Fn fn, std::function<void(Result<T>)> done) {
    auto slot = std::make_shared<std::optional<Result<T>>>();
    auto why = std::make_shared<std::optional<Error>>();
    submit(Job{[slot, fn = std::move(fn)](Store& s) mutable {
                 slot->emplace(fn(s));
                 return (*slot)->ok();
               },
               [slot, why, done = std::move(done)](bool committed) {
                 if (slot->has_value() && (committed || !(*slot)->ok())) {
                   done(std::move(**slot));
                 } else if (why->has_value()) {
                   done(std::move(**why));
                 } else {
                   done(write_failed());
                 }
               },
               why});
  }

  // Inserts a uweet (Store::insert_uweet's semantics). The inserts queued
  // next to each other go to the store in one Store::insert_uweets call.
  // done gets the stored uweet (or the first one, for a repeated idempotency
  // key) after the commit, the insert's own error, or the batch's error as
  // for call().
  void insert(NewUweet u, std::function<void(Result<Uweet>)> done);

  // The 500 a job gets when its batch failed for a reason the store did not
  // call temporary.
  static Error write_failed() {
    return Error{500, "write_failed", "The database could not save this; please try again."};
  }

  // Loop thread. Lets the queued jobs finish (their completions are posted to the
  // mailbox), then joins the thread. Blocks for at most one batch.
  void stop();

  // Batches committed so far (any thread; for tests).
  uint64_t batches() const;
  // WAL checkpoints run off the writer thread so far (any thread; for tests).
  uint64_t checkpoints() const { return background_ ? background_->checkpoints() : 0; }

 private:
  // The writer's error lines, rate-limited: a full disk or a stopped server
  // fails every batch, hundreds a second. The first failure is logged at once,
  // then one line a second at most saying how many more; and one line when a
  // batch commits again. Writer thread only.
  class FailureLog {
   public:
    void note(const Error& e, const char* step);
    void recovered();

   private:
    std::chrono::steady_clock::time_point next_line_{};
    uint64_t unlogged_ = 0;
    uint64_t since_ok_ = 0;
  };

  void thread_main();
  // Runs the insert job batch[i] and the insert jobs right after it as one
  // Store::insert_uweets call; sets ok[] for them and returns the index after
  // the last one. Writer thread.
  size_t run_inserts(std::vector<Job>& batch, size_t i, std::vector<bool>& ok);
  FailureLog failures_;
  std::unique_ptr<Store> store_;
  // Declared after store_ so it is destroyed first; the destructor runs after
  // stop() joined the writer thread (the thread whose commits it follows).
  std::unique_ptr<StoreBackground> background_;
  LoopMailbox& mailbox_;
  metrics::Histogram* batch_sizes_ = nullptr;
  metrics::Histogram* run_seconds_ = nullptr;     // BEGIN .. last job (the jobs' SQL)
  metrics::Histogram* commit_seconds_ = nullptr;  // COMMIT alone
  metrics::Histogram* begin_seconds_ = nullptr;   // BEGIN alone
  metrics::Histogram* queued_seconds_ = nullptr;  // submit() to the start of the job's batch
  size_t max_batch_;
  JobQueue<Job> queue_;
  std::atomic<uint64_t> batches_{0};
  WorkerThread thread_;  // last: joined before the members it uses go
};

}  // namespace uw
