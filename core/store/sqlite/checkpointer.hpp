#pragma once
// uw::Checkpointer — moves SQLite WAL checkpoints off the writer thread (the
// SQLite backend's StoreBackground: the writer gets one from
// SqliteStore::start_background()).
//
// SQLite's automatic checkpoint runs inside the COMMIT that crosses the WAL
// threshold, so one unlucky batch of posts waits for the checkpoint's fsyncs
// (the p99 of POST /api/v1/uweets showed it). Instead, a WAL hook on the
// writer's connection (called on the writer thread after each commit; it only
// queues a wake-up) wakes this thread, which runs a PASSIVE checkpoint on its
// own connection, at nice 10. In WAL mode a checkpoint runs alongside the
// writer and never blocks it; a checkpoint that cannot finish (a reader holds
// an old snapshot) simply continues next time.
//
// Threading: constructed and destroyed on the writer's owner thread (see
// below); checkpoints(), backfilled_pages() and active() on any thread.
#include <atomic>
#include <cstdint>

#include "core/store/sqlite/store.hpp"
#include "core/worker/job_queue.hpp"
#include "core/worker/worker_thread.hpp"

struct sqlite3;

namespace uw {

class Checkpointer final : public StoreBackground {
 public:
  // Installs the WAL hook on writer_db (replacing SQLite's auto-checkpoint) and
  // starts the thread. Construct before the writer thread uses writer_db. For a
  // database without a file (in-memory) it does nothing.
  explicit Checkpointer(sqlite3* writer_db, int wal_pages_threshold = 1000);
  // Removes the hook, stops and joins. Destroy only after the writer thread has
  // made its last commit (the hook runs on that thread).
  ~Checkpointer() override;
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Checkpoints run so far.
  uint64_t checkpoints() const override { return done_.load(std::memory_order_relaxed); }
  // WAL pages copied back into the database file by those checkpoints (the
  // pages of a frame counted once per checkpoint that copied it).
  uint64_t backfilled_pages() const { return backfilled_.load(std::memory_order_relaxed); }
  bool active() const { return db_ != nullptr; }

 private:
  struct Wanted {};  // a commit left the WAL past the threshold
  static int on_wal(void* self, sqlite3* db, const char* schema, int pages);
  void thread_main();
  sqlite3* writer_db_;
  sqlite3* db_ = nullptr;  // own connection, used by the checkpointer thread only
  int threshold_;
  std::atomic<uint64_t> done_{0};
  std::atomic<uint64_t> backfilled_{0};
  JobQueue<Wanted> wanted_;
  WorkerThread thread_;  // last: joined before the members it uses go
};

}  // namespace uw
