#include "core/store/writer.hpp"

#include <algorithm>
#include <chrono>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace uw {

namespace {
constexpr const char* kSavepoint = "uw_job";
using Clock = std::chrono::steady_clock;

// What a job is told when its batch failed: the store's 503 (busy,
// unreachable, disk full: temporary, so with Retry-After) or 500 write_failed.
Error batch_error(const Error& e, bool at_commit) {
  if (e.status != 503) return Writer::write_failed();
  Error out = e;
  if (out.retry_after_s <= 0) out.retry_after_s = 1;
  // A COMMIT whose connection went may or may not have reached the disk.
  if (at_commit && out.code == "db_unavailable")
    out.message += "; this may or may not have been saved: retry with the same Idempotency-Key";
  return out;
}

void tell(Writer::Job& job, const Error& e) {
  if (job.why) *job.why = e;
}
}  // namespace

void Writer::FailureLog::note(const Error& e, const char* step) {
  ++since_ok_;
  const auto now = Clock::now();
  if (now < next_line_) {
    ++unlogged_;
    return;
  }
  if (unlogged_ > 0) {
    log::error("writer: {} failed: {} ({} more failed batches not logged)", step, e.message, unlogged_);
  } else {
    log::error("writer: {} failed: {}", step, e.message);
  }
  unlogged_ = 0;
  next_line_ = now + std::chrono::seconds(1);
}

void Writer::FailureLog::recovered() {
  if (since_ok_ == 0) return;
  log::info("writer: committing again after {} failed steps", since_ok_);
  since_ok_ = 0;
  unlogged_ = 0;
  next_line_ = {};
}

Writer::Writer(std::unique_ptr<Store> store, LoopMailbox& mailbox, metrics::Registry* metrics,
               size_t max_batch)
    : store_(std::move(store)),
      background_(store_->start_background()),
      mailbox_(mailbox),
      max_batch_(std::max<size_t>(1, max_batch)) {
  if (metrics) {
    batch_sizes_ = &metrics->histogram("uwitter_writer_batch_size",
                                       "Write jobs per committed transaction (group commit).",
                                       {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
    const std::vector<double> secs = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1};
    run_seconds_ =
        &metrics->histogram("uwitter_writer_batch_run_seconds",
                            "Time a batch spends running its jobs' SQL (BEGIN to last job).", secs);
    commit_seconds_ =
        &metrics->histogram("uwitter_writer_commit_seconds", "Time a batch's COMMIT takes.", secs);
    begin_seconds_ = &metrics->histogram("uwitter_writer_begin_seconds", "Time a batch's BEGIN takes.", secs);
    queued_seconds_ = &metrics->histogram("uwitter_writer_queued_seconds",
                                          "Time a write job waits before its batch starts.", secs);
  }
  thread_.start({"writer"}, [this] { thread_main(); });
}

Writer::~Writer() { stop(); }

void Writer::submit(Job job) {
  job.queued = Clock::now();
  if (queue_.push(std::move(job))) return;
  // NOLINTNEXTLINE(bugprone-use-after-move): push() leaves job untouched when it returns false
  mailbox_.post([done = std::move(job.done)] { done(false); });
}

void Writer::insert(NewUweet u, std::function<void(Result<Uweet>)> done) {
  auto slot = std::make_shared<Insert>();
  slot->uweet = std::move(u);
  auto why = std::make_shared<std::optional<Error>>();
  submit(Job{slot,
             [slot, why, done = std::move(done)](bool committed) {
               // As call(): the insert's own error, or its uweet once committed,
               // else why the batch failed.
               if (slot->result && (committed || !slot->result->ok())) {
                 done(std::move(*slot->result));
               } else if (why->has_value()) {
                 done(std::move(**why));
               } else {
                 done(write_failed());
               }
             },
             why});
}

size_t Writer::run_inserts(std::vector<Job>& batch, size_t i, std::vector<bool>& ok) {
  size_t end = i;
  std::vector<const NewUweet*> uweets;
  while (end < batch.size() && batch[end].insert) uweets.push_back(&batch[end++].insert->uweet);
  auto results = store_->insert_uweets(uweets);
  results.resize(uweets.size(), Result<Uweet>(write_failed()));  // one answer each, whatever the store did
  for (size_t k = i; k < end; ++k) {
    auto& r = results[k - i];
    ok[k] = r.ok();
    batch[k].insert->result = std::move(r);
  }
  return end;
}

void Writer::stop() {
  queue_.stop(Stop::Drain);
  thread_.join();
}

uint64_t Writer::batches() const { return batches_.load(std::memory_order_relaxed); }

void Writer::thread_main() {
  std::vector<Job> batch;
  // Every queued job, up to max_batch_; false once stopped and drained.
  while (queue_.take(batch, max_batch_)) {
    // ok[i]: job i ran and was kept (not rolled back).
    auto ok = std::make_shared<std::vector<bool>>(batch.size(), false);
    bool committed = false;
    const auto t0 = Clock::now();
    if (queued_seconds_) {
      for (const auto& job : batch)
        queued_seconds_->observe(std::chrono::duration<double>(t0 - job.queued).count());
    }
    auto t1 = t0;
    auto b = store_->begin();
    if (begin_seconds_) begin_seconds_->observe(std::chrono::duration<double>(Clock::now() - t0).count());
    if (!b) {
      failures_.note(b.error(), "BEGIN");
      const Error e = batch_error(b.error(), false);
      for (auto& job : batch) tell(job, e);
    } else {
      for (size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].insert) {
          i = run_inserts(batch, i, *ok) - 1;
          continue;
        }
        if (auto sp = store_->savepoint(kSavepoint); !sp) {
          failures_.note(sp.error(), "SAVEPOINT");
          tell(batch[i], batch_error(sp.error(), false));
          continue;
        }
        bool kept = batch[i].run(*store_);
        if (!kept) store_->rollback_to(kSavepoint);
        if (auto rel = store_->release(kSavepoint); !rel) {
          failures_.note(rel.error(), "RELEASE");
          tell(batch[i], batch_error(rel.error(), false));
          kept = false;
        }
        (*ok)[i] = kept;
      }
      t1 = Clock::now();
      if (auto c = store_->commit(); !c) {
        failures_.note(c.error(), "COMMIT");
        const Error e = batch_error(c.error(), true);
        for (auto& job : batch) tell(job, e);
        store_->rollback();
      } else {
        committed = true;
        failures_.recovered();
      }
    }
    if (batch_sizes_) {
      const auto t2 = Clock::now();
      batch_sizes_->observe(static_cast<double>(batch.size()));
      run_seconds_->observe(std::chrono::duration<double>(t1 - t0).count());
      commit_seconds_->observe(std::chrono::duration<double>(t2 - t1).count());
    }
    batches_.fetch_add(1, std::memory_order_relaxed);
    // One message per batch; completions run on the loop in submission order.
    mailbox_.post([jobs = std::move(batch), ok, committed]() mutable {
      for (size_t i = 0; i < jobs.size(); ++i) jobs[i].done(committed && (*ok)[i]);
    });
    batch.clear();
  }
}

}  // namespace uw
