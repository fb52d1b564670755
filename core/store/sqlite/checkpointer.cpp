#include "core/store/sqlite/checkpointer.hpp"

#include <sqlite3.h>

#include <string>
#include <vector>

#include "core/log.hpp"

namespace uw {

namespace {
constexpr int kNice = 10;  // below the loop, the writer and the indexer
}

std::unique_ptr<StoreBackground> SqliteStore::start_background() {
  auto c = std::make_unique<Checkpointer>(db_);
  if (!c->active()) return nullptr;
  return c;
}

Checkpointer::Checkpointer(sqlite3* writer_db, int wal_pages_threshold)
    : writer_db_(writer_db), threshold_(wal_pages_threshold) {
  const char* file = sqlite3_db_filename(writer_db_, "main");
  if (file == nullptr || *file == '\0') return;  // in-memory: keep SQLite's own behaviour
  if (sqlite3_open_v2(file, &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    log::warn("checkpointer: cannot open a second connection ({}); SQLite checkpoints inline",
              db_ ? sqlite3_errmsg(db_) : "out of memory");
    sqlite3_close(db_);
    db_ = nullptr;
    return;
  }
  // A connection opens the WAL only when it first reads the database; until then
  // sqlite3_wal_checkpoint_v2 does nothing and reports -1 pages (it took a
  // benchmark's 1 GB WAL to notice). One read makes this connection a WAL one.
  if (sqlite3_exec(db_, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) != SQLITE_OK) {
    log::warn("checkpointer: cannot read the database ({}); SQLite checkpoints inline", sqlite3_errmsg(db_));
    sqlite3_close(db_);
    db_ = nullptr;
    return;
  }
  sqlite3_wal_hook(writer_db_, &Checkpointer::on_wal, this);  // also turns off wal_autocheckpoint
  thread_.start({"checkpointer", kNice}, [this] { thread_main(); });
}

Checkpointer::~Checkpointer() {
  if (!db_) return;
  sqlite3_wal_hook(writer_db_, nullptr, nullptr);
  wanted_.stop(Stop::Now);
  thread_.join();
  sqlite3_close(db_);
}

int Checkpointer::on_wal(void* self, sqlite3*, const char*, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages < c->threshold_) return SQLITE_OK;
  (void)c->wanted_.push(Wanted{});  // false only while stopping
  return SQLITE_OK;
}

void Checkpointer::thread_main() {
  std::vector<Wanted> wanted;
  // Wake-ups queued while a checkpoint ran are taken together: one more
  // checkpoint covers them all.
  while (wanted_.take(wanted)) {
    wanted.clear();
    int log_pages = 0, done_pages = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &done_pages);
    if ((rc != SQLITE_OK && rc != SQLITE_BUSY) || log_pages < 0) {
      log::warn("checkpointer: checkpoint failed: {}", sqlite3_errmsg(db_));
      continue;
    }
    done_.fetch_add(1, std::memory_order_relaxed);
    backfilled_.fetch_add(static_cast<uint64_t>(done_pages > 0 ? done_pages : 0), std::memory_order_relaxed);
  }
}

}  // namespace uw
