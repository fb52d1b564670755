#pragma once
// uw::Indexer — keeps the SQLite search index up to date on a thread of its
// own (nice 5).
//
// Full-text indexing costs about four times the insert of a uweet (FTS5
// tokenising and segment merges; docs/STORAGE.md "Search"), and its merges
// stall now and then. So it is not part of a post's transaction: the index is
// a database file of its own (attached as `search`), written only by this
// thread's connection, which needs no lock on the main database. After each
// committed post the loop calls notify(id); the thread indexes what is new in
// batches, oldest first, and records how far it got (Store::index_pending).
// A search waits (on a reader thread, bounded) until the index holds every
// uweet committed before the search was asked, so a user finds the uweet they
// just posted; under overload it answers after the bound with what is indexed.
//
// The SQLite backend's SearchIndexer (Store::start_indexer).
//
// Threading: notify(id), indexed_upto() any thread; wait_indexed() any thread but
// the loop; stop() and the destructor on the owner's thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "core/store/sqlite/store.hpp"
#include "core/worker/job_queue.hpp"
#include "core/worker/watermark.hpp"
#include "core/worker/worker_thread.hpp"

namespace uw::metrics {
class Counter;
class Gauge;
class Registry;
}  // namespace uw::metrics

namespace uw {

class Indexer final : public SearchIndexer {
 public:
  static constexpr int kBatch = 2000;  // uweets per index transaction

  // Opens a writable Store of its own on db_path (it must have been created and
  // migrated) and starts the thread, which first catches up with whatever is
  // not indexed yet. metrics may be null.
  static Result<std::unique_ptr<Indexer>> start(const std::string& db_path, const Store::Options& opts,
                                                metrics::Registry* metrics);
  ~Indexer() override;  // stop()s
  Indexer(const Indexer&) = delete;
  Indexer& operator=(const Indexer&) = delete;

  // Uweets up to newest_id were committed.
  void notify(int64_t newest_id) override;
  // The newest uweet id in the index.
  int64_t indexed_upto() const override { return upto_.value(); }
  // Blocks until indexed_upto() >= id or `max` has passed; true if reached.
  bool wait_indexed(int64_t id, std::chrono::milliseconds max) override;
  // Finishes the batch in progress and joins.
  void stop() override;

 private:
  explicit Indexer(std::unique_ptr<Store> store, metrics::Registry* metrics);
  void thread_main();

  struct Wake {};  // new uweets were committed (or: catch up at start)
  std::unique_ptr<Store> store_;
  metrics::Counter* indexed_total_ = nullptr;
  metrics::Gauge* lag_ = nullptr;   // newest_ - upto_, set by both sides
  Watermark upto_;                  // searches wait on it
  std::atomic<int64_t> newest_{0};  // newest committed uweet id we were told of
  JobQueue<Wake> wake_;
  WorkerThread thread_;  // last: joined before the members it uses go
};

}  // namespace uw
