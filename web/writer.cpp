#include "web/writer.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace uw::web {

namespace {
constexpr const char* kSavepoint = "uw_job";
}

Writer::Writer(std::unique_ptr<Store> store, LoopMailbox& mailbox, metrics::Registry* metrics,
               size_t max_batch)
    : store_(std::move(store)),
      checkpointer_(std::make_unique<Checkpointer>(store_->raw())),
      mailbox_(mailbox),
      max_batch_(std::max<size_t>(1, max_batch)) {
  if (metrics) {
    batch_sizes_ = &metrics->histogram("uwitter_writer_batch_size",
                                       "Write jobs per committed transaction (group commit).",
                                       {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
  }
  thread_ = std::thread([this] { thread_main(); });
}

Writer::~Writer() { stop(); }

void Writer::submit(Job job) {
  {
    std::lock_guard lk(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  mailbox_.post([done = std::move(job.done)] { done(false); });
}

void Writer::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

uint64_t Writer::batches() const {
  std::lock_guard lk(mu_);
  return batches_;
}

void Writer::thread_main() {
  std::vector<Job> batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      if (queue_.size() <= max_batch_) {
        batch.swap(queue_);
      } else {
        auto cut = queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(cut));
        queue_.erase(queue_.begin(), cut);
      }
    }
    // ok[i]: job i ran and was kept (not rolled back).
    auto ok = std::make_shared<std::vector<bool>>(batch.size(), false);
    bool committed = false;
    if (auto b = store_->begin(); !b) {
      log::error("writer: BEGIN failed: {}", b.error().message);
    } else {
      for (size_t i = 0; i < batch.size(); ++i) {
        if (auto sp = store_->savepoint(kSavepoint); !sp) {
          log::error("writer: SAVEPOINT failed: {}", sp.error().message);
          continue;
        }
        bool kept = batch[i].run(*store_);
        if (!kept) store_->rollback_to(kSavepoint);
        if (auto rel = store_->release(kSavepoint); !rel) {
          log::error("writer: RELEASE failed: {}", rel.error().message);
          kept = false;
        }
        (*ok)[i] = kept;
      }
      if (auto c = store_->commit(); !c) {
        log::error("writer: COMMIT failed: {}", c.error().message);
        store_->rollback();
      } else {
        committed = true;
      }
    }
    if (batch_sizes_) batch_sizes_->observe(static_cast<double>(batch.size()));
    {
      std::lock_guard lk(mu_);
      ++batches_;
    }
    // One message per batch; completions run on the loop in submission order.
    mailbox_.post([jobs = std::move(batch), ok, committed]() mutable {
      for (size_t i = 0; i < jobs.size(); ++i) jobs[i].done(committed && (*ok)[i]);
    });
    batch.clear();
  }
}

}  // namespace uw::web
