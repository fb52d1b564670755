#pragma once
// uw::FileWriter — appends to a file on a thread of its own, so an event loop
// that logs never waits on the disk (a write into the page cache can block for
// tens of milliseconds while the kernel throttles dirty pages, e.g. during a
// database checkpoint; the web app measured 157 ms). The web app's access log
// and the notifier's event log both write through one.
//
// The caller hands over whole chunks (one or many lines); a chunk is written
// with one fwrite, so chunks never interleave. Pending bytes are bounded: past
// max_pending a chunk is dropped and counted instead of growing memory; the
// count is reported by dropped_bytes() (and by its owner as a metric).
//
// Failures are never silent. A write or flush that fails (disk full, I/O
// error) counts the batch's bytes in lost_bytes(); a file that was deleted
// under us (its folder removed, `rm` instead of a rename) is noticed within
// a second of the next write, its lines counted as lost, and the path opened
// again once that is possible (so lines come back as soon as the folder does).
// Either state makes ok() false and is reported on stderr, at most once every
// kReportEveryMs, with what was lost since the last report; recovery is
// reported too. A failed reopen() is reported the same way.
//
// Threading: write(), reopen() and dropped_bytes() from any thread; the
// destructor drains what is pending, then joins (call it where blocking
// briefly is acceptable: at exit).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <variant>

#include "core/result.hpp"
#include "core/worker/job_queue.hpp"
#include "core/worker/worker_thread.hpp"

namespace uw {

class FileWriter {
 public:
  static constexpr size_t kDefaultMaxPending = 8 << 20;
  static constexpr int64_t kReportEveryMs = 5'000;

  // Opens path for appending; "" writes to stderr (which cannot fail). An
  // Error ("cannot open PATH: REASON") when the file cannot be opened.
  static Result<std::unique_ptr<FileWriter>> open(const std::string& path,
                                                  size_t max_pending = kDefaultMaxPending);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Queues chunk; false (and counted) if max_pending bytes already wait.
  bool write(std::string chunk);
  // Log rotation (SIGHUP): opens the path again now, on the caller's thread, so
  // a failure is reported here (and the old file is kept); the writer thread
  // switches to the new file after every chunk queued before the call. Does
  // nothing for stderr.
  Result<Unit> reopen();
  uint64_t dropped_bytes() const { return dropped_.load(std::memory_order_relaxed); }
  // Bytes of lines that may not have reached the file (failed writes, a deleted file).
  uint64_t lost_bytes() const { return lost_.load(std::memory_order_relaxed); }
  // Failures seen: failed writes or flushes, deletions noticed, failed reopens.
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  // False while the last write failed or the file is deleted.
  bool ok() const { return ok_.load(std::memory_order_relaxed); }
  // Bytes queued and not yet written and flushed: 0 means every chunk handed
  // over before the call is in the file.
  size_t pending_bytes() { return queue_.pending_cost(); }

 private:
  struct Reopened {
    FILE* file;  // the writer thread takes it over
  };
  using Item = std::variant<std::string, Reopened>;
  FileWriter(FILE* f, std::string path, size_t max_pending);
  void thread_main();
  // Writer thread: after a batch of `bytes`, whether it reached a live file.
  void check(bool wrote_ok, int err, size_t bytes);
  void report(const std::string& what);  // to stderr, rate-limited unless forced
  void set_ok(bool ok, const std::string& why);

  const std::string path_;  // "" = stderr
  FILE* file_;              // writer thread only (after construction)
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> lost_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<bool> ok_{true};
  // Writer thread only:
  int64_t last_link_check_ms_ = 0;
  int64_t last_report_ms_ = 0;
  uint64_t lost_reported_ = 0;  // lost_ at the last report
  JobQueue<Item> queue_;        // bounded by max_pending bytes
  WorkerThread thread_;         // last: joined before the members it uses go
};

}  // namespace uw
