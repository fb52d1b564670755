#include "core/store/sqlite/indexer.hpp"

#include <algorithm>
#include <vector>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace uw {

namespace {
constexpr int kNice = 5;  // below the loop and the writer, above the checkpointer
}

Result<std::unique_ptr<Indexer>> Indexer::start(const std::string& db_path, const Store::Options& opts,
                                                metrics::Registry* metrics) {
  Store::Options o = opts;
  o.read_only = false;
  auto store = SqliteStore::open(db_path, o);
  if (!store) return store.error();
  return std::unique_ptr<Indexer>(new Indexer(std::move(store.value()), metrics));
}

Indexer::Indexer(std::unique_ptr<Store> store, metrics::Registry* metrics) : store_(std::move(store)) {
  if (metrics) {
    indexed_total_ = &metrics->counter("uwitter_search_indexed_total", "Uweets added to the search index.");
    lag_ =
        &metrics->gauge("uwitter_search_index_lag_uweets", "Committed uweets not yet in the search index.");
  }
  upto_.advance(store_->indexed_upto());
  (void)wake_.push(Wake{});  // start by catching up
  thread_.start({"indexer", kNice}, [this] { thread_main(); });
}

Indexer::~Indexer() { stop(); }

void Indexer::notify(int64_t newest_id) {
  int64_t seen = newest_.load(std::memory_order_relaxed);
  while (seen < newest_id && !newest_.compare_exchange_weak(seen, newest_id, std::memory_order_relaxed)) {
  }
  if (lag_) lag_->set(static_cast<double>(std::max<int64_t>(0, newest_id - indexed_upto())));
  (void)wake_.push(Wake{});  // false only once stopped
}

bool Indexer::wait_indexed(int64_t id, std::chrono::milliseconds max) { return upto_.wait_at_least(id, max); }

void Indexer::stop() {
  wake_.stop(Stop::Now);
  upto_.close();
  thread_.join();
}

void Indexer::thread_main() {
  std::vector<Wake> wakes;
  // Every wake-up queued so far is one pass; a failed batch retries after a
  // second even without a new post.
  while (wake_.take_for(wakes, std::chrono::seconds(1))) {
    wakes.clear();
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
      upto_.advance(upto);
      if (wake_.stopped()) return;
    }
  }
}

}  // namespace uw
