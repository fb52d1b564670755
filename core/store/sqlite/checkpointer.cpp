#include "core/store/sqlite/checkpointer.hpp"

#include <sqlite3.h>

#include <string>

#include "core/log.hpp"
#include "core/worker/thread_priority.hpp"

namespace uw::web {

namespace {
constexpr int kNice = 10;
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
  thread_ = std::thread([this] { thread_main(); });
}

Checkpointer::~Checkpointer() {
  if (!db_) return;
  sqlite3_wal_hook(writer_db_, nullptr, nullptr);
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
  sqlite3_close(db_);
}

uint64_t Checkpointer::checkpoints() const {
  std::lock_guard lk(mu_);
  return done_;
}

uint64_t Checkpointer::backfilled_pages() const {
  std::lock_guard lk(mu_);
  return backfilled_;
}

int Checkpointer::on_wal(void* self, sqlite3*, const char*, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages < c->threshold_) return SQLITE_OK;
  {
    std::lock_guard lk(c->mu_);
    c->wanted_ = true;
  }
  c->cv_.notify_one();
  return SQLITE_OK;
}

void Checkpointer::thread_main() {
  // Background work: on a busy machine the loop and the writer go first.
  if (!lower_this_thread_priority(kNice)) {
    log::debug("checkpointer: cannot lower its priority");
  }
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return wanted_ || stopping_; });
      if (stopping_) return;
      wanted_ = false;
    }
    int log_pages = 0, done_pages = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &done_pages);
    if ((rc != SQLITE_OK && rc != SQLITE_BUSY) || log_pages < 0) {
      log::warn("checkpointer: checkpoint failed: {}", sqlite3_errmsg(db_));
      continue;
    }
    std::lock_guard lk(mu_);
    ++done_;
    backfilled_ += static_cast<uint64_t>(done_pages > 0 ? done_pages : 0);
  }
}

}  // namespace uw::web
