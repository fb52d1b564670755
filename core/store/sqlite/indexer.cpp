#include "core/store/sqlite/indexer.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/worker/thread_priority.hpp"

namespace uw::web {

namespace {
constexpr int kNice = 5;  // below the loop and the writer, above the checkpointer
}

Result<std::unique_ptr<Indexer>> Indexer::start(const std::string& db_path, const Store::Options& opts,
                                                metrics::Registry* metrics) {
  Store::Options o = opts;
  o.read_only = false;
  auto store = Store::open(db_path, o);
  if (!store) return store.error();
  return std::unique_ptr<Indexer>(new Indexer(std::move(store.value()), metrics));
}

Indexer::Indexer(std::unique_ptr<Store> store, metrics::Registry* metrics) : store_(std::move(store)) {
  if (metrics) {
    indexed_total_ = &metrics->counter("uwitter_search_indexed_total", "Uweets added to the search index.");
    lag_ =
        &metrics->gauge("uwitter_search_index_lag_uweets", "Committed uweets not yet in the search index.");
  }
  upto_.store(store_->indexed_upto(), std::memory_order_release);
  thread_ = std::thread([this] { thread_main(); });
}

Indexer::~Indexer() { stop(); }

void Indexer::notify(int64_t newest_id) {
  int64_t seen = newest_.load(std::memory_order_relaxed);
  while (seen < newest_id && !newest_.compare_exchange_weak(seen, newest_id, std::memory_order_relaxed)) {
  }
  if (lag_) lag_->set(static_cast<double>(std::max<int64_t>(0, newest_id - indexed_upto())));
  {
    std::lock_guard lk(mu_);
    pending_ = true;
  }
  wake_.notify_one();
}

bool Indexer::wait_indexed(int64_t id, std::chrono::milliseconds max) {
  std::unique_lock lk(mu_);
  return progress_.wait_for(lk, max, [&] { return stopping_ || indexed_upto() >= id; }) &&
         indexed_upto() >= id;
}

void Indexer::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  progress_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Indexer::thread_main() {
  // Background work: on a busy machine the loop and the writer go first.
  if (!lower_this_thread_priority(kNice)) {
    log::debug("indexer: cannot lower its priority");
  }
  for (;;) {
    {
      std::unique_lock lk(mu_);
      // A failed batch retries after a second even without a new post.
      wake_.wait_for(lk, std::chrono::seconds(1), [this] { return pending_ || stopping_; });
      if (stopping_) return;
      pending_ = false;
    }
    for (;;) {
      auto n = store_->index_pending(kBatch);
      if (!n) {
        log::warn("indexer: {}", n.error().message);
        break;
      }
      const int64_t upto = store_->indexed_upto();
      // The gauge first, then the progress searches wait on.
      if (lag_) {
        lag_->set(static_cast<double>(std::max<int64_t>(0, newest_.load(std::memory_order_relaxed) - upto)));
      }
      if (n.value() == 0) break;
      if (indexed_total_) indexed_total_->inc(static_cast<uint64_t>(n.value()));
      {
        std::lock_guard lk(mu_);
        upto_.store(upto, std::memory_order_release);
      }
      progress_.notify_all();
      std::lock_guard lk(mu_);
      if (stopping_) return;
    }
  }
}

}  // namespace uw::web
