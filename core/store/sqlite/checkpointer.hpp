#pragma once
// uw::web::Checkpointer — moves SQLite WAL checkpoints off the writer thread.
//
// SQLite's automatic checkpoint runs inside the COMMIT that crosses the WAL
// threshold, so one unlucky batch of posts waits for the checkpoint's fsyncs
// (the p99 of POST /api/v1/uweets showed it). Instead, a WAL hook on the
// writer's connection (called on the writer thread after each commit; it only
// sets a flag) wakes this thread, which runs a PASSIVE checkpoint on its own
// connection. In WAL mode a checkpoint runs alongside the writer and never
// blocks it; a checkpoint that cannot finish (a reader holds an old snapshot)
// simply continues next time.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

struct sqlite3;

namespace uw::web {

class Checkpointer {
 public:
  // Installs the WAL hook on writer_db (replacing SQLite's auto-checkpoint) and
  // starts the thread. Construct before the writer thread uses writer_db. For a
  // database without a file (in-memory) it does nothing.
  explicit Checkpointer(sqlite3* writer_db, int wal_pages_threshold = 1000);
  // Removes the hook, stops and joins. Destroy only after the writer thread has
  // made its last commit (the hook runs on that thread).
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Checkpoints run so far (any thread; for tests and metrics).
  uint64_t checkpoints() const;
  // WAL pages copied back into the database file by those checkpoints (the
  // pages of a frame counted once per checkpoint that copied it).
  uint64_t backfilled_pages() const;
  bool active() const { return db_ != nullptr; }

 private:
  static int on_wal(void* self, sqlite3* db, const char* schema, int pages);
  void thread_main();
  sqlite3* writer_db_;
  sqlite3* db_ = nullptr;  // own connection, used by the checkpointer thread only
  int threshold_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;      // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
  uint64_t done_ = 0;        // guarded by mu_
  uint64_t backfilled_ = 0;  // guarded by mu_
  std::thread thread_;
};

}  // namespace uw::web
